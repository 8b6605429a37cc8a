/**
 * Typed errors for everything the Hub can answer, so the UI can say exactly what went wrong.
 * Messages are written for people; none of them ever contains the access token
 * (we never put it in a URL, and we never echo request headers).
 */
export class HubApiError extends Error {
  override name = 'HubApiError';
  constructor(
    message: string,
    /** HTTP status, 0 when the Hub could not be reached at all. */
    readonly status: number,
    /** The Hub's `X-Error-Code` header (`RepoNotFound`, `GatedRepo`, …) when present. */
    readonly code: string | undefined,
    /** The URL that failed (never carries credentials). */
    readonly url: string,
  ) {
    super(message);
  }
}

export class HubUnreachableError extends HubApiError {
  override name = 'HubUnreachableError';
}
export class RepoNotFoundError extends HubApiError {
  override name = 'RepoNotFoundError';
}
export class RevisionNotFoundError extends HubApiError {
  override name = 'RevisionNotFoundError';
}
export class EntryNotFoundError extends HubApiError {
  override name = 'EntryNotFoundError';
}
/** 401 anonymous, or 403 with a token whose account was not granted access. */
export class GatedRepoError extends HubApiError {
  override name = 'GatedRepoError';
}
export class InvalidTokenError extends HubApiError {
  override name = 'InvalidTokenError';
}
export class RateLimitError extends HubApiError {
  override name = 'RateLimitError';
  /** From `Retry-After`; undefined when the browser may not read it (CORS does not expose it). */
  constructor(message: string, status: number, code: string | undefined, url: string, readonly retryAfterSeconds?: number) {
    super(message, status, code, url);
  }
}

/**
 * A hub other than the official one that the person has not confirmed: nothing was sent to it.
 * The page shows its origin and asks before the engine makes any request there.
 */
export class HubNotConfirmedError extends Error {
  override name = 'HubNotConfirmedError';
  constructor(
    message: string,
    /** The hub's origin (`http://127.0.0.1:8411`). */
    readonly origin: string,
  ) {
    super(message);
  }
}

/** Turns a failed Hub response into the matching typed error. */
export async function toHubError(response: Response, url: string, what: string): Promise<HubApiError> {
  const code = response.headers.get('X-Error-Code') ?? undefined;
  let message = response.headers.get('X-Error-Message') ?? '';
  if (!message) {
    try {
      const body = await response.clone().json();
      if (typeof body?.error === 'string') message = body.error;
    } catch {
      /* not JSON: keep the status text */
    }
  }
  const detail = message || `${response.status} ${response.statusText}`.trim();
  const s = response.status;
  if (code === 'GatedRepo') return new GatedRepoError(detail, s, code, url);
  if (code === 'RepoNotFound') return new RepoNotFoundError(`${what}: repository not found (${detail})`, s, code, url);
  if (code === 'RevisionNotFound') return new RevisionNotFoundError(`${what}: revision not found (${detail})`, s, code, url);
  if (code === 'EntryNotFound' || (s === 404 && what.includes('/'))) {
    return new EntryNotFoundError(`${what}: file not found (${detail})`, s, code, url);
  }
  if (s === 401 && /credentials|token/i.test(detail)) {
    return new InvalidTokenError('The Hugging Face token was rejected by the Hub (invalid or expired).', s, code, url);
  }
  if (s === 429) {
    const retry = Number(response.headers.get('Retry-After') ?? NaN);
    return new RateLimitError(`The Hub is rate-limiting requests: ${detail}`, s, code, url, Number.isFinite(retry) ? retry : undefined);
  }
  // Anonymous requests for private (or missing) repos get a bare 401: the Hub does not say which.
  if (s === 401) return new RepoNotFoundError(`${what}: repository not found, or it is private: if you have access, use your token.`, s, code, url);
  if (s === 404) return new RepoNotFoundError(`${what}: repository not found (${detail})`, s, code, url);
  const reason = message ? `${s} (${message})` : detail;
  return new HubApiError(`${what}: the Hub answered ${reason}${s >= 500 ? ', even after retrying' : ''}.`, s, code, url);
}
