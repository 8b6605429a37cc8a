import { createSHA256 } from 'hash-wasm';

/** An incremental sha256 whose digest may be computed elsewhere (another thread). */
export interface Sha256 {
  init(): void;
  update(chunk: Uint8Array): void;
  digest(): Promise<string>;
  /** Frees what it holds (its worker); the hasher is unusable after. */
  dispose(): void;
}

const BATCH = 4 * 1024 * 1024;

/**
 * sha256 off the writing thread: chunks are copied into 4 MiB batches and handed (transferred,
 * not copied again) to a worker of their own, so hashing overlaps with the network and the
 * writes. In wasm, sha256 runs at ~150–300 MB/s, slower than a disk or a fast network: on
 * the same thread it would add its time to every chunk's. Falls back to hashing in place
 * where there are no workers (Node, tests).
 */
export async function createSha256(): Promise<Sha256> {
  if (typeof Worker === 'undefined') return inPlace();
  const worker = new Worker(new URL('./sha256-worker.ts', import.meta.url), { type: 'module', name: 'sha256' });
  let batch = new Uint8Array(BATCH);
  let fill = 0;
  const send = () => {
    if (!fill) return;
    const full = fill === batch.byteLength ? batch : batch.slice(0, fill);
    worker.postMessage({ op: 'update', chunk: full }, [full.buffer]);
    batch = new Uint8Array(BATCH);
    fill = 0;
  };
  return {
    init() {
      fill = 0;
      worker.postMessage({ op: 'init' });
    },
    update(chunk) {
      for (let from = 0; from < chunk.byteLength; ) {
        const n = Math.min(BATCH - fill, chunk.byteLength - from);
        batch.set(chunk.subarray(from, from + n), fill);
        fill += n;
        from += n;
        if (fill === BATCH) send();
      }
    },
    digest() {
      send();
      return new Promise((resolve, reject) => {
        worker.onmessage = (e: MessageEvent<string>) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(`sha256 worker: ${e.message}`));
        worker.postMessage({ op: 'digest' });
      });
    },
    dispose: () => worker.terminate(),
  };
}

async function inPlace(): Promise<Sha256> {
  const h = await createSHA256();
  return { init: () => void h.init(), update: (c) => void h.update(c), digest: async () => h.digest('hex'), dispose() {} };
}
