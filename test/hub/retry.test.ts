// How long the app waits before retrying a Hub request, and when it gives up (src/hub/retry.ts).
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, GatedRepoError, HubApiError, HubUnreachableError, RateLimitError, RepoNotFoundError, retryDelay, withRetry } from '../../src/hub/index.ts';

const url = 'https://hub.example/x';

describe('retryDelay', () => {
  it('a 429 whose Retry-After the browser hides (CORS) waits at least 1 s, then backs off as usual', () => {
    const hidden = new RateLimitError('rate limited', 429, undefined, url);
    expect(retryDelay(hidden, 0)).toBe(1000);
    expect(retryDelay(hidden, 1)).toBe(1000);
    expect(retryDelay(hidden, 2)).toBe(2000);
  });

  it('a 429 with a readable Retry-After waits that long, up to four times the longest back-off', () => {
    expect(retryDelay(new RateLimitError('rate limited', 429, undefined, url, 3), 0)).toBe(3000);
    expect(retryDelay(new RateLimitError('rate limited', 429, undefined, url, 3600), 0)).toBe(4 * DEFAULT_RETRY.maxDelayMs);
  });

  it('5xx, an unreachable Hub and a broken stream back off doubling from 0.5 s up to 30 s; five failures in a row give up', () => {
    const unavailable = new HubApiError('503', 503, undefined, url);
    expect([0, 1, 2, 3, 4].map((a) => retryDelay(unavailable, a))).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(retryDelay(unavailable, 5)).toBeUndefined();
    expect(retryDelay(unavailable, 9, { retries: 20, baseDelayMs: 500, maxDelayMs: 30_000 })).toBe(30_000);
    expect(retryDelay(new HubUnreachableError('down', 0, undefined, url), 0)).toBe(500);
    expect(retryDelay(new TypeError('network error'), 0)).toBe(500);
    expect(retryDelay(Object.assign(new Error('closed'), { name: 'ConnectionClosedError' }), 1)).toBe(1000);
  });

  it('does not retry what retrying cannot fix: a missing repo, a gated one, a 4xx, a cancel', () => {
    expect(retryDelay(new RepoNotFoundError('missing', 404, 'RepoNotFound', url), 0)).toBeUndefined();
    expect(retryDelay(new GatedRepoError('gated', 403, 'GatedRepo', url), 0)).toBeUndefined();
    expect(retryDelay(new HubApiError('bad', 400, undefined, url), 0)).toBeUndefined();
    expect(retryDelay(new DOMException('Cancelled', 'AbortError'), 0)).toBeUndefined();
    expect(retryDelay(new Error('something else'), 0)).toBeUndefined();
  });
});

describe('withRetry', () => {
  it('retries until success, asking the delay for each consecutive failure', async () => {
    const seen: number[] = [];
    let calls = 0;
    const out = await withRetry(async () => (++calls < 3 ? Promise.reject(new HubApiError('503', 503, undefined, url)) : 'ok'), {
      delay: (_, attempt) => (seen.push(attempt), 0),
    });
    expect(out).toBe('ok');
    expect(seen).toEqual([0, 1]);
  });

  it('throws the error when the delay says to give up, and stops waiting when cancelled', async () => {
    const gated = new GatedRepoError('gated', 403, 'GatedRepo', url);
    await expect(withRetry(() => Promise.reject(gated))).rejects.toBe(gated);
    const controller = new AbortController();
    const waiting = withRetry(() => Promise.reject(new HubApiError('503', 503, undefined, url)), { signal: controller.signal, delay: () => 3 * 24 * 3600 * 1000 });
    controller.abort(new DOMException('Cancelled', 'AbortError'));
    await expect(waiting).rejects.toThrow('Cancelled');
  });
});
