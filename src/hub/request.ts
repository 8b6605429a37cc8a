import { hubUrlOf, type HubOptions } from './config.ts';
import { HubUnreachableError, toHubError } from './errors.ts';

/**
 * The Authorization header, only for requests to the Hub's own origin. Downloads that the
 * Hub redirects to its CDN are followed by the browser, which drops the header on a
 * cross-origin redirect; we never attach it to another origin ourselves.
 */
export function authHeaders(url: string, opts: HubOptions): Record<string, string> {
  if (!opts.accessToken) return {};
  return new URL(url).origin === new URL(hubUrlOf(opts)).origin ? { Authorization: `Bearer ${opts.accessToken}` } : {};
}

/**
 * One request to the Hub: adds auth for the Hub's origin, turns network failures into
 * `HubUnreachableError` and error statuses into typed errors.
 */
export async function hubFetch(url: string, opts: HubOptions, what: string, init: RequestInit = {}): Promise<Response> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const headers = { ...(init.headers as Record<string, string> | undefined), ...authHeaders(url, opts) };
  let response: Response;
  try {
    // Files go to our own store; the browser's HTTP cache would only keep a second copy
    // (and answer later Range requests from a stale partial). Metadata must be fresh anyway.
    response = await doFetch(url, { cache: 'no-store', ...init, headers });
  } catch (err) {
    if ((err as Error)?.name === 'AbortError') throw err;
    throw new HubUnreachableError(`Cannot reach the Hub at ${new URL(url).origin} (${(err as Error).message}).`, 0, undefined, url);
  }
  if (!response.ok) throw await toHubError(response, url, what);
  return response;
}
