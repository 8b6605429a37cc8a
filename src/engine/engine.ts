import { filesDir, handleDir, inventory, LocalModelFolder, type CachedRepo, type Store } from '../cache/index.ts';
import { StorageSettings, type StorageKind } from './storage-choice.ts';
import { chooseBackend, Float16UnsupportedError, type BackendChoice } from '../runtime/index.ts';
import { deleteFromCache, exportCommit, verifyRepo } from './cache-admin.ts';
import { ensureModel, locate } from './ensure-model.ts';
import { cachedManifest, fetchManifest, notCachedOffline } from './manifest.ts';
import { cachedRepoReader, describeModel, filesWithSources, makeImages, openModel, type OpenModel } from './generation.ts';
import { NetworkLog, type NetworkEntry } from './network-log.ts';
import { TokenKeeper } from './token-keeper.ts';
import { listRefs, modelPageUrl, type WhoAmI } from '../hub/index.ts';
import { pipelineKind, releaseModel, unsupportedSettings } from '../diffusion/index.ts';
import type { Account, CacheFolder, CacheTarget, EngineApi, ExportRequest, VerifyReport } from './api.ts';
import type { DownloadedModel, ModelCard, EngineEvent, GeneratedImages, GenerateOptions, ModelSource, PreparedModel } from './types.ts';

type Loaded = { open: OpenModel; prepared: PreparedModel & { requestedBackend: string }; gpuResident: boolean; memory: string; warm?: boolean };

/**
 * The whole product without a UI (see `EngineApi` for what each method does). Runs in a Web
 * Worker (see worker.ts); it can also be used directly in any module context with the same APIs.
 */
export class Engine implements EngineApi {
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

  async storage(): Promise<StorageKind> {
    await this.ready;
    return this.storageSettings.kind;
  }

  async storageFolder(): Promise<CacheFolder | undefined> {
    await this.ready;
    return this.storageSettings.folder();
  }

  async useStorage(kind: StorageKind, folder?: FileSystemDirectoryHandle): Promise<StorageKind> {
    await this.ready;
    return this.storageSettings.use(kind, folder);
  }

  async useLocalFolder(folder: FileSystemDirectoryHandle | File[]): Promise<string[]> {
    const dir = Array.isArray(folder) ? filesDir(folder) : handleDir(folder);
    this.local = [...this.local.filter((l) => l.name !== dir.name), new LocalModelFolder(dir)];
    this.loaded = undefined;
    return this.localFolders();
  }

  async forgetLocalFolders(): Promise<string[]> {
    this.local = [];
    return [];
  }

  /** The names of the folders given to `useLocalFolder`. */
  localFolders(): string[] {
    return this.local.map((l) => l.name);
  }

  signIn(hubUrl: string, token: string, remember: boolean): Promise<WhoAmI> {
    return this.tokens.signIn(hubUrl, token.trim(), remember, this.fetch);
  }

  forgetToken(hubUrl: string): Promise<void> {
    return this.tokens.forget(hubUrl);
  }

  account(hubUrl: string): Promise<Account | undefined> {
    return this.tokens.current(hubUrl);
  }

  networkLog(): Promise<NetworkEntry[]> {
    return this.network.all();
  }

  clearNetworkLog(): Promise<void> {
    return this.network.clear();
  }

  async inspect(source: ModelSource): Promise<ModelCard> {
    const revision = source.revision || 'main';
    await this.ready;
    const cached = await cachedManifest(this.store, source.model, revision);
    if (!cached && source.offline) throw notCachedOffline(source.model, revision);
    const m = cached ?? (await fetchManifest(await this.hubOptions(source), source.model, revision));
    const complete = cached !== undefined && (await locate(this.store, cached, [])).missing.length === 0;
    const pipeline = pipelineKind(m.files.map((f) => f.path));
    return {
      model: m.repo, revision, commit: m.commit, license: m.license, gated: m.gated, private: m.private ?? false,
      totalBytes: m.files.reduce((s, f) => s + f.size, 0), cached: complete, modelUrl: modelPageUrl(source, m.repo),
      pipeline, unsupported: unsupportedSettings(pipeline),
    };
  }

  async prepare(source: ModelSource, onEvent: (e: EngineEvent) => void = () => {}): Promise<PreparedModel> {
    return this.withSignal((signal) => this.load(source, onEvent, signal)).then((l) => l.prepared);
  }

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

  async download(source: ModelSource, onEvent: (e: EngineEvent) => void = () => {}): Promise<DownloadedModel> {
    return this.withSignal(async (signal) => {
      const { manifest, offline, downloadedBytes, sources } = await this.ensure(source, onEvent, signal);
      return { model: source.model, revision: source.revision || 'main', commit: manifest.commit, offline, downloadedBytes, files: filesWithSources(manifest, sources) };
    });
  }

  async generate(
    source: ModelSource,
    options: GenerateOptions,
    onEvent: (e: EngineEvent) => void = () => {},
  ): Promise<GeneratedImages> {
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

  async cacheContents(): Promise<CachedRepo[]> {
    await this.ready;
    return inventory(this.store);
  }

  async deleteFromCache(target: CacheTarget = {}): Promise<void> {
    await this.ready;
    // The open model's sessions hold what was read from these files: close them first.
    const open = this.loaded?.prepared;
    if (open && (!target.repo || (open.model === target.repo && (!target.commit || open.commit === target.commit)))) await this.unload();
    return deleteFromCache(this.store, target);
  }

  async verify(repo: string): Promise<VerifyReport> {
    await this.ready;
    return verifyRepo(this.store, repo);
  }

  async exportModel(p: ExportRequest): Promise<{ written: string[] }> {
    await this.ready;
    return exportCommit(this.store, p);
  }

  async backend(prefer: ModelSource['backend'] = 'auto'): Promise<BackendChoice> {
    return chooseBackend(prefer);
  }

  async cancel(): Promise<void> {
    this.controller?.abort(new DOMException('Cancelled', 'AbortError'));
  }

  /** Closes the model's sessions and frees GPU memory. */
  async unload(): Promise<void> {
    const l = this.loaded;
    this.loaded = undefined;
    if (!l) return;
    try {
      await releaseModel(l.open.model);
    } finally {
      l.open.close(); // ends onnxruntime's workers: a WebAssembly heap cannot shrink otherwise
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
    const memory = source.memory ?? 'auto';
    const same = this.loaded?.open.key === key && this.loaded.prepared.requestedBackend === backend && this.loaded.gpuResident === gpuResident && this.loaded.memory === memory;
    if (this.loaded && same) {
      this.loaded.prepared = { ...this.loaded.prepared, offline: ensured.offline, downloadedBytes: 0 };
      return this.loaded;
    }
    await this.unload();

    onEvent({ kind: 'status', message: 'Opening the model…' });
    const reader = cachedRepoReader(this.store, manifest, ensured.localFiles);
    const open = await openModel(key, reader, manifest.files, backend, onEvent, { gpuResident, memory }).catch(async (err) => {
      throw err instanceof Float16UnsupportedError && !ensured.offline ? await this.withFp32Revision(err, source) : err;
    });
    const prepared = { ...describeModel(open, manifest, ensured, revision), requestedBackend: backend };
    this.loaded = { open, prepared, gpuResident, memory };
    return this.loaded;
  }
}
