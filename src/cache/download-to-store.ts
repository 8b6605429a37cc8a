import { sleep } from '../hub/index.ts';
import { createSha256, type Sha256 } from './sha256.ts';
import type { Store } from './store.ts';

/** Where `downloadToStore` gets the bytes: anything that can open the file from an offset (the Hub, via `openDownload`, in the app). */
export interface DownloadSource {
  /** Opens the file from byte `offset`; `restarted` when the source sent it from byte 0 instead. */
  open(offset: number): Promise<{ body: ReadableStream<Uint8Array>; restarted: boolean }>;
}

/** The file to fill: its store key, and what the finished file must match. */
export interface DownloadTarget {
  key: string;
  /** Expected size in bytes; the file is complete only when exactly this many were written. */
  size: number;
  /** Expected sha256 (hex) of the content, for LFS files. */
  sha256?: string;
}

/** Progress, cancellation and retry hooks for `downloadToStore`; without `retryDelay`, the first failure is thrown. */
export interface DownloadOptions {
  /** Called with the number of bytes of the file now in the partial. */
  onBytes?: (loaded: number) => void;
  signal?: AbortSignal;
  /** Delay before retrying after `err` (the `attempt`-th consecutive failure), or undefined to give up; the wait ends early when `signal` aborts. */
  retryDelay?: (err: unknown, attempt: number) => number | undefined;
}

/** What one `downloadToStore` call did: bytes it fetched, and how often it had to resume, start over or re-fetch. */
export interface DownloadReport {
  /** Bytes received over the network for this file by this call. */
  bytesFetched: number;
  /** Connections that broke and were resumed. */
  resumes: number;
  /** Times the source ignored the Range and the file started again from 0. */
  restarts: number;
  /** Times the content failed verification and was fetched again. */
  healed: number;
}

/** The bytes do not add up to the size the Hub listed: the server sent more, or the store holds a different count. */
export class DownloadSizeError extends Error {
  override name = 'DownloadSizeError';
}
/** The file's sha256 was wrong twice (after one fresh download); the bad copy has been deleted. */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
}
/** The source ended the body before the file was whole (a dropped connection, usually). */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
}

const FLUSH_EVERY = 8 * 1024 * 1024;

/**
 * Streams one file into the store's partial file, continuing from what an earlier attempt or
 * an earlier visit left there, resuming after broken connections, hashing as it goes, and
 * marks it complete only after size and sha256 check out. A file that fails verification is
 * deleted and fetched once more. Chunks go straight to storage, never the whole file to memory.
 */
export async function downloadToStore(
  store: Store,
  target: DownloadTarget,
  source: DownloadSource,
  opts: DownloadOptions = {},
): Promise<DownloadReport> {
  const report: DownloadReport = { bytesFetched: 0, resumes: 0, restarts: 0, healed: 0 };
  for (;;) {
    const digest = await fill(store, target, source, opts, report);
    if (target.sha256 && digest !== target.sha256.toLowerCase()) {
      await store.delete(target.key);
      if (report.healed++ === 0) continue;
      throw new IntegrityError(`${target.key} failed its sha256 check twice (expected ${target.sha256}, got ${digest}); it was deleted.`);
    }
    await store.complete(target.key);
    return report;
  }
}

/** Makes the partial file whole and returns the hex sha256 of its content (when one is expected). */
async function fill(store: Store, target: DownloadTarget, source: DownloadSource, opts: DownloadOptions, report: DownloadReport) {
  const hasher = target.sha256 ? await createSha256() : undefined;
  try {
    return await fillWith(hasher, store, target, source, opts, report);
  } finally {
    hasher?.dispose();
  }
}

async function fillWith(hasher: Sha256 | undefined, store: Store, target: DownloadTarget, source: DownloadSource, opts: DownloadOptions, report: DownloadReport) {
  let offset = await store.partialSize(target.key);
  if (offset > target.size) {
    await store.delete(target.key);
    offset = 0;
  }
  // Resuming an earlier visit's partial: its bytes must be hashed too.
  if (offset > 0 && hasher) await hashBlob(hasher, (await store.getPartial(target.key))!);
  opts.onBytes?.(offset);

  for (let failures = 0; offset < target.size; ) {
    opts.signal?.throwIfAborted();
    const before = offset;
    // Where the partial (and the hash) stand, kept up to date by pump even when it throws.
    const pos = { offset };
    try {
      const { body, restarted } = await source.open(offset);
      if (restarted) {
        report.restarts++;
        pos.offset = 0;
        hasher?.init();
      }
      await pump(store, target, body, pos, hasher, opts, report);
      offset = pos.offset;
      if (offset < target.size) throw new ConnectionClosedError(`${target.key}: the connection closed at byte ${offset} of ${target.size}.`);
    } catch (err) {
      offset = pos.offset;
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      // Progress resets the count: only failures in a row without a byte of progress give up.
      if (offset > before) failures = 0;
      const delay = opts.retryDelay?.(err, failures++);
      if (delay === undefined) {
        if (err instanceof TypeError || err instanceof ConnectionClosedError) {
          const path = target.key.split('/').slice(4).join('/') || target.key;
          throw new ConnectionClosedError(`The download of ${path} kept breaking (${err.message}). The ${offset} bytes that arrived are kept: try again to continue.`);
        }
        throw err;
      }
      report.resumes++;
      await sleep(delay, opts.signal);
      const onDisk = await store.partialSize(target.key);
      if (onDisk !== offset && hasher) {
        hasher.init();
        await hashBlob(hasher, (await store.getPartial(target.key)) ?? new Blob());
      }
      offset = onDisk;
    }
  }
  // Trust the storage, not our count: a backend that wrote less than it was given must not pass.
  const stored = await store.partialSize(target.key);
  if (offset !== target.size || stored !== target.size) {
    throw new DownloadSizeError(`${target.key}: expected ${target.size} bytes, the store holds ${stored}.`);
  }
  return hasher?.digest();
}

async function pump(
  store: Store,
  target: DownloadTarget,
  body: ReadableStream<Uint8Array>,
  pos: { offset: number },
  hasher: Sha256 | undefined,
  opts: DownloadOptions,
  report: DownloadReport,
): Promise<void> {
  const writer = await store.openPartial(target.key, pos.offset);
  const reader = body.getReader();
  let sinceFlush = 0;
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) return;
      if (pos.offset + value.byteLength > target.size) {
        throw new DownloadSizeError(`${target.key}: the server sent more than the ${target.size} bytes the Hub listed.`);
      }
      await writer.write(value);
      hasher?.update(value);
      pos.offset += value.byteLength;
      report.bytesFetched += value.byteLength;
      sinceFlush += value.byteLength;
      if (sinceFlush >= FLUSH_EVERY) {
        await writer.flush();
        sinceFlush = 0;
      }
      opts.onBytes?.(pos.offset);
    }
  } finally {
    reader.cancel().catch(() => {});
    await writer.close();
  }
}

async function hashBlob(hasher: Sha256, blob: Blob): Promise<void> {
  const reader = blob.stream().getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) hasher.update(r.value);
}
