import { createStore, get, set } from 'idb-keyval';
import { IdbStore, OpfsStore, type Store } from '../cache/index.ts';

export type StorageKind = 'opfs' | 'indexeddb';

const settings = () => createStore('diffusion-studio-settings', 'settings');

/** OPFS unless the user chose IndexedDB, or the browser has no OPFS. */
export async function loadStorageChoice(): Promise<StorageKind> {
  const saved = await get<StorageKind>('storage', settings()).catch(() => undefined);
  return saved === 'indexeddb' || !OpfsStore.isAvailable() ? 'indexeddb' : 'opfs';
}

export function saveStorageChoice(kind: StorageKind): Promise<void> {
  return set('storage', kind, settings());
}

export function makeStore(kind: StorageKind): Store {
  return kind === 'opfs' && OpfsStore.isAvailable() ? new OpfsStore() : new IdbStore();
}
