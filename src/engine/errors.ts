// The errors a caller of the engine can meet, registered so they arrive from the worker as
// instances of their class (see runtime/errors.ts), and what each means for the person in
// front of the page: `explainError`. Imported by the page, so it stays light: no cache, no
// onnxruntime (hence runtime/errors.ts directly rather than the runtime's door).
import {
  EntryNotFoundError, GatedRepoError, HubApiError, HubUnreachableError, InvalidTokenError, RateLimitError, RepoNotFoundError, RevisionNotFoundError,
} from '../hub/index.ts';
import { NonFiniteError } from '../diffusion/index.ts';
import { Float16UnsupportedError, ModelTooLargeError, registerErrors } from '../runtime/errors.ts';

export { Float16UnsupportedError, ModelTooLargeError };

/** Not enough room: bytes still needed, bytes the browser reports free, and whether that report proved wrong (a write was refused anyway). */
export class QuotaError extends Error {
  override name = 'QuotaError';
  constructor(message: string, readonly needed: number, readonly free: number, readonly reportedRoomWasWrong = false) {
    super(message);
  }
}

registerErrors({
  HubApiError, HubUnreachableError, RepoNotFoundError, RevisionNotFoundError, EntryNotFoundError, GatedRepoError, InvalidTokenError, RateLimitError,
  QuotaError, NonFiniteError, Float16UnsupportedError, ModelTooLargeError,
});

/**
 * An error as the page shows it: its words, and the data of the next step it offers. `kind`
 * says which next step; `name` is the error's class name (`GatedRepoError`, …).
 */
export type ExplainedError = { name: string; message: string } & (
  /** The repo is gated: accept its license on its page, then use a token. */
  | { kind: 'gated' }
  /** No room: free some in the cache. */
  | { kind: 'quota'; needed: number; free: number }
  /** An fp16 model on a GPU without `shader-f16`: the CPU, or the repo's fp32 branch when it has one. */
  | { kind: 'float16'; fp32Revision?: string }
  /** The Hub could not be reached: offline mode uses what is cached. */
  | { kind: 'hub-unreachable' }
  /** The Hub refused the token. */
  | { kind: 'invalid-token' }
  /** No such repo, or a private one: a token may help. */
  | { kind: 'repo-not-found' }
  /** Cancelled by the person (what was downloaded is kept). */
  | { kind: 'cancelled' }
  /** Anything else: the message says it all. */
  | { kind: 'other' }
);

/** What the page should say and offer for an error thrown by an engine call. */
export function explainError(err: unknown): ExplainedError {
  if (!(err instanceof Error) && !(typeof DOMException !== 'undefined' && err instanceof DOMException)) {
    return { kind: 'other', name: 'Error', message: String(err) };
  }
  const { name, message } = err as Error;
  if (name === 'AbortError') return { kind: 'cancelled', name, message: 'Cancelled. Downloaded bytes are kept; the next attempt continues from there.' };
  const base = { name, message: message || name };
  if (err instanceof GatedRepoError) return { ...base, kind: 'gated' };
  if (err instanceof QuotaError) return { ...base, kind: 'quota', needed: err.needed, free: err.free };
  if (err instanceof Float16UnsupportedError) return { ...base, kind: 'float16', fp32Revision: err.fp32Revision };
  if (err instanceof HubUnreachableError) return { ...base, kind: 'hub-unreachable' };
  if (err instanceof InvalidTokenError) return { ...base, kind: 'invalid-token' };
  if (err instanceof RepoNotFoundError) return { ...base, kind: 'repo-not-found' };
  return { ...base, kind: 'other' };
}
