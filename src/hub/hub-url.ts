/**
 * Which addresses can be a Hub: only `http:` and `https:` URLs without credentials, a query or a
 * fragment. A hub's base URL ends up in every request, in links the page shows and in the cache's
 * layout, so anything else (`javascript:…`, `data:`, `file:`, `http://user:pass@host`) is refused
 * before it is used anywhere.
 */
/** A hub address that is not an `http(s)` URL the app may use. */
export class InvalidHubUrlError extends Error {
  override name = 'InvalidHubUrlError';
  constructor(message: string, readonly value: string) {
    super(message);
  }
}

const shown = (value: string) => JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);

/**
 * Returns the hub's base URL (origin and path, no trailing `/`) when `url` is one the app may use.
 * @throws InvalidHubUrlError for anything but an `http:` or `https:` URL without credentials, query or fragment.
 */
export function checkHubUrl(url: string): string {
  const refuse = (why: string) => new InvalidHubUrlError(`${shown(String(url))} is not a hub address: ${why}.`, String(url));
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw refuse('a hub is an http(s) URL such as https://huggingface.co');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw refuse('only http: and https: hubs are used');
  if (u.username || u.password) throw refuse('a hub address carries no user name or password');
  if (u.search || u.hash || url.includes('?') || url.includes('#')) throw refuse('a hub address has no query or fragment');
  return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
}

/** Whether `url` is an `http(s)` hub address (see {@link checkHubUrl}). */
export function isHubUrl(url: string): boolean {
  try {
    checkHubUrl(url);
    return true;
  } catch {
    return false;
  }
}

/** The origin of a hub (`https://huggingface.co`, `http://127.0.0.1:8411`): what tokens, confirmations and the cache are kept by. */
export function hubOrigin(url: string): string {
  return new URL(checkHubUrl(url)).origin;
}

/** The official Hub's origin (`DEFAULT_HUB_URL`'s), the one hub used without asking. */
export const OFFICIAL_HUB_ORIGIN = 'https://huggingface.co';

/** Whether `url` is the official Hugging Face Hub (`https://huggingface.co`), which needs no confirmation. */
export function isOfficialHub(url: string): boolean {
  return hubOrigin(url) === OFFICIAL_HUB_ORIGIN;
}
