import type { PartialWriter, Store, StoredFile } from './store.ts';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Bytes of file content the store may hold (complete and partial files together); a write
   * past it stores what fits and rejects with a `QuotaExceededError`, as a full OPFS does.
   * No limit when left out.
   */
  quota?: number;
}

/** A file's bytes as the chunks that were written (no copy into one growing buffer). */
interface Entry {
  chunks: Uint8Array[];
  size: number;
  lastModified: number;
}

const blobOf = (e: Entry) => new Blob(e.chunks as Uint8Array<ArrayBuffer>[]);

/** The first `n` bytes of `e`, as a new entry. */
function truncated(e: Entry | undefined, n: number): Entry {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const c of e?.chunks ?? []) {
    if (size >= n) break;
    const part = c.subarray(0, Math.min(c.byteLength, n - size));
    chunks.push(part);
    size += part.byteLength;
  }
  return { chunks, size, lastModified: Date.now() };
}

/**
 * Files kept in this process's memory, gone when it ends: for Node (tests, scripts, a program
 * that uses the engine's download code without a browser) and anywhere no lasting storage is
 * wanted. Behaves like the other backends: partial files can be resumed, only complete ones
 * are returned by `get`, and `list` shows complete files and text records.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  private readonly files = new Map<string, Entry>();
  private readonly partials = new Map<string, Entry>();
  private readonly texts = new Map<string, string>();

  constructor(private readonly options: MemoryStoreOptions = {}) {}

  /** Bytes of file content held now (complete and partial). */
  get usage(): number {
    let n = 0;
    for (const e of [...this.files.values(), ...this.partials.values()]) n += e.size;
    return n;
  }

  async get(key: string): Promise<Blob | undefined> {
    const e = this.files.get(key);
    return e && blobOf(e);
  }

  async partialSize(key: string): Promise<number> {
    return this.partials.get(key)?.size ?? 0;
  }

  async getPartial(key: string): Promise<Blob | undefined> {
    const e = this.partials.get(key);
    return e && blobOf(e);
  }

  async openPartial(key: string, offset: number): Promise<PartialWriter> {
    const entry = truncated(this.partials.get(key), offset);
    this.partials.set(key, entry);
    return {
      write: async (chunk) => {
        const room = this.options.quota === undefined ? chunk.byteLength : Math.max(0, this.options.quota - this.usage);
        // A copy: the caller may reuse its buffer.
        const taken = chunk.slice(0, Math.min(room, chunk.byteLength));
        entry.chunks.push(taken);
        entry.size += taken.byteLength;
        entry.lastModified = Date.now();
        if (taken.byteLength < chunk.byteLength) {
          throw new DOMException(`Only ${taken.byteLength} of ${chunk.byteLength} bytes could be written.`, 'QuotaExceededError');
        }
      },
      flush: async () => {},
      close: async () => {},
    };
  }

  async complete(key: string): Promise<void> {
    const partial = this.partials.get(key);
    if (!partial) throw new Error(`No partial file for ${key}`);
    this.partials.delete(key);
    this.files.set(key, { ...partial, lastModified: Date.now() });
  }

  async delete(key: string): Promise<void> {
    const prefix = key.replace(/\/+$/, '');
    for (const map of [this.files, this.partials, this.texts]) {
      for (const k of [...map.keys()]) if (k === prefix || k.startsWith(prefix + '/')) map.delete(k);
    }
  }

  async readText(key: string): Promise<string | undefined> {
    return this.texts.get(key);
  }

  async writeText(key: string, text: string): Promise<void> {
    this.texts.set(key, text);
  }

  async list(prefix: string): Promise<StoredFile[]> {
    const p = prefix.replace(/\/+$/, '') + '/';
    const out: StoredFile[] = [];
    for (const [key, e] of this.files) if (key.startsWith(p)) out.push({ key, size: e.size, lastModified: e.lastModified });
    for (const [key, text] of this.texts) if (key.startsWith(p)) out.push({ key, size: text.length, lastModified: 0 });
    return out;
  }
}
