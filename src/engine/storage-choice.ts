import { createStore, get, set } from 'idb-keyval';
import { IdbStore, OpfsStore, type Store } from '../cache/index.ts';

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
  return { kind: saved === 'indexeddb' || !OpfsStore.isAvailable() ? 'indexeddb' : 'opfs' };
}

export async function saveStorageChoice(choice: StorageChoice): Promise<void> {
  await set('storage', choice.kind, settings());
  if (choice.folder) await set('storage-folder', choice.folder, settings());
}

export function makeStore(choice: StorageChoice): Store {
  if (choice.kind === 'folder' && choice.folder) return new OpfsStore(Promise.resolve(choice.folder), 'folder');
  return choice.kind === 'opfs' && OpfsStore.isAvailable() ? new OpfsStore() : new IdbStore();
}

/** Whether the page must ask (with a click) before the folder can be written again. */
export async function folderPermission(folder: FileSystemDirectoryHandle): Promise<PermissionState> {
  const h = folder as FileSystemDirectoryHandle & { queryPermission?(o: object): Promise<PermissionState> };
  return (await h.queryPermission?.({ mode: 'readwrite' }).catch(() => undefined)) ?? 'granted';
}
