import { createStore, get, set } from 'idb-keyval';
import { DirectoryStore, IdbStore, type Store } from '../cache/index.ts';

/** Where the cache lives: OPFS, IndexedDB, or a folder on the user's disk. */
export type StorageKind = 'opfs' | 'indexeddb' | 'folder';

export interface StorageChoice {
  kind: StorageKind;
  /** The folder the user picked (kept in IndexedDB: handles survive reloads, permissions may not). */
  folder?: FileSystemDirectoryHandle;
}

const settings = () => createStore('diffusion-studio-settings', 'settings');

/** OPFS unless the user chose otherwise, or the browser has no OPFS. */
export async function loadStorageChoice(): Promise<StorageChoice> {
  const saved = await get<StorageKind>('storage', settings()).catch(() => undefined);
  const folder = await get<FileSystemDirectoryHandle>('storage-folder', settings()).catch(() => undefined);
  if (saved === 'folder' && folder) return { kind: 'folder', folder };
  return { kind: saved === 'indexeddb' || !DirectoryStore.isOpfsAvailable() ? 'indexeddb' : 'opfs' };
}

export async function saveStorageChoice(choice: StorageChoice): Promise<void> {
  await set('storage', choice.kind, settings());
  if (choice.folder) await set('storage-folder', choice.folder, settings());
}

export function makeStore(choice: StorageChoice): Store {
  if (choice.kind === 'folder' && choice.folder) return new DirectoryStore(Promise.resolve(choice.folder), 'folder');
  return choice.kind === 'opfs' && DirectoryStore.isOpfsAvailable() ? DirectoryStore.opfs() : new IdbStore();
}

/** Whether the page must ask (with a click) before the folder can be written again. */
export async function folderPermission(folder: FileSystemDirectoryHandle): Promise<PermissionState> {
  const h = folder as FileSystemDirectoryHandle & { queryPermission?(o: object): Promise<PermissionState> };
  return (await h.queryPermission?.({ mode: 'readwrite' }).catch(() => undefined)) ?? 'granted';
}

/** The cache's backend as a setting: which store is in use, switching it, and its folder's permission. */
export class StorageSettings {
  private choice: StorageChoice = { kind: 'opfs' };
  private current!: Store;
  /** Resolves once the saved choice is read (or at once when a store is given). */
  readonly ready: Promise<void>;

  constructor(store?: Store) {
    this.ready = store
      ? Promise.resolve(void (this.current = store))
      : loadStorageChoice().then((choice) => {
          this.choice = choice;
          this.current = makeStore(choice);
        });
  }

  /** The store in use (after `ready`). */
  get store(): Store {
    return this.current;
  }

  get kind(): StorageKind {
    return this.current.kind as StorageKind;
  }

  /** The folder the cache is in (when it is a folder), and whether the page must ask to write it again. */
  async folder(): Promise<{ name: string; handle: FileSystemDirectoryHandle; permission: PermissionState } | undefined> {
    const folder = this.choice.folder;
    return this.choice.kind === 'folder' && folder ? { name: folder.name, handle: folder, permission: await folderPermission(folder) } : undefined;
  }

  /** Switches to another backend and saves the choice; `folder` is the folder the user picked. */
  async use(kind: StorageKind, folder?: FileSystemDirectoryHandle): Promise<StorageKind> {
    if (kind === 'folder' && !(folder ?? this.choice.folder)) throw new Error('Choose a folder first.');
    this.choice = kind === 'folder' ? { kind, folder: folder ?? this.choice.folder } : { kind };
    this.current = makeStore(this.choice);
    await saveStorageChoice(this.choice);
    return this.kind;
  }
}
