import { filesDir, handleDir, inventory, LocalModelFolder, type CachedRepo, type ExportLayout, type Mismatch, type Store } from '../cache/index.ts';
import { StorageSettings, type StorageKind } from './storage-choice.ts';
import { chooseBackend, Float16UnsupportedError, type BackendChoice } from '../runtime/index.ts';
import { deleteFromCache, exportCommit, verifyRepo } from './cache-admin.ts';
import { ensureModel, locate } from './ensure-model.ts';
import { cachedManifest, fetchManifest, notCachedOffline } from './manifest.ts';
import { cachedRepoReader, describeModel, filesWithSources, makeImages, openModel, type OpenModel } from './generation.ts';
import { NetworkLog, type NetworkEntry } from './network-log.ts';
import { TokenKeeper } from './token-keeper.ts';
import { listRefs, modelPageUrl, type WhoAmI } from '../hub/index.ts';
import type { DownloadedModel, ModelCard, EngineEvent, GeneratedImage, GenerateOptions, ModelSource, PreparedModel } from './types.ts';

type Loaded = { open: OpenModel; prepared: PreparedModel & { requestedBackend: string }; gpuResident: boolean; warm?: boolean };

/**
 * The whole product without a UI: finds a model on the Hub, keeps it in the browser's
 * storage, and makes images with onnxruntime-web. Runs in a Web Worker (see worker.ts);
 * every method can also be called directly in any module context that has the same APIs.
 */
export class Engine {
  private loaded?: Loaded;
  private controller?: AbortController;
  private readonly tokens = new TokenKeeper();
  private local: LocalModelFolder[] = [];
  private readonly network = new NetworkLog();
  private readonly fetch = this.network.wrap();

  private readonly storageSettings: StorageSettings;

  /** With no store given, uses the backend chosen in settings (OPFS by default, IndexedDB without OPFS). */
  constructor(store?: Store) {
    this.storageSettings = new StorageSettings(store);
    this.ready = this.storageSettings.ready;
  }

  private readonly ready: Promise<void>;
  private get store(): Store {
    return this.storageSettings.store;
  }

  /** Which backend holds the cache: `opfs`, `indexeddb` or `folder`. */
  async storage(): Promise<StorageKind> {
    await this.ready;
    return this.storageSettings.kind;
  }

  /** The folder the cache is in (when it is a folder), and whether the page must ask to write it again. */
  async storageFolder(): Promise<{ name: string; handle: FileSystemDirectoryHandle; permission: PermissionState } | undefined> {
    await this.ready;
    return this.storageSettings.folder();
  }

  /**
   * Switches the cache to another backend (files already cached in the other stay there).
   * For `folder`, pass the folder the user picked (`showDirectoryPicker({ mode: 'readwrite' })`).
   */
  async useStorage(kind: StorageKind, folder?: FileSystemDirectoryHandle): Promise<StorageKind> {
    await this.ready;
    return this.storageSettings.use(kind, folder);
  }

  /**
   * Uses a folder the user already has (a plain model folder or a Hugging Face cache folder)
   * in place: files found there are not downloaded. Pass a directory handle, or the files of
   * an `<input type="file" webkitdirectory>`. Returns the names of the folders in use.
   */
  useLocalFolder(folder: FileSystemDirectoryHandle | File[]): string[] {
    const dir = Array.isArray(folder) ? filesDir(folder) : handleDir(folder);
    this.local = [...this.local.filter((l) => l.name !== dir.name), new LocalModelFolder(dir)];
    this.loaded = undefined;
    return this.localFolders();
  }

  /** Stops using local folders (nothing in them is touched). */
  forgetLocalFolders(): string[] {
    this.local = [];
    return [];
  }

  localFolders(): string[] {
    return this.local.map((l) => l.name);
  }

  /**
   * Checks a Hugging Face token with the Hub (`whoami-v2`) and, if it is valid, uses it for
   * that Hub from now on. It is written to this device (IndexedDB) only when `remember` is true.
   */
  signIn(hubUrl: string, token: string, remember: boolean): Promise<WhoAmI> {
    return this.tokens.signIn(hubUrl, token.trim(), remember, this.fetch);
  }

  /** Forgets the token for this Hub, in memory and on this device. */
  forgetToken(hubUrl: string): Promise<void> {
    return this.tokens.forget(hubUrl);
  }

  /** Who is signed in to this Hub, and whether the token is remembered on this device. */
  account(hubUrl: string): Promise<{ who: WhoAmI; remembered: boolean } | undefined> {
    return this.tokens.current(hubUrl);
  }

  /** Every request the engine has made on this device, oldest first. */
  networkLog(): Promise<NetworkEntry[]> {
    return this.network.all();
  }

  clearNetworkLog(): Promise<void> {
    return this.network.clear();
  }

  /**
   * What the model is (license, gated, size) before anything is downloaded: from the cache
   * when this revision was seen before (no request), else from the Hub's API.
   */
  async inspect(source: ModelSource): Promise<ModelCard> {
    const revision = source.revision || 'main';
    await this.ready;
    const cached = await cachedManifest(this.store, source.model, revision);
    if (!cached && source.offline) throw notCachedOffline(source.model, revision);
    const m = cached ?? (await fetchManifest(await this.hubOptions(source), source.model, revision));
    const complete = cached !== undefined && (await locate(this.store, cached, [])).missing.length === 0;
    return {
      model: m.repo, revision, commit: m.commit, license: m.license, gated: m.gated, private: m.private ?? false,
      totalBytes: m.files.reduce((s, f) => s + f.size, 0), cached: complete, modelUrl: modelPageUrl(source, m.repo),
    };
  }

  /**
   * Makes sure the model is cached (downloading only what is missing) and its sessions are
   * open. Cheap when it already is.
   */
  async prepare(source: ModelSource, onEvent: (e: EngineEvent) => void = () => {}): Promise<PreparedModel> {
    return this.withSignal((signal) => this.load(source, onEvent, signal)).then((l) => l.prepared);
  }

  /**
   * Gets a cached model ready before anyone asks for an image: opens its sessions from the
   * cache (no network request) and makes one throw-away image at the model's defaults, so
   * the GPU's shaders are compiled. Resolves with undefined, doing nothing, when the model
   * is not complete in the cache.
   */
  async warmUp(source: ModelSource, onEvent: (e: EngineEvent) => void = () => {}): Promise<PreparedModel | undefined> {
    await this.ready;
    const cached = await cachedManifest(this.store, source.model, source.revision || 'main');
    if (!cached || (await locate(this.store, cached, this.local)).missing.length) return undefined;
    return this.withSignal(async (signal) => {
      const loaded = await this.load({ ...source, offline: true }, onEvent, signal);
      if (!loaded.warm) {
        onEvent({ kind: 'status', message: 'Warming up the model…' });
        const t0 = performance.now();
        await makeImages(loaded.open, { prompt: '', seed: 0, steps: 1 }, () => {}, signal);
        loaded.prepared.loadMs.warmUp = Math.round(performance.now() - t0);
        loaded.warm = true;
      }
      return loaded.prepared;
    });
  }

  /**
   * Makes sure every file of the model is complete in the cache, downloading only what is
   * missing, without opening sessions. Resolves with what was done.
   */
  async download(source: ModelSource, onEvent: (e: EngineEvent) => void = () => {}): Promise<DownloadedModel> {
    return this.withSignal(async (signal) => {
      const { manifest, offline, downloadedBytes, sources } = await this.ensure(source, onEvent, signal);
      return { model: source.model, revision: source.revision || 'main', commit: manifest.commit, offline, downloadedBytes, files: filesWithSources(manifest, sources) };
    });
  }

  /**
   * Makes one image or a batch; prepares the model first when needed. Settings left out take
   * the model's defaults (SD-Turbo: 1 step, no guidance; SD: 25 steps at 7.5; LCM: 4 steps at 8).
   */
  async generate(
    source: ModelSource,
    options: GenerateOptions,
    onEvent: (e: EngineEvent) => void = () => {},
  ): Promise<GeneratedImage> {
    return this.withSignal(async (signal) => {
      const t0 = performance.now();
      const loaded = await this.load(source, onEvent, signal);
      const loadMs = performance.now() - t0;
      const made = await makeImages(loaded.open, options, onEvent, signal);
      loaded.warm = true;
      // A recovery during this call changes what the model card says.
      const prepared = { ...loaded.prepared, recoveries: [...loaded.open.recoveries] };
      return { ...made, model: prepared, timings: { ...made.timings, load: loadMs, total: performance.now() - t0 } };
    });
  }

  /** Every cached repo, revision and file, with sizes and dates. */
  async cacheContents(): Promise<CachedRepo[]> {
    await this.ready;
    return inventory(this.store);
  }

  /**
   * Deletes a whole repo, one commit of it (its files, manifest and the refs pointing at it),
   * or one file, from the cache.
   */
  async deleteFromCache(target: { repo?: string; commit?: string; path?: string } = {}): Promise<void> {
    await this.ready;
    // The open model's sessions hold what was read from these files: close them first.
    const open = this.loaded?.prepared;
    if (open && (!target.repo || (open.model === target.repo && (!target.commit || open.commit === target.commit)))) await this.unload();
    return deleteFromCache(this.store, target);
  }

  /**
   * Re-hashes every cached file of a repo against the Hub's ids (sha256 for LFS files, git blob
   * id otherwise), like `hf cache verify`. Needs no network: the ids are in the cached manifests.
   */
  async verify(repo: string): Promise<{ checked: number; mismatches: (Mismatch & { commit: string })[] }> {
    await this.ready;
    return verifyRepo(this.store, repo);
  }

  /** Writes a cached commit into a folder the user chose, as a plain folder or in the Hugging Face cache layout. */
  async exportModel(p: { repo: string; commit: string; layout: ExportLayout; target: FileSystemDirectoryHandle }): Promise<{ written: string[] }> {
    await this.ready;
    return exportCommit(this.store, p);
  }

  /** Which backend images will be made on, and why not WebGPU when it is not. */
  async backend(prefer: ModelSource['backend'] = 'auto'): Promise<BackendChoice> {
    return chooseBackend(prefer);
  }

  /** Stops the download or generation under way; it rejects with an AbortError. */
  cancel(): void {
    this.controller?.abort(new DOMException('Cancelled', 'AbortError'));
  }

  /** Closes the model's sessions and frees GPU memory. */
  async unload(): Promise<void> {
    const l = this.loaded;
    this.loaded = undefined;
    if (!l) return;
    const m = l.open.model;
    try {
      for (const r of [m.textEncoder, m.unet, m.vaeDecoder, m.vaeEncoder]) await r?.release();
    } finally {
      l.open.close(); // ends onnxruntime's worker: its WebAssembly heap cannot shrink otherwise
    }
  }

  private async withSignal<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = (this.controller = new AbortController());
    try {
      return await fn(controller.signal);
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }

  private async hubOptions(source: ModelSource) {
    const opts = await this.tokens.hubOptions(source.hubUrl, this.fetch);
    return source.token ? { ...opts, accessToken: source.token } : opts;
  }

  private async ensure(source: ModelSource, onEvent: (e: EngineEvent) => void, signal: AbortSignal) {
    const revision = source.revision || 'main';
    onEvent({ kind: 'status', message: `Looking up ${source.model}@${revision}…` });
    let last = 0;
    await this.ready;
    const folder = await this.storageFolder();
    if (folder && folder.permission !== 'granted') {
      throw new Error(`The app may no longer write to the folder “${folder.name}” you chose: click “Allow access” in the cache panel (browsers ask again on each visit).`);
    }
    return ensureModel({
      store: this.store,
      hub: await this.hubOptions(source),
      offline: source.offline,
      local: this.local,
      repo: source.model,
      revision,
      signal,
      onProgress: (files, loaded, total) => {
        // Progress crosses the worker boundary: ~10 messages a second is plenty.
        const now = performance.now();
        if (now - last < 100 && loaded < total && files.some((f) => !f.done)) return;
        last = now;
        onEvent({ kind: 'download', files: files.map(({ path, loaded, total, done }) => ({ path, loaded, total, done })), loaded, total });
      },
    });
  }

  /** An fp16 model the GPU cannot run: name the repo's fp32 branch when it has one, so the page can offer it. */
  private async withFp32Revision(err: Float16UnsupportedError, source: ModelSource): Promise<Error> {
    const refs = await listRefs({ ...(await this.hubOptions(source)), repo: source.model }).catch(() => undefined);
    const fp32 = refs?.branches.find((b) => /fp32|float32|full/i.test(b.name) && b.name !== source.revision);
    if (!fp32) return err;
    err.message += ` This repo has an fp32 revision: “${fp32.name}”.`;
    err.fp32Revision = fp32.name;
    return err;
  }

  private async load(source: ModelSource, onEvent: (e: EngineEvent) => void, signal: AbortSignal): Promise<Loaded> {
    const revision = source.revision || 'main';
    const ensured = await this.ensure(source, onEvent, signal);
    const { manifest } = ensured;
    const key = `${source.model}@${manifest.commit}`;
    const backend = source.backend ?? 'auto';
    const gpuResident = source.gpuResident ?? true;
    if (this.loaded?.open.key === key && this.loaded.prepared.requestedBackend === backend && this.loaded.gpuResident === gpuResident) {
      this.loaded.prepared = { ...this.loaded.prepared, offline: ensured.offline, downloadedBytes: 0 };
      return this.loaded;
    }
    await this.unload();

    onEvent({ kind: 'status', message: 'Opening the model…' });
    const open = await openModel(key, cachedRepoReader(this.store, manifest, ensured.localFiles), backend, onEvent, gpuResident).catch(async (err) => {
      throw err instanceof Float16UnsupportedError && !ensured.offline ? await this.withFp32Revision(err, source) : err;
    });
    const prepared = { ...describeModel(open, manifest, ensured, revision), requestedBackend: backend };
    this.loaded = { open, prepared, gpuResident };
    return this.loaded;
  }
}
