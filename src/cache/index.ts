/**
 * Where model files live: one Store interface, backends, the readable layout, downloads into it.
 * @module
 */
export type { Store, PartialWriter, StoredFile } from './store.ts';
export { DirectoryStore } from './directory-store.ts';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.ts';
export { MODELS, repoKey, fileKey, refKey, manifestKey } from './layout.ts';
export {
  downloadToStore,
  DownloadSizeError,
  IntegrityError,
  ConnectionClosedError,
  type DownloadSource,
  type DownloadTarget,
  type DownloadOptions,
  type DownloadReport,
} from './download-to-store.ts';
export { inventory, type CachedRepo, type CachedRevision, type CachedFile } from './inventory.ts';
export { IdbStore, IDB_CHUNK } from './idb-store.ts';
export { LocalModelFolder, handleDir, filesDir, type Dir, type FoundHow } from './local-folder.ts';
export { contentId, verifyFiles, type Mismatch } from './verify.ts';
export { exportSnapshot, type ExportLayout } from './export.ts';
