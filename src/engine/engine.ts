import {
  exportSnapshot, fileKey, filesDir, handleDir, inventory, LocalModelFolder, manifestKey, MODELS, repoKey, verifyFiles,
  type CachedRepo, type ExportLayout, type Mismatch, type Store,
} from '../cache/index.ts';
import { folderPermission, loadStorageChoice, makeStore, saveStorageChoice, type StorageChoice, type StorageKind } from './storage-choice.ts';
import { generateSdTurbo, loadSdTurbo, type RepoReader, type SdTurboModels } from '../diffusion/index.ts';
import { chooseBackend, createRuntime, type BackendChoice, type ReleasableRunner } from '../runtime/index.ts';
import { cachedManifest, ensureModel, fetchManifest, locate, readManifest, type Manifest } from './ensure-model.ts';
import { NetworkLog, type NetworkEntry } from './network-log.ts';
import { TokenKeeper } from './token-keeper.ts';
import type { WhoAmI } from '../hub/index.ts';
import type { DownloadedModel, ModelCard, EngineEvent, GeneratedImage, GenerateOptions, ModelSource, PreparedModel } from './types.ts';

type Loaded = {
  key: string;
  prepared: PreparedModel;
  models: SdTurboModels & { shape: { defaultSize: number } };
};

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

  private store!: Store;
  private readonly ready: Promise<void>;

  /** With no store given, uses the backend chosen in settings (OPFS by default, IndexedDB without OPFS). */
  constructor(store?: Store) {
    this.ready = store
      ? Promise.resolve(void (this.store = store))
      : loadStorageChoice().then((choice) => {
          this.choice = choice;
          this.store = makeStore(choice);
        });
  }

  private choice: StorageChoice = { kind: 'opfs' };

  /** Which backend holds the cache: `opfs`, `indexeddb` or `folder`. */
  async storage(): Promise<StorageKind> {
    await this.ready;
    return this.store.kind as StorageKind;
  }

  /** The folder the cache is in (when it is a folder), and whether the page must ask to write it again. */
  async storageFolder(): Promise<{ name: string; handle: FileSystemDirectoryHandle; permission: PermissionState } | undefined> {
    await this.ready;
    const folder = this.choice.folder;
    return this.choice.kind === 'folder' && folder ? { name: folder.name, handle: folder, permission: await folderPermission(folder) } : undefined;
  }

  /**
   * Switches the cache to another backend (files already cached in the other stay there).
   * For `folder`, pass the folder the user picked (`showDirectoryPicker({ mode: 'readwrite' })`).
   */
  async useStorage(kind: StorageKind, folder?: FileSystemDirectoryHandle): Promise<StorageKind> {
    await this.ready;
    if (kind === 'folder' && !(folder ?? this.choice.folder)) throw new Error('Choose a folder first.');
    this.choice = kind === 'folder' ? { kind, folder: folder ?? this.choice.folder } : { kind };
    this.store = makeStore(this.choice);
    await saveStorageChoice(this.choice);
    return this.store.kind as StorageKind;
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
    if (!cached && source.offline) throw new Error(`Offline mode: ${source.model}@${revision} is not in the cache.`);
    const m = cached ?? (await fetchManifest(await this.hubOptions(source), source.model, revision));
    const complete = cached !== undefined && (await locate(this.store, cached, [])).missing.length === 0;
    return {
      model: m.repo, revision, commit: m.commit, license: m.license, gated: m.gated, private: m.private ?? false,
      totalBytes: m.files.reduce((s, f) => s + f.size, 0), cached: complete, modelUrl: `${source.hubUrl.replace(/\/+$/, '')}/${m.repo}`,
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
   * Makes sure every file of the model is complete in the cache, downloading only what is
   * missing, without opening sessions. Resolves with what was done.
   */
  async download(source: ModelSource, onEvent: (e: EngineEvent) => void = () => {}): Promise<DownloadedModel> {
    return this.withSignal(async (signal) => {
      const { manifest, offline, downloadedBytes, sources } = await this.ensure(source, onEvent, signal);
      return { model: source.model, revision: source.revision || 'main', commit: manifest.commit, offline, downloadedBytes, files: filesWithSources(manifest, sources) };
    });
  }

  /** Generates one image; prepares the model first when needed. */
  async generate(
    source: ModelSource,
    options: GenerateOptions,
    onEvent: (e: EngineEvent) => void = () => {},
  ): Promise<GeneratedImage> {
    return this.withSignal(async (signal) => {
      const t0 = performance.now();
      const loaded = await this.load(source, onEvent, signal);
      const loadMs = performance.now() - t0;
      const size = loaded.prepared.defaultSize;
      const steps = Math.max(1, Math.min(8, Math.round(options.steps || 1)));
      const result = await generateSdTurbo(
        loaded.models,
        { prompt: options.prompt, seed: options.seed, steps, width: options.width ?? size, height: options.height ?? size },
        (stage, step) => onEvent({ kind: 'stage', stage, step, steps }),
        signal,
      );
      return {
        image: result.image,
        seed: result.seed,
        steps,
        backend: loaded.prepared.backend,
        model: loaded.prepared,
        timings: { ...result.timings, load: loadMs, total: performance.now() - t0 },
      };
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
    if (!target.repo) return this.store.delete(MODELS);
    if (!target.commit) return this.store.delete(repoKey(target.repo));
    if (target.path) return this.store.delete(fileKey(target.repo, target.commit, target.path));
    await this.store.delete(`${repoKey(target.repo)}/${target.commit}`);
    await this.store.delete(manifestKey(target.repo, target.commit));
    for (const r of await inventoryRefs(this.store, target.repo)) if (r.commit === target.commit) await this.store.delete(r.key);
  }

  /**
   * Re-hashes every cached file of a repo against the Hub's ids (sha256 for LFS files, git blob
   * id otherwise), like `hf cache verify`. Needs no network: the ids are in the cached manifests.
   */
  async verify(repo: string): Promise<{ checked: number; mismatches: (Mismatch & { commit: string })[] }> {
    await this.ready;
    const out = { checked: 0, mismatches: [] as (Mismatch & { commit: string })[] };
    for (const r of (await inventory(this.store)).filter((x) => x.repo === repo)) {
      for (const rev of r.revisions) {
        const manifest = await readManifest(this.store, repo, rev.commit);
        const result = await verifyFiles(manifest?.files ?? [], (path) => this.store.get(fileKey(repo, rev.commit, path)));
        out.checked += result.checked;
        out.mismatches.push(...result.mismatches.map((m) => ({ ...m, commit: rev.commit })));
      }
    }
    return out;
  }

  /** Writes a cached commit into a folder the user chose, as a plain folder or in the Hugging Face cache layout. */
  async exportModel(p: { repo: string; commit: string; layout: ExportLayout; target: FileSystemDirectoryHandle }): Promise<{ written: string[] }> {
    await this.ready;
    const manifest = await readManifest(this.store, p.repo, p.commit);
    if (!manifest) throw new Error(`${p.repo}@${p.commit} is not in the cache.`);
    const refs = (await inventory(this.store)).find((r) => r.repo === p.repo)?.revisions.find((r) => r.commit === p.commit)?.refs ?? [];
    return exportSnapshot({ ...p, refs, files: manifest.files, get: (path) => this.store.get(fileKey(p.repo, p.commit, path)) });
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
    if (l) for (const r of [l.models.textEncoder, l.models.unet, l.models.vaeDecoder]) await (r as ReleasableRunner).release();
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

  private async load(source: ModelSource, onEvent: (e: EngineEvent) => void, signal: AbortSignal): Promise<Loaded> {
    const revision = source.revision || 'main';
    const ensured = await this.ensure(source, onEvent, signal);
    const { manifest } = ensured;
    const key = `${source.model}@${manifest.commit}/${source.backend ?? 'auto'}`;
    if (this.loaded?.key === key) return this.withOffline(this.loaded, ensured.offline);
    await this.unload();

    onEvent({ kind: 'status', message: 'Opening the model…' });
    const runtime = await createRuntime(source.backend ?? 'auto');
    const models = await loadSdTurbo(this.reader(manifest, ensured.localFiles), runtime.createRunner, (c) =>
      onEvent({ kind: 'status', message: `Loading ${c} on ${runtime.backend}…` }),
    );
    const prepared: PreparedModel = {
      model: source.model,
      revision,
      commit: manifest.commit,
      offline: ensured.offline,
      files: filesWithSources(manifest, ensured.sources),
      downloadedBytes: ensured.downloadedBytes,
      backend: runtime.backend,
      fallbackReason: runtime.fallbackReason,
      license: manifest.license,
      gated: manifest.gated,
      defaultSize: models.shape.defaultSize,
    };
    this.loaded = { key, prepared, models };
    return this.loaded;
  }

  private withOffline(l: Loaded, offline: boolean): Loaded {
    return { ...l, prepared: { ...l.prepared, offline, downloadedBytes: 0 } };
  }

  private reader(manifest: Manifest, localFiles: Map<string, File>): RepoReader {
    const get = async (path: string) => {
      const blob = localFiles.get(path) ?? (await this.store.get(fileKey(manifest.repo, manifest.commit, path)));
      if (!blob) throw new Error(`${path} is missing from the cache.`);
      return blob;
    };
    return {
      files: manifest.files.map((f) => f.path),
      readText: async (path) => (await get(path)).text(),
      readBytes: async (path) => new Uint8Array(await (await get(path)).arrayBuffer()),
    };
  }
}

function filesWithSources(manifest: Manifest, sources: Record<string, string>) {
  return manifest.files.map((f) => ({ path: f.path, size: f.size, source: sources[f.path] ?? 'cache' }));
}

async function inventoryRefs(store: Store, repo: string): Promise<{ key: string; commit: string }[]> {
  const refs = await store.list(`${repoKey(repo)}/refs`);
  return Promise.all(refs.map(async (f) => ({ key: f.key, commit: ((await store.readText(f.key)) ?? '').trim() })));
}
