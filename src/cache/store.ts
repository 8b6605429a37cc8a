/**
 * Where cached files live. Keys are readable `/`-separated paths such as
 * `models/org/name/<commit>/unet/model.onnx`; a backend maps them to its own storage.
 *
 * A file is either *partial* (being written, can be resumed) or *complete* (verified).
 * Only complete files are ever returned by `get`, so nothing half-written can be opened.
 */
export interface Store {
  /** A short name for people: `opfs`, `indexeddb`, `folder`, `memory`. */
  readonly kind: string;
  /** The complete file at `key`, or undefined. */
  get(key: string): Promise<Blob | undefined>;
  /** Bytes already written to the partial file at `key` (0 when there is none). */
  partialSize(key: string): Promise<number>;
  /** The partial file's bytes so far (to re-hash them when resuming), or undefined. */
  getPartial(key: string): Promise<Blob | undefined>;
  /** Opens the partial file for appending from `offset` (earlier bytes kept, later ones dropped). */
  openPartial(key: string, offset: number): Promise<PartialWriter>;
  /** Turns the partial at `key` into the complete file (after the caller verified it). */
  complete(key: string): Promise<void>;
  /** Deletes the complete and the partial file at `key`, or everything under `key` when it is a folder. */
  delete(key: string): Promise<void>;
  /** Small text records (refs, manifests), written whole. */
  readText(key: string): Promise<string | undefined>;
  /** Replaces the text record at `key` in one go; there is no partial stage for these. */
  writeText(key: string, text: string): Promise<void>;
  /** Every complete key under `prefix`, with its size and time of last change. */
  list(prefix: string): Promise<StoredFile[]>;
}

/** Appends to a partial file (from `Store.openPartial`); what was written is sure to survive a reload only after `flush` or `close`. */
export interface PartialWriter {
  /** Appends `chunk` after what was written so far; rejects (a `QuotaExceededError`, usually) when storage is full. */
  write(chunk: Uint8Array): Promise<void>;
  /** Makes what was written durable (a reload can resume from here). */
  flush(): Promise<void>;
  /** Writes out what is still buffered and lets go of the file, which stays partial until `Store.complete`. */
  close(): Promise<void>;
}

/** One complete entry as `Store.list` reports it: size in bytes, last change in ms since epoch (0 where the backend does not know). */
export interface StoredFile {
  key: string;
  size: number;
  lastModified: number;
}
