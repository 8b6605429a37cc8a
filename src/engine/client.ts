import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import type { EngineApi } from './api.ts';
import type { CacheTarget } from './types.ts';
import './errors.ts'; // registers the classes the engine's errors are rebuilt as
import { installErrorTransfer } from '../runtime/errors.ts'; // not the runtime's door: see runtime/errors.ts

/** The calls that must not overlap (onnxruntime sessions are created and run one at a time): queued, each with an AbortSignal. */
type Queued = 'prepare' | 'warmUp' | 'download' | 'generate';
/** Calls the client itself makes, for what only the page can do or must do first. */
type Own = 'deleteFromCache';
/** The calls that go straight to the worker. */
type Direct = Exclude<keyof EngineApi, Queued | Own>;
/** A queued call's arguments: the engine's, then an AbortSignal that cancels it. */
type WithSignal<K extends Queued> = [...Parameters<EngineApi[K]>, signal?: AbortSignal];

/**
 * The engine calls that go straight to the worker: `signIn`, `inspect`, `cacheContents`, … (see
 * `EngineApi`). They are comlink's own remote methods, with the engine's exact types.
 */
export interface EngineClient extends Pick<EngineApi, Direct> {}

/**
 * The page's whole view of the engine: one worker behind a typed comlink proxy. `prepare`,
 * `warmUp`, `download` and `generate` run one after another, each cancelled by the AbortSignal
 * passed last; every other `EngineApi` method goes straight to the worker. `regrantFolder`,
 * `storageInfo`, `persist` and `dispose` run in the page.
 */
export class EngineClient {
  private readonly worker: Worker;
  private readonly remote: Remote<EngineApi>;
  private queue: Promise<unknown> = Promise.resolve();
  private warming?: AbortController;

  /** Starts the engine's worker (nothing is loaded until a call needs it). */
  constructor() {
    installErrorTransfer();
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'engine' });
    const remote = (this.remote = wrap<EngineApi>(this.worker));
    // What comlink gives must be what EngineClient declares (a non-cloneable result would not compile).
    const direct: Pick<EngineApi, Direct> = remote;
    // The direct calls: any key the class does not define goes to the worker (strings only:
    // symbols and `then` stay here, so the client is not mistaken for a promise).
    return new Proxy(this, {
      get: (target, key, receiver) =>
        typeof key === 'symbol' || key === 'then' || key in target ? Reflect.get(target, key, receiver) : direct[key as Direct],
    });
  }

  /**
   * {@inheritDoc EngineApi.prepare}
   * @throws An `AbortError` when the last argument, an `AbortSignal`, aborts. Runs after the queued calls before it.
   */
  prepare(...args: WithSignal<'prepare'>): ReturnType<EngineApi['prepare']> {
    return this.enqueue('prepare', args);
  }

  /**
   * {@inheritDoc EngineApi.warmUp}
   * @throws An `AbortError` when the last argument, an `AbortSignal`, aborts; resolves with undefined instead when
   * `deleteFromCache` stopped it to make way. Queued like `generate`, so a `generate` called meanwhile waits for it
   * and reuses its sessions.
   */
  warmUp(...args: WithSignal<'warmUp'>): ReturnType<EngineApi['warmUp']> {
    const [source, onEvent, signal] = args;
    const controller = (this.warming = new AbortController());
    const both = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    return this.enqueue('warmUp', [source, onEvent, both]).catch((err) => {
      if (controller.signal.aborted && !signal?.aborted) return undefined;
      throw err;
    });
  }

  /**
   * {@inheritDoc EngineApi.download}
   * @throws An `AbortError` when the last argument, an `AbortSignal`, aborts. Runs after the queued calls before it.
   */
  download(...args: WithSignal<'download'>): ReturnType<EngineApi['download']> {
    return this.enqueue('download', args);
  }

  /**
   * {@inheritDoc EngineApi.generate}
   * @throws An `AbortError` when the last argument, an `AbortSignal`, aborts. Runs after the queued calls before it.
   */
  generate(...args: WithSignal<'generate'>): ReturnType<EngineApi['generate']> {
    return this.enqueue('generate', args);
  }

  /**
   * {@inheritDoc EngineApi.deleteFromCache}
   * @throws Nothing of its own: a warm-up under way (it would hold these files) is stopped and waited for first.
   */
  async deleteFromCache(target?: CacheTarget): ReturnType<EngineApi['deleteFromCache']> {
    this.warming?.abort();
    await this.queue;
    return this.remote.deleteFromCache(target);
  }

  /**
   * Asks again for write access to the cache's folder. Browsers allow this only during a
   * click on the page, which is why it runs here and not in the worker.
   */
  async regrantFolder(): Promise<PermissionState> {
    const folder = await this.remote.storageFolder();
    if (!folder) return 'granted';
    const h = folder.handle as FileSystemDirectoryHandle & { requestPermission?(o: object): Promise<PermissionState> };
    return (await h.requestPermission?.({ mode: 'readwrite' })) ?? 'granted';
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

  /**
   * Terminates the worker, freeing the loaded model and its GPU memory. Calls still in flight never
   * settle, and later calls reject, so make a new client to continue.
   */
  dispose(): void {
    this.remote[releaseProxy]();
    this.worker.terminate();
  }

  /**
   * Runs a queued call after the ones before it. Its function arguments (the progress callback)
   * cross as comlink proxies, which the worker releases when the call settles; the signal stays
   * here and cancels the engine's work when it aborts.
   */
  private enqueue<K extends Queued>(name: K, args: unknown[]): ReturnType<EngineApi[K]> {
    const signal = args.find((a): a is AbortSignal => a instanceof AbortSignal);
    const callArgs = (signal ? args.filter((a) => a !== signal) : args).map((a) => (typeof a === 'function' ? proxy(a) : a));
    const run = async () => {
      signal?.throwIfAborted();
      const onAbort = () => void this.remote.cancel();
      signal?.addEventListener('abort', onAbort);
      try {
        return await (this.remote[name] as (...a: unknown[]) => Promise<unknown>)(...callArgs);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result as ReturnType<EngineApi[K]>;
  }
}
