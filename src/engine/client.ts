import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import type { CachedRepo } from '../cache/inventory.ts';
import type { BackendChoice } from '../runtime/backend.ts';
import type { WhoAmI } from '../hub/whoami.ts';
import type { Engine } from './engine.ts';
import type { StorageKind } from './storage-choice.ts';
import type { NetworkEntry } from './network-log.ts';
import type { DownloadedModel, ModelCard, EngineEvent, GeneratedImage, GenerateOptions, ModelSource, PreparedModel } from './types.ts';

/**
 * The page's whole view of the engine: one worker behind a typed proxy. `prepare`, `download`
 * and `generate` run one after another (onnxruntime sessions must not be created or run
 * concurrently), and each can be cancelled with an AbortSignal; the other calls go straight
 * to the worker.
 */
export class EngineClient {
  private readonly worker: Worker;
  private readonly engine: Remote<Engine>;
  private queue: Promise<unknown> = Promise.resolve();
  private warming?: AbortController;

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'engine' });
    this.engine = wrap<Engine>(this.worker);
  }

  /**
   * Makes sure the model is cached (downloading only what is missing) and its onnxruntime sessions
   * are open; cheap when they already are. Aborting `signal` cancels it, and the promise rejects.
   */
  prepare(source: ModelSource, onEvent?: (e: EngineEvent) => void, signal?: AbortSignal): Promise<PreparedModel> {
    return this.enqueue(signal, () => this.engine.prepare(source, proxy(onEvent ?? (() => {}))));
  }

  /**
   * Opens a model that is complete in the cache and makes one throw-away image, so the next
   * `generate` starts at full speed; no network request. Queued like `generate`, so a
   * `generate` called meanwhile waits for it and reuses its sessions. Resolves with undefined
   * when the model is not cached.
   */
  warmUp(source: ModelSource, onEvent?: (e: EngineEvent) => void): Promise<PreparedModel | undefined> {
    const controller = (this.warming = new AbortController());
    return this.enqueue(controller.signal, () => this.engine.warmUp(source, proxy(onEvent ?? (() => {})))).catch((err) => {
      // Stopped by the client itself to make way (see deleteFromCache): not an error.
      if (controller.signal.aborted) return undefined;
      throw err;
    });
  }

  /**
   * Makes sure every file of the model is complete in the cache, downloading only what is missing,
   * without opening sessions (e.g. to fetch a model for later). Cancellable like `prepare`.
   */
  download(source: ModelSource, onEvent?: (e: EngineEvent) => void, signal?: AbortSignal): Promise<DownloadedModel> {
    return this.enqueue(signal, () => this.engine.download(source, proxy(onEvent ?? (() => {}))));
  }

  /**
   * Makes one image, preparing the model first when needed (so a first call may download the
   * whole model). `onEvent` reports download progress and each stage; cancellable like `prepare`.
   */
  generate(
    source: ModelSource,
    options: GenerateOptions,
    onEvent?: (e: EngineEvent) => void,
    signal?: AbortSignal,
  ): Promise<GeneratedImage> {
    return this.enqueue(signal, () => this.engine.generate(source, options, proxy(onEvent ?? (() => {}))));
  }

  /** Checks a token with the Hub and uses it from now on; kept on this device only if `remember`. */
  signIn(hubUrl: string, token: string, remember: boolean): Promise<WhoAmI> {
    return this.engine.signIn(hubUrl, token, remember);
  }

  /** Signs out of this Hub: drops the token from the worker's memory and deletes it from this device if it was remembered. */
  forgetToken(hubUrl: string): Promise<void> {
    return this.engine.forgetToken(hubUrl);
  }

  /** Who is signed in to this Hub and whether the token is remembered on this device (the token itself is never returned); undefined when nobody is. */
  account(hubUrl: string): Promise<{ who: WhoAmI; remembered: boolean } | undefined> {
    return this.engine.account(hubUrl);
  }

  /** License, gating and size of a model, before downloading it. */
  inspect(source: ModelSource): Promise<ModelCard> {
    return this.engine.inspect(source);
  }

  /** Every request the engine made on this device. */
  networkLog(): Promise<NetworkEntry[]> {
    return this.engine.networkLog();
  }

  /** Empties the request log, in memory and on this device. */
  clearNetworkLog(): Promise<void> {
    return this.engine.clearNetworkLog();
  }

  /** Uses a folder the user already has, in place (see `Engine.useLocalFolder`). */
  useLocalFolder(folder: FileSystemDirectoryHandle | File[]): Promise<string[]> {
    return this.engine.useLocalFolder(folder);
  }

  /** Stops using the folders given to `useLocalFolder` (nothing in them is touched); resolves with the folders still in use, i.e. none. */
  forgetLocalFolders(): Promise<string[]> {
    return this.engine.forgetLocalFolders();
  }

  /** Re-hashes a cached repo against the Hub's ids; lists mismatches. */
  verify(repo: string): Promise<{ checked: number; mismatches: { commit: string; path: string; expected: string; actual: string }[] }> {
    return this.engine.verify(repo);
  }

  /** Writes a cached commit into a folder (from `showDirectoryPicker`), plain or in the HF cache layout. */
  exportModel(p: { repo: string; commit: string; layout: 'hf-cache' | 'plain'; target: FileSystemDirectoryHandle }): Promise<{ written: string[] }> {
    return this.engine.exportModel(p);
  }

  /** Which backend holds the cache. */
  storage(): Promise<StorageKind> {
    return this.engine.storage();
  }

  /** Switches the cache backend (a setting kept on this device); `folder` takes the picked folder. */
  useStorage(kind: StorageKind, folder?: FileSystemDirectoryHandle): Promise<StorageKind> {
    return this.engine.useStorage(kind, folder);
  }

  /** The cache's folder, when it is one, and whether access must be granted again. */
  storageFolder(): Promise<{ name: string; handle: FileSystemDirectoryHandle; permission: PermissionState } | undefined> {
    return this.engine.storageFolder();
  }

  /**
   * Asks again for write access to the cache's folder. Browsers allow this only during a
   * click on the page, which is why it runs here and not in the worker.
   */
  async regrantFolder(): Promise<PermissionState> {
    const folder = await this.engine.storageFolder();
    if (!folder) return 'granted';
    const h = folder.handle as FileSystemDirectoryHandle & { requestPermission?(o: object): Promise<PermissionState> };
    return (await h.requestPermission?.({ mode: 'readwrite' })) ?? 'granted';
  }

  /** Every cached repo → revision → file. */
  cacheContents(): Promise<CachedRepo[]> {
    return this.engine.cacheContents();
  }

  /** Deletes everything (no argument), a repo, a commit of it, or one file. */
  async deleteFromCache(target?: { repo?: string; commit?: string; path?: string }): Promise<void> {
    // A warm-up reading these files would hold them: stop it and let it finish first.
    this.warming?.abort();
    await this.queue;
    return this.engine.deleteFromCache(target);
  }

  /** The browser's figures for this origin's storage, and whether it is safe from eviction. */
  async storageInfo(): Promise<{ usage: number; quota: number; persisted: boolean }> {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    return { usage, quota, persisted: await navigator.storage.persisted() };
  }

  /** Asks the browser to keep this origin's files under storage pressure (it may say no). */
  persist(): Promise<boolean> {
    return navigator.storage.persist();
  }

  /** WebGPU or wasm, and why not WebGPU when it is not. */
  backend(): Promise<BackendChoice> {
    return this.engine.backend();
  }

  /**
   * Terminates the worker, freeing the loaded model and its GPU memory. Calls still in flight never
   * settle, and later calls reject, so make a new client to continue.
   */
  dispose(): void {
    this.engine[releaseProxy]();
    this.worker.terminate();
  }

  private enqueue<T>(signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
    const run = async () => {
      signal?.throwIfAborted();
      const onAbort = () => void this.engine.cancel();
      signal?.addEventListener('abort', onAbort);
      try {
        return await call();
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }
}
