// A Store on a directory handle: the origin-private file system (OPFS) or a folder the person
// picked (the app then keeps to its own marked folder inside it, see app-folder.ts). Files are
// written through sync access handles in the worker, partials apart from complete files.
// (Over 300 lines: the File System Access API needs a path walk, locking and partial-file
// bookkeeping that belong together.)
import { appFolderIn, hasMarker, MarkerMissingError, MARKER_FILE, writeMarker } from './app-folder.ts';
import { MODELS } from './layout.ts';
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
type MovableHandle = FileSystemFileHandle & { move(dir: FileSystemDirectoryHandle, name: string): Promise<void> };

/**
 * Downloads under way live in a folder of their own, `partials/<key>`, never beside the finished
 * files: a repo may hold a file named anything, `model.onnx.incomplete` included, and it must not
 * be taken for another file's partial.
 */
const PARTIALS = 'partials';
/** Where partials were kept before (`<key>.incomplete` beside the file): removed once per store, see `sweepLegacyPartials`. */
const LEGACY_PARTIAL = '.incomplete';

/**
 * Files in a directory of the File System API, under their readable keys as paths: the Origin
 * Private File System (the browser's own disk space for this origin, fast and large, not
 * visible as a normal folder; `DirectoryStore.opfs()`) or a folder on the user's disk that they
 * picked (`DirectoryStore.inPickedFolder()`: the app's own `diffusion-studio-cache/` inside it,
 * see app-folder.ts). Partial files are `partials/<key>` and are moved to `<key>` when complete.
 */
export class DirectoryStore implements Store {
  private rootReady?: Promise<FileSystemDirectoryHandle>;

  constructor(
    /** The directory the keys are paths in, when it is ready to use (made, marked, swept). */
    private readonly openRoot: () => Promise<FileSystemDirectoryHandle>,
    /** `opfs` for the Origin Private File System, `folder` for a folder the user picked on their disk. */
    readonly kind: 'opfs' | 'folder',
  ) {}

  /** The store on this origin's private file system (OPFS). */
  static opfs(): DirectoryStore {
    return new DirectoryStore(async () => {
      const root = await navigator.storage.getDirectory();
      if (!(await hasMarker(root))) {
        await sweepLegacyPartials(root);
        await writeMarker(root).catch(() => {}); // a full disk: sweep again next time
      }
      return root;
    }, 'opfs');
  }

  /**
   * The store in a folder the user picked: in `diffusion-studio-cache/` inside it, made (with its
   * marker) on first use; the folder's other contents are never read, written or deleted.
   */
  static inPickedFolder(picked: FileSystemDirectoryHandle): DirectoryStore {
    return new DirectoryStore(() => appFolderIn(picked), 'folder');
  }

  /** Whether this browser context has OPFS at all (`navigator.storage.getDirectory`); the engine uses IndexedDB when not. */
  static isOpfsAvailable(): boolean {
    return typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function';
  }

  /** Gets the root ready now (makes the app's folder and its marker in a picked folder), so a folder that cannot be used is said at once. */
  async open(): Promise<void> {
    await this.root();
  }

  /** The root, once ready; a failure (no permission yet, a foreign folder) is tried again on the next call. */
  private root(): Promise<FileSystemDirectoryHandle> {
    this.rootReady ??= this.openRoot().catch((err) => {
      this.rootReady = undefined;
      throw err;
    });
    return this.rootReady;
  }

  /** The directory handles from the root down to `parts` (the root first), or undefined when one is missing. */
  private async dirs(parts: string[], create: boolean): Promise<FileSystemDirectoryHandle[] | undefined> {
    const chain = [await this.root()];
    for (const part of parts) {
      try {
        chain.push(await chain[chain.length - 1]!.getDirectoryHandle(part, { create }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }
    return chain;
  }

  private async dir(parts: string[], create: boolean): Promise<FileSystemDirectoryHandle | undefined> {
    return (await this.dirs(parts, create))?.at(-1);
  }

  private async file(parts: string[], create: boolean): Promise<FileSystemFileHandle | undefined> {
    const dir = await this.dir(parts.slice(0, -1), create);
    if (!dir) return undefined;
    try {
      return await dir.getFileHandle(parts[parts.length - 1]!, { create });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async get(key: string): Promise<Blob | undefined> {
    return (await this.file(splitKey(key), false))?.getFile();
  }

  async partialSize(key: string): Promise<number> {
    return (await this.getPartial(key))?.size ?? 0;
  }

  async getPartial(key: string): Promise<Blob | undefined> {
    return (await this.file(partialParts(key), false))?.getFile();
  }

  async openPartial(key: string, offset: number): Promise<PartialWriter> {
    const handle = (await this.file(partialParts(key), true)) as SyncCapableHandle;
    const access = await syncAccess(handle);
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
          try {
            access.flush();
          } finally {
            access.close();
          }
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
    const parts = splitKey(key);
    const partial = (await this.file(partialParts(key), false)) as MovableHandle | undefined;
    if (!partial) throw new Error(`No partial file for ${key}`);
    await this.removeEntry(parts);
    const dir = (await this.dir(parts.slice(0, -1), true))!;
    const name = parts[parts.length - 1]!;
    try {
      await partial.move(dir, name);
    } catch (err) {
      // Moving between folders is not offered everywhere outside OPFS: copy, then drop the partial.
      if ((err as DOMException)?.name === 'QuotaExceededError') throw err;
      const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await (await partial.getFile()).stream().pipeTo(writable);
      await this.removeEntry(partialParts(key));
    }
    // Empty folders under partials/ stay until a deletion: removing one while another file of the
    // download is being opened in it would lock that file out (the browser locks whole paths).
  }

  /** Deletes the file or folder at `key` and its partials; in a picked folder, only while the app's marker is there. */
  async delete(key: string): Promise<void> {
    if (this.kind === 'folder' && !(await hasMarker(await this.root()))) {
      throw new MarkerMissingError(`The app's folder has no ${MARKER_FILE} any more, so the app deletes nothing in it: nothing was deleted.`);
    }
    const parts = splitKey(key);
    await this.removeEntry(parts);
    await this.removeEntry([PARTIALS, ...parts]);
    await this.prune(parts.slice(0, -1));
    await this.prune([PARTIALS, ...parts.slice(0, -1)]);
  }

  private async removeEntry(parts: string[]): Promise<void> {
    const dir = await this.dir(parts.slice(0, -1), false);
    try {
      await dir?.removeEntry(parts[parts.length - 1]!, { recursive: true });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Removes the folders along `parts` that are now empty, deepest first, down to a repo's folder's
   * parent at most: never the root nor a hub's folder (`models`, `hubs/<hub>`, and theirs under
   * partials/), which other downloads work in, and never a folder with anything in it.
   */
  private async prune(parts: string[]): Promise<void> {
    const chain = await this.dirs(parts, false);
    if (!chain) return;
    const keep = hubFolderDepth(parts);
    for (let i = chain.length - 1; i > keep; i--) {
      try {
        await chain[i - 1]!.removeEntry(parts[i - 1]!); // not recursive: refused when not empty
      } catch {
        return;
      }
    }
  }

  async readText(key: string): Promise<string | undefined> {
    return (await this.get(key))?.text();
  }

  /** Replaces the file at `key` with `text` through a writable stream, which the browser commits when it closes. */
  async writeText(key: string, text: string): Promise<void> {
    const handle = (await this.file(splitKey(key), true))!;
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
  for await (const [name, handle] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
    const key = path ? `${path}/${name}` : name;
    if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, key, out);
    else {
      const file = await (handle as FileSystemFileHandle).getFile();
      out.push({ key, size: file.size, lastModified: file.lastModified });
    }
  }
}

/**
 * Before partials had a folder of their own, a download under way was `<key>.incomplete` beside
 * the file, which cannot be told apart from a repo file of that name. Once per OPFS (until the
 * marker is written) every such file under `models/` is deleted: a partial download starts
 * again, a real file of that name is downloaded again, and neither is ever taken for the other.
 */
async function sweepLegacyPartials(root: FileSystemDirectoryHandle): Promise<void> {
  let models: FileSystemDirectoryHandle;
  try {
    models = await root.getDirectoryHandle(MODELS);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  const sweep = async (dir: FileSystemDirectoryHandle): Promise<void> => {
    const doomed: string[] = [];
    for await (const [name, handle] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
      if (handle.kind === 'directory') await sweep(handle as FileSystemDirectoryHandle);
      else if (name.endsWith(LEGACY_PARTIAL)) doomed.push(name);
    }
    for (const name of doomed) await dir.removeEntry(name);
  };
  await sweep(models);
}

function splitKey(key: string): string[] {
  const parts = key.split('/').filter(Boolean);
  if (parts.some((p) => p === '.' || p === '..')) throw new Error(`Invalid cache key: ${key}`);
  return parts;
}

const partialParts = (key: string) => [PARTIALS, ...splitKey(key)];

/** How many leading parts of a key's path are the hub's folder (and `partials/` before it): 1 for `models/…`, 2 for `hubs/<hub>/…`, one more under partials/. */
function hubFolderDepth(parts: string[]): number {
  const at = parts[0] === PARTIALS ? 1 : 0;
  return at + (parts[at] === MODELS ? 1 : 2);
}

/**
 * A sync access handle on an OPFS file (undefined for a folder on disk, which gets a writable).
 * The browser locks whole paths for a moment when a folder above is changed (another tab
 * deleting a repo): such a refusal is waited out a few times before it is taken for an error.
 */
async function syncAccess(handle: SyncCapableHandle): Promise<SyncAccessHandle | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await handle.createSyncAccessHandle?.();
    } catch (err) {
      const name = (err as DOMException).name;
      // Only OPFS files in a worker have sync access; a folder on disk gets a writable instead.
      if (name === 'InvalidStateError' || name === 'NotSupportedError') return undefined;
      if (name !== 'NoModificationAllowedError' || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
  }
}

function isNotFound(err: unknown): boolean {
  return (err as DOMException)?.name === 'NotFoundError';
}
