import type { PartialWriter, Store, StoredFile } from './store.ts';

// The worker-only sync access handle, which lib.dom does not declare.
interface SyncAccessHandle {
  write(data: Uint8Array, opts?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
type SyncCapableHandle = FileSystemFileHandle & { createSyncAccessHandle?: () => Promise<SyncAccessHandle> };
type MovableHandle = FileSystemFileHandle & { move(name: string): Promise<void> };

const PARTIAL = '.incomplete';

/**
 * Files in a directory of the File System API, under their readable keys as paths: the Origin
 * Private File System (the browser's own disk space for this origin, fast and large, not
 * visible as a normal folder; `DirectoryStore.opfs()`) or a folder on the user's disk that they
 * picked (`showDirectoryPicker`). Partial files are `<name>.incomplete` beside the final name
 * and are renamed when complete, like huggingface_hub's cache.
 */
export class DirectoryStore implements Store {
  constructor(
    private readonly root: Promise<FileSystemDirectoryHandle>,
    /** `opfs` for the Origin Private File System, `folder` for a folder the user picked on their disk. */
    readonly kind: 'opfs' | 'folder',
  ) {}

  /** The store on this origin's private file system (OPFS). */
  static opfs(): DirectoryStore {
    return new DirectoryStore(navigator.storage.getDirectory(), 'opfs');
  }

  /** Whether this browser context has OPFS at all (`navigator.storage.getDirectory`); the engine uses IndexedDB when not. */
  static isOpfsAvailable(): boolean {
    return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
  }

  private async dir(parts: string[], create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
    let dir = await this.root;
    for (const part of parts) {
      try {
        dir = await dir.getDirectoryHandle(part, { create });
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }
    return dir;
  }

  private async file(key: string, create: boolean): Promise<FileSystemFileHandle | undefined> {
    const parts = splitKey(key);
    const dir = await this.dir(parts.slice(0, -1), create);
    if (!dir) return undefined;
    try {
      return await dir.getFileHandle(parts[parts.length - 1], { create });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async get(key: string): Promise<Blob | undefined> {
    return (await this.file(key, false))?.getFile();
  }

  async partialSize(key: string): Promise<number> {
    return (await this.getPartial(key))?.size ?? 0;
  }

  async getPartial(key: string): Promise<Blob | undefined> {
    return (await this.file(key + PARTIAL, false))?.getFile();
  }

  async openPartial(key: string, offset: number): Promise<PartialWriter> {
    const handle = (await this.file(key + PARTIAL, true)) as SyncCapableHandle;
    const access = await handle.createSyncAccessHandle?.().catch((err: DOMException) => {
      // Only OPFS files in a worker have sync access; a folder on disk gets a writable instead.
      if (err.name === 'InvalidStateError' || err.name === 'NotSupportedError') return undefined;
      throw err;
    });
    if (access) {
      // Writes land in place, so a crash or reload keeps every byte written.
      access.truncate(offset);
      let at = offset;
      return {
        write: async (chunk) => {
          // Chromium writes what fits and returns the count when the quota runs out mid-chunk.
          const written = access.write(chunk, { at });
          at += written;
          if (written !== chunk.byteLength) throw new DOMException(`Only ${written} of ${chunk.byteLength} bytes could be written.`, 'QuotaExceededError');
        },
        flush: async () => access.flush(),
        close: async () => {
          access.flush();
          access.close();
        },
      };
    }
    // A writable goes to a swap file and is committed on close: flushing closes and reopens it,
    // so what was flushed survives a reload.
    const open = async (at: number) => {
      const w = await handle.createWritable({ keepExistingData: true });
      await w.truncate(at);
      await w.seek(at);
      return w;
    };
    let at = offset;
    let writable = await open(at);
    return {
      write: async (chunk) => {
        await writable.write(chunk as Uint8Array<ArrayBuffer>);
        at += chunk.byteLength;
      },
      flush: async () => {
        await writable.close();
        writable = await open(at);
      },
      close: () => writable.close(),
    };
  }

  async complete(key: string): Promise<void> {
    const partial = (await this.file(key + PARTIAL, false)) as MovableHandle | undefined;
    if (!partial) throw new Error(`No partial file for ${key}`);
    await this.deleteEntry(key);
    await partial.move(splitKey(key).pop()!);
  }

  async delete(key: string): Promise<void> {
    await this.deleteEntry(key);
    await this.deleteEntry(key + PARTIAL);
  }

  private async deleteEntry(key: string): Promise<void> {
    const parts = splitKey(key);
    const dir = await this.dir(parts.slice(0, -1), false);
    try {
      await dir?.removeEntry(parts[parts.length - 1], { recursive: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async readText(key: string): Promise<string | undefined> {
    return (await this.get(key))?.text();
  }

  /** Replaces the file at `key` with `text` through a writable stream, which the browser commits when it closes. */
  async writeText(key: string, text: string): Promise<void> {
    const handle = (await this.file(key, true))!;
    const writable = await handle.createWritable();
    await writable.write(text);
    await writable.close();
  }

  async list(prefix: string): Promise<StoredFile[]> {
    const parts = splitKey(prefix);
    const dir = await this.dir(parts, false);
    const out: StoredFile[] = [];
    if (dir) await walk(dir, parts.join('/'), out);
    return out;
  }
}

async function walk(dir: FileSystemDirectoryHandle, path: string, out: StoredFile[]): Promise<void> {
  // `entries()` is missing from lib.dom's FileSystemDirectoryHandle in some TS versions.
  for await (const [name, handle] of (dir as unknown as AsyncIterable<[string, FileSystemHandle]>)) {
    const key = path ? `${path}/${name}` : name;
    if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, key, out);
    else if (!name.endsWith(PARTIAL)) {
      const file = await (handle as FileSystemFileHandle).getFile();
      out.push({ key, size: file.size, lastModified: file.lastModified });
    }
  }
}

function splitKey(key: string): string[] {
  const parts = key.split('/').filter(Boolean);
  if (parts.some((p) => p === '.' || p === '..')) throw new Error(`Invalid cache key: ${key}`);
  return parts;
}

function isNotFound(err: unknown): boolean {
  return (err as DOMException)?.name === 'NotFoundError';
}
