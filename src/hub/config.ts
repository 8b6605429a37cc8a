/** Where the Hub is and who is asking. Every hub function takes these. */
export interface HubOptions {
  /** Base URL of the Hub, like `HF_ENDPOINT`. Default `https://huggingface.co`. */
  hubUrl?: string;
  /** A Hugging Face access token (`hf_…`). Sent only to `hubUrl`'s origin. */
  accessToken?: string;
  /** A fetch to use instead of the global one (tests, request logging). */
  fetch?: typeof fetch;
}

/** The Hub used when `HubOptions.hubUrl` is not given. */
export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** The Hub's base URL without a trailing `/` (`DEFAULT_HUB_URL` when none is given). */
export function hubUrlOf(opts: HubOptions): string {
  return (opts.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
}

/** A model's page on the Hub (license, access requests): `<hub>/<org>/<name>`. */
export function modelPageUrl(opts: HubOptions, repo: string): string {
  return `${hubUrlOf(opts)}/${encodePath(repo)}`;
}

/** Encodes each `/`-separated part of a repo id or a path in a repo, keeping the `/`s. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
