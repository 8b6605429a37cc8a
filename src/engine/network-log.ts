import { createStore, get, set, type UseStore } from 'idb-keyval';

/**
 * One request in the engine's log of every request it makes, kept on this device so the app can
 * show them all. Entries never hold a token: only whether one was attached.
 */
export interface NetworkEntry {
  time: number;
  method: string;
  /** The URL asked for (a Hub URL; the token is never in URLs). */
  url: string;
  /** Where the browser ended up after redirects (the Hub's CDN for large files). */
  finalUrl?: string;
  status: number;
  /** Whether an Authorization header was attached (only ever to the Hub's own origin). */
  authorization: boolean;
  /** Body bytes received (for downloads; 0 while unknown). */
  bytes: number;
  error?: string;
}

const KEEP = 2000;

export class NetworkLog {
  private entries: NetworkEntry[] | undefined;
  private saving = Promise.resolve();
  private readonly db: UseStore;

  constructor(dbName = 'diffusion-studio-network') {
    this.db = createStore(dbName, 'log');
  }

  async all(): Promise<NetworkEntry[]> {
    this.entries ??= ((await get<NetworkEntry[]>('entries', this.db)) ?? []);
    return this.entries;
  }

  async clear(): Promise<void> {
    this.entries = [];
    await set('entries', [], this.db);
  }

  /** A fetch that records each request, and the bytes of its body as they are read. */
  wrap(inner: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers = new Headers(init?.headers);
      const entry: NetworkEntry = {
        time: Date.now(), method: init?.method ?? 'GET', url, status: 0, authorization: headers.has('authorization'), bytes: 0,
      };
      await this.add(entry);
      try {
        const response = await inner(input, init);
        entry.status = response.status;
        if (response.url && response.url !== url) entry.finalUrl = response.url;
        this.persist();
        return response.body ? countBytes(response, (n) => (entry.bytes += n), () => this.persist()) : response;
      } catch (err) {
        entry.error = (err as Error).message;
        this.persist();
        throw err;
      }
    };
  }

  private async add(entry: NetworkEntry): Promise<void> {
    const all = await this.all();
    all.push(entry);
    if (all.length > KEEP) all.splice(0, all.length - KEEP);
  }

  private persist(): void {
    this.saving = this.saving.then(() => set('entries', this.entries ?? [], this.db)).catch(() => {});
  }
}

/** The same response, with a body that reports how many bytes pass through it. */
function countBytes(response: Response, onBytes: (n: number) => void, onEnd: () => void): Response {
  const counted = response.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
      flush: onEnd,
    }),
  );
  const out = new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(out, 'url', { value: response.url });
  return out;
}
