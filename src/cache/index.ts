/** Where model files live: one Store interface, backends, the readable layout, downloads into it. */
export type { Store, PartialWriter, StoredFile } from './store.ts';
export { OpfsStore } from './opfs-store.ts';
export { MODELS, repoKey, fileKey, refKey, manifestKey } from './layout.ts';
export { downloadToStore, DownloadSizeError, type DownloadSource, type DownloadTarget } from './download-to-store.ts';
