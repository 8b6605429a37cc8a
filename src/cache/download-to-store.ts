import type { Store } from './store.ts';

export interface DownloadSource {
  /** Opens the file from byte `offset`; `restarted` when the source sent it from byte 0 instead. */
  open(offset: number): Promise<{ body: ReadableStream<Uint8Array>; restarted: boolean }>;
}

export interface DownloadTarget {
  key: string;
  /** Expected size in bytes; the file is complete only when exactly this many were written. */
  size: number;
}

export class DownloadSizeError extends Error {
  override name = 'DownloadSizeError';
}

const FLUSH_EVERY = 8 * 1024 * 1024;

/**
 * Streams one file into the store's partial file, continuing from what an earlier attempt
 * (or an earlier visit) left there, and marks it complete only after the size checks out.
 * Chunks go straight to storage: a file is never held whole in memory.
 */
export async function downloadToStore(
  store: Store,
  target: DownloadTarget,
  source: DownloadSource,
  onBytes: (loaded: number) => void = () => {},
  signal?: AbortSignal,
): Promise<void> {
  let offset = await store.partialSize(target.key);
  if (offset > target.size) offset = 0;
  if (offset < target.size) {
    const { body, restarted } = await source.open(offset);
    if (restarted) offset = 0;
    onBytes(offset);
    const writer = await store.openPartial(target.key, offset);
    const reader = body.getReader();
    let sinceFlush = 0;
    try {
      for (;;) {
        if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
        const { done, value } = await reader.read();
        if (done) break;
        await writer.write(value);
        offset += value.byteLength;
        sinceFlush += value.byteLength;
        if (sinceFlush >= FLUSH_EVERY) {
          await writer.flush();
          sinceFlush = 0;
        }
        onBytes(offset);
      }
    } finally {
      reader.releaseLock();
      await writer.close();
    }
  }
  const written = await store.partialSize(target.key);
  if (written !== target.size) {
    // Too long means the partial is unusable; too short can resume later.
    if (written > target.size) await store.delete(target.key);
    throw new DownloadSizeError(`${target.key}: expected ${target.size} bytes, got ${written}.`);
  }
  await store.complete(target.key);
}
