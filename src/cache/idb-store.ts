import { createStore, delMany, get, keys, set, type UseStore } from 'idb-keyval';
import type { PartialWriter, Store, StoredFile } from './store.ts';

/** One file's record; its bytes live in separate chunk records `<key>#<n>`. */
interface Meta {
  complete: boolean;
  chunkSizes: number[];
  lastModified: number;
}

/** No single IndexedDB value is larger than this: multi-GB files are many small records. */
export const IDB_CHUNK = 8 * 1024 * 1024;

const META = 'meta:';

/** A chunk a file's metadata lists is not stored (or not whole): the file is not served with a hole in it. */
export class MissingChunkError extends Error {
  override name = 'MissingChunkError';
}
const chunkKey = (key: string, n: number) => `chunk:${key}#${n}`;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * IndexedDB: the fallback where OPFS is missing, and a choice in settings. Files are written
 * incrementally as chunks of at most 8 MiB and read back as one Blob made of the chunk Blobs
 * (which the browser keeps on disk), so a file is never held whole in memory.
 */
export class IdbStore implements Store {
  readonly kind = 'indexeddb';
  private readonly db: UseStore;

  constructor(dbName = 'diffusion-studio-files') {
    this.db = createStore(dbName, 'files');
  }

  /** Whether this context has IndexedDB at all (Node, for one, does not). */
  static isAvailable(): boolean {
    return typeof indexedDB !== 'undefined';
  }

  private meta(key: string): Promise<Meta | undefined> {
    return get<Meta>(META + key, this.db);
  }

  /** The chunk records of a file, in order; a chunk missing or of another size than the metadata says is an error, never a hole. */
  private async chunks(key: string, meta: Meta): Promise<Blob[]> {
    const parts = await Promise.all(meta.chunkSizes.map((_, n) => get<Blob>(chunkKey(key, n), this.db)));
    const bad = parts.findIndex((p, n) => !p || p.size !== meta.chunkSizes[n]);
    if (bad >= 0) {
      throw new MissingChunkError(`${key}: piece ${bad + 1} of ${parts.length} is missing from IndexedDB (deleted while it was being written?): download it again.`);
    }
    return parts as Blob[];
  }

  private async blob(key: string, meta: Meta): Promise<Blob> {
    return new Blob(await this.chunks(key, meta));
  }

  /** The bytes of the partial's leading chunks that are really there (and the count of those chunks). */
  private async validPrefix(key: string, meta: Meta): Promise<{ chunks: number; bytes: number }> {
    let bytes = 0;
    for (let n = 0; n < meta.chunkSizes.length; n++) {
      const part = await get<Blob>(chunkKey(key, n), this.db);
      if (!part || part.size !== meta.chunkSizes[n]) return { chunks: n, bytes };
      bytes += part.size;
    }
    return { chunks: meta.chunkSizes.length, bytes };
  }

  async get(key: string): Promise<Blob | undefined> {
    const meta = await this.meta(key);
    return meta?.complete ? this.blob(key, meta) : undefined;
  }

  /** What a resumed download continues from: the partial's chunks that are really stored (not what its metadata claims). */
  async partialSize(key: string): Promise<number> {
    const meta = await this.meta(key);
    return meta && !meta.complete ? (await this.validPrefix(key, meta)).bytes : 0;
  }

  async getPartial(key: string): Promise<Blob | undefined> {
    const meta = await this.meta(key);
    return meta && !meta.complete ? this.blob(key, meta) : undefined;
  }

  async openPartial(key: string, offset: number): Promise<PartialWriter> {
    const old = await this.meta(key);
    // Chunks past the first missing one are of no use: the file resumes from the hole.
    const sizes = old && !old.complete ? old.chunkSizes.slice(0, (await this.validPrefix(key, old)).chunks) : [];
    if (sum(sizes) < offset) {
      throw new MissingChunkError(`${key}: the partial download holds ${sum(sizes)} bytes, not the ${offset} to resume from.`);
    }
    if (old?.complete) await this.delete(key);
    // Keep whole chunks below `offset`; the chunk it falls in becomes the pending buffer.
    let kept = 0;
    let n = 0;
    while (n < sizes.length && kept + sizes[n] <= offset) kept += sizes[n++];
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    if (kept < offset) {
      const head = await get<Blob>(chunkKey(key, n), this.db);
      pending = [new Uint8Array(await head!.slice(0, offset - kept).arrayBuffer())];
      pendingBytes = offset - kept;
    }
    await delMany((old?.chunkSizes ?? []).slice(n).map((_, i) => chunkKey(key, n + i)), this.db);
    const chunkSizes = sizes.slice(0, n);
    const save = () => set(META + key, { complete: false, chunkSizes, lastModified: Date.now() } satisfies Meta, this.db);
    await save();
    const writeChunk = async () => {
      if (!pendingBytes) return;
      const index = chunkSizes.length;
      await set(chunkKey(key, index), new Blob(pending as BlobPart[]), this.db);
      chunkSizes.push(pendingBytes);
      pending = [];
      pendingBytes = 0;
      await save();
    };
    return {
      write: async (chunk) => {
        for (let at = 0; at < chunk.byteLength; ) {
          const take = Math.min(IDB_CHUNK - pendingBytes, chunk.byteLength - at);
          pending.push(chunk.slice(at, at + take));
          pendingBytes += take;
          at += take;
          if (pendingBytes === IDB_CHUNK) await writeChunk();
        }
      },
      flush: writeChunk,
      close: writeChunk,
    };
  }

  /** Marks the partial complete, after checking that every chunk its metadata lists is stored whole. */
  async complete(key: string): Promise<void> {
    const meta = await this.meta(key);
    if (!meta || meta.complete) throw new Error(`No partial file for ${key}`);
    try {
      await this.chunks(key, meta);
    } catch (err) {
      await this.delete(key); // what is left cannot be trusted: the next attempt starts again
      throw err;
    }
    await set(META + key, { ...meta, complete: true, lastModified: Date.now() }, this.db);
  }

  async delete(key: string): Promise<void> {
    const prefix = key.replace(/\/+$/, '');
    const doomed: IDBValidKey[] = [];
    for (const k of (await keys(this.db)) as string[]) {
      const name = k.startsWith(META) ? k.slice(META.length) : k.startsWith('chunk:') ? k.slice(6, k.lastIndexOf('#')) : k.slice(5);
      if (name === prefix || name.startsWith(prefix + '/')) doomed.push(k);
    }
    await delMany(doomed, this.db);
  }

  async readText(key: string): Promise<string | undefined> {
    return get<string>(`text:${key}`, this.db);
  }

  /** Keeps the text as one record apart from file chunks: `readText` and `list` see it, `get` does not. */
  async writeText(key: string, text: string): Promise<void> {
    await set(`text:${key}`, text, this.db);
  }

  async list(prefix: string): Promise<StoredFile[]> {
    const p = prefix.replace(/\/+$/, '') + '/';
    const out: StoredFile[] = [];
    for (const k of (await keys(this.db)) as string[]) {
      if (k.startsWith(META) && k.slice(META.length).startsWith(p)) {
        const meta = (await get<Meta>(k, this.db))!;
        if (meta.complete) out.push({ key: k.slice(META.length), size: sum(meta.chunkSizes), lastModified: meta.lastModified });
      } else if (k.startsWith('text:') && k.slice(5).startsWith(p)) {
        out.push({ key: k.slice(5), size: ((await get<string>(k, this.db)) ?? '').length, lastModified: 0 });
      }
    }
    return out;
  }
}

