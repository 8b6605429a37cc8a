import { HubApiError, HubUnreachableError, RateLimitError } from './errors.ts';

/** How many times, and how patiently, to retry a Hub request that failed in a way retrying can fix. */
export interface RetryPolicy {
  /** Consecutive failures allowed before giving up. */
  retries: number;
  /** First back-off delay; doubles on each consecutive failure, capped at `maxDelayMs`. */
  baseDelayMs: number;
  /** Longest back-off; a `Retry-After` from the Hub may ask for up to four times this. */
  maxDelayMs: number;
}

/** The policy used unless another is given: 5 retries, the delay doubling from 0.5 s up to 30 s. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * How long to wait before trying again after `err`, or undefined when trying again cannot
 * help (a missing file, a gated repo, a bad token). Honours the Hub's `Retry-After`.
 */
export function retryDelay(err: unknown, attempt: number, policy: RetryPolicy = DEFAULT_RETRY): number | undefined {
  if (attempt >= policy.retries) return undefined;
  if ((err as Error)?.name === 'AbortError') return undefined;
  const backoff = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
  if (err instanceof RateLimitError) {
    // Browsers hide Retry-After unless the server exposes it through CORS: then back off, from 1 s.
    return err.retryAfterSeconds === undefined ? Math.max(1000, backoff) : Math.min(err.retryAfterSeconds * 1000, policy.maxDelayMs * 4);
  }
  if (err instanceof HubUnreachableError) return backoff;
  if (err instanceof HubApiError) return err.status >= 500 ? backoff : undefined;
  // A stream that broke mid-body (TypeError: network error, or ended early) is worth resuming.
  return err instanceof TypeError || (err as Error)?.name === 'ConnectionClosedError' ? backoff : undefined;
}

/** Waits `ms` milliseconds; rejects with the signal's reason as soon as `signal` aborts (at once if it already has). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` until it succeeds or `retryDelay` says to stop. */
export async function withRetry<T>(
  fn: () => Promise<T>,
  opts: {
    signal?: AbortSignal;
    policy?: RetryPolicy;
    /** Overrides `retryDelay`, e.g. to give up at once when the Hub is unreachable. */
    delay?: (err: unknown, attempt: number) => number | undefined;
    onRetry?: (err: unknown, delayMs: number) => void;
  } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const delay = opts.delay ? opts.delay(err, attempt) : retryDelay(err, attempt, opts.policy);
      if (delay === undefined) throw err;
      opts.onRetry?.(err, delay);
      await sleep(delay, opts.signal);
    }
  }
}
