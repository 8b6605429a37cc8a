// downloadToStore in Node, against the in-memory Store and a scripted source: resume from an
// earlier partial, broken connections, a server that ignores Range, corrupt bytes, a full
// store, retries that give up, and cancellation. What the browser adds (OPFS, IndexedDB, the
// real Hub's redirects) is covered by test/e2e/faults.test.ts, errors.test.ts and quota.test.ts.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConnectionClosedError, DownloadSizeError, downloadToStore, IntegrityError, MemoryStore, type DownloadOptions, type DownloadSource, type Store,
} from '../../src/cache/index.ts';
import { HubApiError, retryDelay } from '../../src/hub/index.ts';
import { deterministicBytes } from '../support/hub-fixture.ts';

const KEY = 'models/acme/tiny/0123456789abcdef0123456789abcdef01234567/unet/model.onnx';
const SIZE = 1_000_003; // not a multiple of the chunk size
const CHUNK = 64 * 1024;
const BYTES = deterministicBytes(SIZE, 11);
const SHA = createHash('sha256').update(BYTES).digest('hex');
const target = { key: KEY, size: SIZE, sha256: SHA };

/** What one connection does: answer from the requested offset (the default) or misbehave. */
interface Answer {
  /** The body ends cleanly after this many bytes (a dropped connection the server did not report). */
  closeAfter?: number;
  /** The body errors (TypeError, as fetch's streams do) after this many bytes. */
  errorAfter?: number;
  /** Sends the whole file from byte 0 whatever was asked (a server that ignores Range). */
  ignoreRange?: boolean;
  /** Flips this byte of the file (by its offset in the file). */
  corruptAt?: number;
  /** Sends this many bytes past the end of the file. */
  extra?: number;
  /** `open` rejects with this before any byte. */
  reject?: unknown;
}

/**
 * A source serving BYTES, connection by connection as `script` says (then honestly); `opens`
 * records the offset each connection asked for.
 */
function scripted(script: Answer[] = [], bytes: Uint8Array = BYTES) {
  const opens: number[] = [];
  const source: DownloadSource = {
    async open(offset) {
      opens.push(offset);
      const a = script.shift() ?? {};
      if (a.reject) throw a.reject;
      const from = a.ignoreRange ? 0 : offset;
      let body = Uint8Array.from(bytes.subarray(from));
      if (a.corruptAt !== undefined && a.corruptAt >= from) body[a.corruptAt - from] ^= 0xff;
      if (a.extra) body = Uint8Array.from([...body, ...new Uint8Array(a.extra)]);
      const cut = Math.min(a.closeAfter ?? Infinity, a.errorAfter ?? Infinity, body.byteLength);
      let at = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= cut) {
            if (a.errorAfter !== undefined && at === a.errorAfter) controller.error(new TypeError('network error'));
            else controller.close();
            return;
          }
          const n = Math.min(CHUNK, cut - at);
          controller.enqueue(body.slice(at, at + n));
          at += n;
        },
      });
      return { body: stream, restarted: a.ignoreRange === true && offset > 0 };
    },
  };
  return { source, opens };
}

/** The Hub's own retry decisions (what to retry, how many failures in a row), without the waiting. */
const noWait = (retries = 5): DownloadOptions['retryDelay'] => (err, attempt) =>
  retryDelay(err, attempt, { retries, baseDelayMs: 0, maxDelayMs: 0 }) === undefined ? undefined : 0;

const bytesOf = async (blob: Blob | undefined) => Buffer.from(await blob!.arrayBuffer());

/** A store holding the first `n` bytes of the file as a partial, as an earlier visit leaves it. */
async function withPartial(n: number, store: Store = new MemoryStore()): Promise<Store> {
  const w = await store.openPartial(KEY, 0);
  await w.write(BYTES.subarray(0, n));
  await w.close();
  return store;
}

describe('downloadToStore', () => {
  it('streams a file into the store, checks size and sha256, and only then marks it complete', async () => {
    const store = new MemoryStore();
    const { source, opens } = scripted();
    const seen: number[] = [];
    const report = await downloadToStore(store, target, source, { onBytes: (n) => seen.push(n) });
    expect(report).toEqual({ bytesFetched: SIZE, resumes: 0, restarts: 0, healed: 0 });
    expect(opens).toEqual([0]);
    expect((await bytesOf(await store.get(KEY))).equals(BYTES)).toBe(true);
    expect(await store.partialSize(KEY)).toBe(0);
    expect(seen.at(-1)).toBe(SIZE);
    expect(seen).toEqual([...seen].sort((a, b) => a - b)); // progress only goes forward
  });

  it('continues an earlier visit’s partial from where it stopped, hashing the bytes already there', async () => {
    const store = await withPartial(300_000);
    const { source, opens } = scripted();
    const report = await downloadToStore(store, target, source);
    expect(opens).toEqual([300_000]);
    expect(report.bytesFetched).toBe(SIZE - 300_000);
    expect((await bytesOf(await store.get(KEY))).equals(BYTES)).toBe(true);
  });

  it('a partial longer than the file is thrown away and the file fetched from 0', async () => {
    const store = await withPartial(0);
    const w = await store.openPartial(KEY, 0);
    await w.write(new Uint8Array(SIZE + 10));
    await w.close();
    const { source, opens } = scripted();
    await downloadToStore(store, target, source);
    expect(opens).toEqual([0]);
    expect((await bytesOf(await store.get(KEY))).equals(BYTES)).toBe(true);
  });

  it('resumes with a Range after a connection closes early or errors mid-body', async () => {
    const store = new MemoryStore();
    const { source, opens } = scripted([{ closeAfter: 200_000 }, { errorAfter: 300_000 }]);
    const report = await downloadToStore(store, target, source, { retryDelay: noWait() });
    expect(opens).toEqual([0, 200_000, 500_000]);
    expect(report).toEqual({ bytesFetched: SIZE, resumes: 2, restarts: 0, healed: 0 });
    expect((await bytesOf(await store.get(KEY))).equals(BYTES)).toBe(true);
  });

  it('a drop at any offset (200 random ones, and the edges) resumes from exactly there: whole, hashed, no byte fetched twice', async () => {
    const offsets = [1, CHUNK - 1, CHUNK, CHUNK + 1, SIZE - 1, ...Array.from({ length: 200 }, () => 1 + Math.floor(Math.random() * (SIZE - 2)))];
    for (const at of offsets) {
      const store = new MemoryStore();
      const { source, opens } = scripted([Math.random() < 0.5 ? { closeAfter: at } : { errorAfter: at }]);
      const report = await downloadToStore(store, target, source, { retryDelay: noWait() });
      expect(opens, `drop at ${at}`).toEqual([0, at]);
      expect(report.bytesFetched, `drop at ${at}`).toBe(SIZE);
      expect((await bytesOf(await store.get(KEY))).equals(BYTES), `drop at ${at}`).toBe(true);
    }
  });

  it('a server that ignores Range: the file starts again from 0 and is whole and correct', async () => {
    const store = await withPartial(400_000);
    const { source, opens } = scripted([{ ignoreRange: true }]);
    const report = await downloadToStore(store, target, source);
    expect(opens).toEqual([400_000]);
    expect(report).toEqual({ bytesFetched: SIZE, resumes: 0, restarts: 1, healed: 0 });
    expect((await bytesOf(await store.get(KEY))).equals(BYTES)).toBe(true);
  });

  it('a server that ignores Range after a drop mid-download: restarts cleanly, the hash too', async () => {
    const store = new MemoryStore();
    const { source, opens } = scripted([{ closeAfter: 500_000 }, { ignoreRange: true }]);
    const report = await downloadToStore(store, target, source, { retryDelay: noWait() });
    expect(opens).toEqual([0, 500_000]);
    expect(report).toMatchObject({ resumes: 1, restarts: 1, healed: 0 });
    expect((await bytesOf(await store.get(KEY))).equals(BYTES)).toBe(true);
  });

  it('a corrupt byte served once is caught by sha256: the file is deleted and fetched once more', async () => {
    const store = new MemoryStore();
    const { source, opens } = scripted([{ corruptAt: 123_456 }]);
    const report = await downloadToStore(store, target, source);
    expect(opens).toEqual([0, 0]);
    expect(report).toMatchObject({ bytesFetched: 2 * SIZE, healed: 1 });
    expect((await bytesOf(await store.get(KEY))).equals(BYTES)).toBe(true);
  });

  it('a file corrupt every time is reported and deleted, never marked complete', async () => {
    const store = new MemoryStore();
    const { source } = scripted([{ corruptAt: 5 }, { corruptAt: 5 }]);
    const err = await downloadToStore(store, target, source).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toContain(`failed its sha256 check twice (expected ${SHA}`);
    expect(await store.get(KEY)).toBeUndefined();
    expect(await store.partialSize(KEY)).toBe(0);
  });

  it('a file without a sha256 (a small git file) is checked by size only', async () => {
    const store = new MemoryStore();
    const { source } = scripted([{ corruptAt: 5 }]);
    await downloadToStore(store, { key: KEY, size: SIZE }, source);
    expect((await store.get(KEY))?.size).toBe(SIZE);
  });

  it('a server that sends more than the listed size is refused, and nothing is marked complete', async () => {
    const store = new MemoryStore();
    const { source } = scripted([{ extra: 10 }]);
    const err = await downloadToStore(store, target, source).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadSizeError);
    expect(err.message).toContain('the server sent more than the 1000003 bytes the Hub listed');
    expect(await store.get(KEY)).toBeUndefined();
  });

  it('a store that holds fewer bytes than it was given does not pass', async () => {
    const inner = new MemoryStore();
    // A backend whose writes silently lose the last byte of every chunk.
    const lossy: Store = Object.assign(Object.create(inner) as MemoryStore, {
      openPartial: async (key: string, offset: number) => {
        const w = await inner.openPartial(key, offset);
        return { ...w, write: (chunk: Uint8Array) => w.write(chunk.subarray(0, chunk.byteLength - 1)) };
      },
    });
    await expect(downloadToStore(lossy, target, scripted().source)).rejects.toThrow(/expected 1000003 bytes, the store holds \d+/);
    expect(await inner.get(KEY)).toBeUndefined();
  });

  it('a full store: the QuotaExceededError comes back at once, what fitted is kept, and a later call with room resumes from it', async () => {
    const store = new MemoryStore({ quota: 600_000 });
    const { source, opens } = scripted();
    const err = await downloadToStore(store, target, source, { retryDelay: noWait() }).catch((e) => e);
    expect(err.name).toBe('QuotaExceededError');
    expect(opens).toEqual([0]); // not retried: retrying cannot make room
    expect(await store.partialSize(KEY)).toBe(600_000);
    expect(await store.get(KEY)).toBeUndefined();

    const roomy = new MemoryStore();
    const w = await roomy.openPartial(KEY, 0);
    await w.write((await bytesOf(await store.getPartial(KEY))));
    const again = scripted();
    await downloadToStore(roomy, target, again.source);
    expect(again.opens).toEqual([600_000]);
    expect((await bytesOf(await roomy.get(KEY))).equals(BYTES)).toBe(true);
  });

  it('retries failures in a row only as often as allowed; progress resets the count', async () => {
    // Eight drops, each after some progress: more than 5 in all, never more than 1 in a row.
    const drops = Array.from({ length: 8 }, () => ({ closeAfter: 100_000 }));
    const ok = scripted([...drops]);
    const report = await downloadToStore(new MemoryStore(), target, ok.source, { retryDelay: noWait(5) });
    expect(report.resumes).toBe(8);
    expect(ok.opens).toHaveLength(9);

    // Three 503s in a row with no byte between: fine with 5 retries, given up with 2.
    const unavailable = () => new HubApiError('the Hub answered 503', 503, undefined, 'http://hub/x');
    const three = () => [1, 2, 3].map(() => ({ reject: unavailable() }));
    await expect(downloadToStore(new MemoryStore(), target, scripted(three()).source, { retryDelay: noWait(5) })).resolves.toMatchObject({ resumes: 3 });
    const gaveUp = scripted(three());
    await expect(downloadToStore(new MemoryStore(), target, gaveUp.source, { retryDelay: noWait(2) })).rejects.toThrow(/503/);
    expect(gaveUp.opens).toHaveLength(3);
  });

  it('a connection that keeps breaking gives up with a message that says the bytes are kept', async () => {
    const store = new MemoryStore();
    const { source } = scripted([{ closeAfter: 250_000 }, { closeAfter: 0 }, { closeAfter: 0 }, { closeAfter: 0 }]);
    const err = await downloadToStore(store, target, source, { retryDelay: noWait(2) }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err.message).toBe('The download of unet/model.onnx kept breaking (models/acme/tiny/0123456789abcdef0123456789abcdef01234567/unet/model.onnx: the connection closed at byte 250000 of 1000003.). The 250000 bytes that arrived are kept: try again to continue.');
    expect(await store.partialSize(KEY)).toBe(250_000);
  });

  it('without retryDelay the first failure is thrown as it came', async () => {
    const failure = new HubApiError('the Hub answered 503', 503, undefined, 'http://hub/x');
    await expect(downloadToStore(new MemoryStore(), target, scripted([{ reject: failure }]).source)).rejects.toBe(failure);
  });

  it('cancelling mid-body stops with the signal’s reason and keeps the partial', async () => {
    const store = new MemoryStore();
    const controller = new AbortController();
    const reason = new DOMException('Cancelled', 'AbortError');
    const onBytes = (n: number) => n >= 300_000 && controller.abort(reason);
    const err = await downloadToStore(store, target, scripted().source, { signal: controller.signal, onBytes, retryDelay: noWait() }).catch((e) => e);
    expect(err).toBe(reason);
    expect(await store.partialSize(KEY)).toBeGreaterThanOrEqual(300_000);
    expect(await store.get(KEY)).toBeUndefined();
  });

  it('cancelling during a retry’s wait stops at once', async () => {
    const controller = new AbortController();
    const { source, opens } = scripted([{ closeAfter: 100_000 }]);
    // A wait of days: the test ends only if the abort cuts it short.
    const retry: DownloadOptions['retryDelay'] = () => {
      queueMicrotask(() => controller.abort(new DOMException('Cancelled', 'AbortError')));
      return 3 * 24 * 3600 * 1000;
    };
    await expect(downloadToStore(new MemoryStore(), target, source, { signal: controller.signal, retryDelay: retry })).rejects.toThrow('Cancelled');
    expect(opens).toEqual([0]);
  });
});
