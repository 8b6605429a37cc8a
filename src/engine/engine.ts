// The engine: EngineApi (api.ts, documented there) as one object in the worker. Each method is a
// few lines that hand the work to the module doing it (ensure-model, generation, cache-admin,
// listings, hub-gate, prompt-tokens, …) and keep the state they share: the store, the open model,
// the hubs confirmed and the tokens. (Over 300 lines because the API is wide, not deep.)
import { filesDir, handleDir, inventory, LocalModelFolder, type CachedRepo, type Store } from '../cache/index.ts';
import { StorageSettings, type StorageKind } from './storage-choice.ts';
import { chooseBackend, Float16UnsupportedError, webnnSupport, type BackendChoice, type WebnnSupport } from '../runtime/index.ts';
import { deleteFromCache, exportCommit, verifyRepo } from './cache-admin.ts';
import { ensureModel, locate } from './ensure-model.ts';
import { withFp32Alternative } from './fp32-revision.ts';
import { lookUpListings, modelListing } from './listings.ts';
import { cachedManifest, fetchManifest, notCachedOffline, saveManifest, type Manifest } from './manifest.ts';
import { forVariant, pickVariant, variantNamed } from './variants.ts';
import { cachedRepoReader, describeModel, filesWithSources, makeImages, openModel, type OpenModel } from './generation.ts';
import { HubGate, type HubTrust } from './hub-gate.ts';
import { NetworkLog, type NetworkEntry } from './network-log.ts';
import { PromptTokenCounter } from './prompt-tokens.ts';
import { TokenKeeper } from './token-keeper.ts';
import { DEFAULT_HUB_URL, hubOrigin, listRefs, modelPageUrl, OFFICIAL_HUB_ORIGIN, type WhoAmI } from '../hub/index.ts';
import { pipelineKind, releaseModel, unsupportedSettings } from '../diffusion/index.ts';
import type { Account, CacheFolder, EngineApi, ExportRequest, VerifyReport } from './api.ts';
import type { CacheTarget, Deleted, DownloadedModel, ModelCard, EngineEvent, GeneratedImages, GenerateOptions, ModelListing, ModelSource, PreparedModel, PromptTokenCount } from './types.ts';

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
  /** Which hubs may be asked anything: every request the engine makes passes it, before the log. */
  private readonly hubs = new HubGate();
  private readonly fetch = this.hubs.guard(this.network.wrap());
  private readonly promptTokens = new PromptTokenCounter();

  private readonly storageSettings: StorageSettings;
  private readonly backends = new Map<ModelSource['backend'], Promise<BackendChoice>>();
  private webnnProbe?: Promise<WebnnSupport>;

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

  async signIn(hubUrl: string, token: string, remember: boolean): Promise<WhoAmI> {
    await this.hubs.require(hubUrl);
    return this.tokens.signIn(hubUrl, token.trim(), remember, this.fetch);
  }

  hubStatus(hubUrl: string): Promise<HubTrust> {
    return this.hubs.status(hubUrl);
  }

  confirmHub(hubUrl: string): Promise<HubTrust> {
    return this.hubs.confirm(hubUrl);
  }

  async forgetHub(hubUrl: string): Promise<HubTrust> {
    if (this.loaded && this.loaded.prepared.hub === hubOrigin(hubUrl)) await this.unload();
    return this.hubs.forget(hubUrl);
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
    await this.hubs.require(source.hubUrl);
    await this.ready;
    const cached = await cachedManifest(this.store, source.hubUrl, source.model, revision);
    if (!cached && source.offline) throw notCachedOffline(source.model, revision);
    let m = cached;
    if (!m) {
      // Kept, so the model picker has this repo's figures from now on, offline too.
      m = await fetchManifest(await this.hubOptions(source), source.model, revision);
      await saveManifest(this.store, source.model, revision, m);
    }
    const target = await this.target(source.backend);
    const variant = forVariant(m, pickVariant(m, source.variant, target));
    const complete = cached !== undefined && (await locate(this.store, variant, [])).missing.length === 0;
    const pipeline = pipelineKind(m.files.map((f) => f.path));
    return {
      ...modelListing(m, target), revision, variant: variant.variant, totalBytes: variant.files.reduce((s, f) => s + Math.max(0, f.size), 0),
      cached: complete, modelUrl: modelPageUrl(source, m.repo), pipeline, unsupported: unsupportedSettings(pipeline),
    };
  }

  async modelListings(hubUrl: string, models: string[], lookUp = false): Promise<Record<string, ModelListing>> {
    await this.ready;
    return lookUpListings({ store: this.store, hubUrl, models, hub: lookUp ? await this.hubOptions({ hubUrl, model: '', revision: 'main' }) : undefined, target: await this.target('auto') });
  }

  async webnn(): Promise<WebnnSupport> {
    return (this.webnnProbe ??= webnnSupport());
  }

  async prepare(source: ModelSource, onEvent: (e: EngineEvent) => void = () => {}): Promise<PreparedModel> {
    return this.withSignal((signal) => this.load(source, onEvent, signal)).then((l) => l.prepared);
  }

  async warmUp(source: ModelSource, onEvent: (e: EngineEvent) => void = () => {}): Promise<PreparedModel | undefined> {
    await this.hubs.require(source.hubUrl);
    await this.ready;
    const cached = await cachedManifest(this.store, source.hubUrl, source.model, source.revision || 'main');
    if (!cached || (await locate(this.store, await this.variantOf(cached, source), this.local)).missing.length) return undefined;
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
      return {
        hub: manifest.hub, model: manifest.repo, revision: source.revision || 'main', commit: manifest.commit, offline, downloadedBytes,
        files: filesWithSources(manifest, sources), variant: variantNamed(manifest),
      };
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

  async countTokens(source: ModelSource, prompt: string): Promise<PromptTokenCount> {
    await this.ready;
    const manifest = await cachedManifest(this.store, source.hubUrl, source.model, source.revision || 'main').catch(() => undefined);
    const key = manifest && openKey(manifest);
    const open = this.loaded?.open;
    if (open && key && open.key.startsWith(`${key}#`)) return this.promptTokens.count({ key, open: open.model }, prompt);
    return this.promptTokens.count({ key, reader: manifest && cachedRepoReader(this.store, manifest, new Map()) }, prompt);
  }

  async cacheContents(): Promise<CachedRepo[]> {
    await this.ready;
    return inventory(this.store);
  }

  async deleteFromCache(target: CacheTarget = {}): Promise<Deleted> {
    await this.ready;
    // The open model's sessions hold what was read from these files: close them first.
    const open = this.loaded?.prepared;
    const sameRepo = open && open.hub === hubOrigin(target.hub ?? DEFAULT_HUB_URL) && open.model === target.repo;
    if (open && (!target.repo || (sameRepo && (!target.commit || open.commit === target.commit)))) await this.unload();
    return deleteFromCache(this.store, target);
  }

  async verify(repo: string, hubUrl: string = DEFAULT_HUB_URL): Promise<VerifyReport> {
    await this.ready;
    return verifyRepo(this.store, hubUrl, repo);
  }

  async exportModel(p: ExportRequest): Promise<{ written: string[] }> {
    await this.ready;
    return exportCommit(this.store, p);
  }

  async backend(prefer: ModelSource['backend'] = 'auto'): Promise<BackendChoice> {
    return this.target(prefer);
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

  /** The backend `prefer` gives on this device, asked once (the adapter and WebNN do not change while the page is open). */
  private target(prefer: ModelSource['backend'] = 'auto'): Promise<BackendChoice> {
    let choice = this.backends.get(prefer);
    if (!choice) this.backends.set(prefer, (choice = chooseBackend(prefer)));
    return choice;
  }

  /** The part of a listing that `source` uses: the variant it asks for, else the one its backend runs well. */
  private async variantOf(listing: Manifest, source: ModelSource): Promise<Manifest & { variant: string }> {
    return forVariant(listing, pickVariant(listing, source.variant, await this.target(source.backend)));
  }

  private async hubOptions(source: ModelSource) {
    const opts = await this.tokens.hubOptions(source.hubUrl, this.fetch);
    return source.token ? { ...opts, accessToken: source.token } : opts;
  }

  private async ensure(source: ModelSource, onEvent: (e: EngineEvent) => void, signal: AbortSignal) {
    const revision = source.revision || 'main';
    await this.hubs.require(source.hubUrl);
    onEvent({ kind: 'status', message: `Looking up ${source.model}@${revision}…` });
    let last = 0;
    await this.ready;
    const folder = await this.storageFolder();
    if (folder && folder.permission !== 'granted') {
      throw new Error(`The app may no longer write to the folder “${folder.name}” you chose: click “Allow access” in the cache panel (browsers ask again on each visit).`);
    }
    const target = await this.target(source.backend);
    return ensureModel({
      store: this.store,
      hub: await this.hubOptions(source),
      offline: source.offline,
      local: this.local,
      repo: source.model,
      revision,
      signal,
      // Only the variant this device opens is downloaded.
      select: (listing) => forVariant(listing, pickVariant(listing, source.variant, target)),
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
    // The hub is part of what was opened: another hub's files under the same id and commit are other files.
    const variant = (manifest as Manifest & { variant: string }).variant;
    const key = `${openKey(manifest)}#${variant}`;
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
    const open = await openModel(key, reader, manifest.files, { prefer: backend, repoId: manifest.repo, variant }, onEvent, { gpuResident, memory }).catch(async (err) => {
      if (!(err instanceof Float16UnsupportedError) || ensured.offline) throw err;
      const listing = (await cachedManifest(this.store, source.hubUrl, source.model, revision)) ?? manifest;
      throw await withFp32Alternative(err, { hub: await this.hubOptions(source), repo: source.model, revision, listing, opened: manifest });
    });
    const prepared = { ...describeModel(open, manifest, ensured, revision), requestedBackend: backend };
    this.loaded = { open, prepared, gpuResident, memory };
    return this.loaded;
  }
}

/** What names an opened model: its hub (none for the official Hub), repo and commit. */
function openKey(manifest: Manifest): string {
  return `${manifest.hub === OFFICIAL_HUB_ORIGIN ? '' : `${manifest.hub} `}${manifest.repo}@${manifest.commit}`;
}
