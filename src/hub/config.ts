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

export function hubUrlOf(opts: HubOptions): string {
  return (opts.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
}

/**
 * The Authorization header, only for requests to the Hub's own origin. Downloads that the
 * Hub redirects to its CDN are followed by the browser, which drops the header on a
 * cross-origin redirect; we never attach it to another origin ourselves.
 */
export function authHeaders(url: string, opts: HubOptions): Record<string, string> {
  if (!opts.accessToken) return {};
  return new URL(url).origin === new URL(hubUrlOf(opts)).origin ? { Authorization: `Bearer ${opts.accessToken}` } : {};
}

/** Encodes a repo id's parts but keeps the `/` between owner and name. */
export function encodeRepo(repo: string): string {
  return repo.split('/').map(encodeURIComponent).join('/');
}

export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
