// The engine's whole interface, documented here once. `Engine` (engine.ts) implements it in the
// worker; the page's `EngineClient` (client.ts) is made from it over comlink.
import type { ExportLayout, Mismatch } from '../cache/index.ts';
import type { HubTrust } from './hub-gate.ts';
import type {
  BackendChoice, CachedRepo, CacheTarget, Deleted, DownloadedModel, EngineEvent, GeneratedImages, GenerateOptions, ModelCard, ModelListing, ModelSource, NetworkEntry, PreparedModel,
  PromptTokenCount, StorageKind, WebnnSupport, WhoAmI,
} from './types.ts';

/** Who is signed in to a Hub, and whether the token is remembered on this device (the token itself never leaves the engine). */
export interface Account {
  who: WhoAmI;
  remembered: boolean;
}

/** The folder the cache is in, when the user chose one, and whether the page must ask again (with a click) before writing it. */
export interface CacheFolder {
  name: string;
  handle: FileSystemDirectoryHandle;
  permission: PermissionState;
}

/** The result of re-hashing a cached repo: how many files were checked, and those that do not match the Hub's ids. */
export interface VerifyReport {
  checked: number;
  mismatches: (Mismatch & { commit: string })[];
}

/** A cached commit to write into a folder the user picked, as a plain folder or in the Hugging Face cache layout. */
export interface ExportRequest {
  /** The hub the files came from (as the inventory says); default the official Hub. */
  hub?: string;
  repo: string;
  commit: string;
  layout: ExportLayout;
  /** From `showDirectoryPicker({ mode: 'readwrite' })`. */
  target: FileSystemDirectoryHandle;
}

/**
 * Everything the engine does: find a model on the Hub, keep it in the browser's storage, make
 * images with onnxruntime-web. Every method is asynchronous, as it is across the worker boundary.
 */
export interface EngineApi {
  /**
   * Makes sure the model is cached (downloading only what is missing) and its onnxruntime
   * sessions are open; cheap when they already are. `onEvent` reports download progress.
   */
  prepare(source: ModelSource, onEvent?: (e: EngineEvent) => void): Promise<PreparedModel>;

  /**
   * Gets a cached model ready before anyone asks for an image: opens its sessions from the cache
   * (no network request) and makes one throw-away image at the model's defaults, so the GPU's
   * shaders are compiled and the next `generate` starts at full speed. Resolves with undefined,
   * doing nothing, when the model is not complete in the cache.
   */
  warmUp(source: ModelSource, onEvent?: (e: EngineEvent) => void): Promise<PreparedModel | undefined>;

  /**
   * Makes sure every file of the model is complete in the cache, downloading only what is
   * missing, without opening sessions (e.g. to fetch a model for later).
   */
  download(source: ModelSource, onEvent?: (e: EngineEvent) => void): Promise<DownloadedModel>;

  /**
   * Makes one image or a batch, preparing the model first when needed (so a first call may
   * download the whole model). Settings left out take the model's defaults (SD-Turbo: 1 step,
   * no guidance; SD: 25 steps at 7.5; LCM: 4 steps at 8). `onEvent` reports download progress
   * and each stage.
   */
  generate(source: ModelSource, options: GenerateOptions, onEvent?: (e: EngineEvent) => void): Promise<GeneratedImages>;

  /**
   * Counts a prompt's tokens as the model will read it (A1111's counter: `37/75`, `112/150`), with
   * the model's own tokenizer when it is open or cached, else the CLIP tokenizer every Stable
   * Diffusion model shares. Makes no network request and opens no session; answers while a
   * generation runs. A prompt of any length costs what its first `maxTokens` tokens cost.
   */
  countTokens(source: ModelSource, prompt: string): Promise<PromptTokenCount>;

  /** Stops the download or generation under way; it rejects with an `AbortError`. */
  cancel(): Promise<void>;

  /**
   * License, gating, variants and size of a model before anything is downloaded: from the cache
   * when this revision was listed before (no request), else from the Hub's API (and then kept).
   * The card names the variant `source` will download and open, and its size.
   */
  inspect(source: ModelSource): Promise<ModelCard>;

  /**
   * What the Hub's listing of each repo's `main` says (sizes and precision of each variant,
   * gating, license), for a model picker: the listing kept on this device, else, when `lookUp`
   * is true, the Hub's (then kept). Repos with no listing here (offline, or not on this hub)
   * are left out. Makes no request when `lookUp` is false.
   */
  modelListings(hubUrl: string, models: string[], lookUp?: boolean): Promise<Record<string, ModelListing>>;

  /** Whether the WebNN backend can be offered (`navigator.ml.createContext()` gives a context here), and why not. */
  webnn(): Promise<WebnnSupport>;

  /**
   * Checks a Hugging Face token with the Hub (`whoami-v2`) and, if it is valid, uses it for that
   * Hub from now on. It is written to this device (IndexedDB) only when `remember` is true.
   */
  signIn(hubUrl: string, token: string, remember: boolean): Promise<WhoAmI>;

  /**
   * Whether the engine will use this hub: the official Hub always; any other only once the person
   * confirmed it (`confirmHub`). Until then every call that would reach it (`inspect`, `download`,
   * `signIn`, …) throws `HubNotConfirmedError` and sends nothing. Throws `InvalidHubUrlError` for
   * what is not an `http(s)` address.
   */
  hubStatus(hubUrl: string): Promise<HubTrust>;

  /**
   * The person confirmed, in the page, a hub other than the official one (shown by its origin, with
   * the warning that tokens pasted are sent there): the engine uses it from now on, and remembers
   * that on this device (per origin).
   */
  confirmHub(hubUrl: string): Promise<HubTrust>;

  /** Stops using a confirmed hub (closing its model) until it is confirmed again. */
  forgetHub(hubUrl: string): Promise<HubTrust>;

  /** Signs out of this Hub: drops the token from memory and deletes it from this device if it was remembered. */
  forgetToken(hubUrl: string): Promise<void>;

  /** Who is signed in to this Hub; undefined when nobody is. */
  account(hubUrl: string): Promise<Account | undefined>;

  /** Every request the engine has made on this device, oldest first. */
  networkLog(): Promise<NetworkEntry[]>;

  /** Empties the request log, in memory and on this device. */
  clearNetworkLog(): Promise<void>;

  /**
   * Uses a folder the user already has (a plain model folder or a Hugging Face cache folder) in
   * place: files found there are not downloaded. Pass a directory handle, or the files of an
   * `<input type="file" webkitdirectory>`. Resolves with the names of the folders in use.
   */
  useLocalFolder(folder: FileSystemDirectoryHandle | File[]): Promise<string[]>;

  /** Stops using the folders given to `useLocalFolder` (nothing in them is touched); resolves with the folders still in use, i.e. none. */
  forgetLocalFolders(): Promise<string[]>;

  /** Which backend holds the cache: `opfs`, `indexeddb` or `folder`. */
  storage(): Promise<StorageKind>;

  /**
   * Switches the cache to another backend, a setting kept on this device (files cached in the
   * other stay there). For `folder`, pass the folder the user picked
   * (`showDirectoryPicker({ mode: 'readwrite' })`).
   */
  useStorage(kind: StorageKind, folder?: FileSystemDirectoryHandle): Promise<StorageKind>;

  /** The cache's folder, when it is one, and whether access must be granted again. */
  storageFolder(): Promise<CacheFolder | undefined>;

  /** Every cached repo → revision → file, with sizes and dates. */
  cacheContents(): Promise<CachedRepo[]>;

  /**
   * Deletes everything (no argument), a repo, one commit of it (its files, manifest and the refs
   * pointing at it), or one file from the cache; closes the model first when it reads them. Only
   * what the app wrote is deleted (the records of its layout, never a folder wholesale; in a
   * picked folder only while the app's marker file is there), holding the file locks so no
   * download in another tab is writing them. Resolves with the files and bytes removed.
   */
  deleteFromCache(target?: CacheTarget): Promise<Deleted>;

  /**
   * Re-hashes every cached file of a repo (of the official Hub, or of `hubUrl`) against the Hub's ids (sha256 for LFS files, git blob id
   * otherwise), like `hf cache verify`. Needs no network: the ids are in the cached manifests.
   */
  verify(repo: string, hubUrl?: string): Promise<VerifyReport>;

  /** Writes a cached commit into a folder the user chose, plain or in the Hugging Face cache layout; resolves with the paths written. */
  exportModel(request: ExportRequest): Promise<{ written: string[] }>;

  /** Which backend images will be made on for `prefer` (WebGPU, wasm or WebNN), and why not the one asked for when it is not. */
  backend(prefer?: ModelSource['backend']): Promise<BackendChoice>;
}
