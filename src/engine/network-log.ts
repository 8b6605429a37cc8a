import { createStore, get, set, type UseStore } from 'idb-keyval';

/**
 * One request in the engine's log of every request it makes, kept on this device so the app can
 * show them all. Entries never hold a token: only whether one was attached.
 */
export interface NetworkEntry {
  time: number;
  method: string;
  /** The URL asked for, origin and path only (no query, which may hold a CDN signature); the token is never in URLs. */
  url: string;
  /** Where the browser ended up after redirects (the Hub's CDN for large files), origin and path only. */
  finalUrl?: string;
  status: number;
  /** Whether an Authorization header was attached (only ever to the Hub's own origin). */
  authorization: boolean;
  /** Body bytes received (for downloads; 0 while unknown). */
  bytes: number;
  error?: string;
}

const KEEP = 2000;

/**
 * A URL as the log keeps it: origin and path, no query and no fragment. The CDN's redirects for
 * gated files carry their credentials in the query (`X-Amz-Signature=`, `Signature=`, `Policy=`,
 * `Key-Pair-Id=`), valid for hours: a log kept on the device must not hold them. What is not a
 * URL is kept up to its first `?` or `#`.
 */
export function loggedUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.origin === 'null' ? `${u.protocol}${u.pathname}` : `${u.origin}${u.pathname}`;
  } catch {
    return url.split(/[?#]/, 1)[0]!;
  }
}

/** Where the log's entries are kept between visits. */
export interface NetworkLogStorage {
  load(): Promise<NetworkEntry[] | undefined>;
  save(entries: NetworkEntry[]): Promise<void>;
}

/** The log's entries in an IndexedDB database of their own. */
function idbStorage(dbName: string): NetworkLogStorage {
  let db: UseStore | undefined;
  const store = () => (db ??= createStore(dbName, 'log'));
  return { load: () => get<NetworkEntry[]>('entries', store()), save: (entries) => set('entries', entries, store()) };
}

export class NetworkLog {
  private entries: NetworkEntry[] | undefined;
  private saving = Promise.resolve();
  private readonly storage: NetworkLogStorage;

  /** @param storage - where entries are kept: an IndexedDB database named this, or a storage of the caller's. */
  constructor(storage: string | NetworkLogStorage = 'diffusion-studio-network') {
    this.storage = typeof storage === 'string' ? idbStorage(storage) : storage;
  }

  async all(): Promise<NetworkEntry[]> {
    if (!this.entries) {
      const kept = (await this.storage.load()) ?? [];
      // Entries written by an older version may still hold a query: strip it, and save that.
      const scrubbed = kept.map((e) => ({ ...e, url: loggedUrl(e.url), ...(e.finalUrl ? { finalUrl: loggedUrl(e.finalUrl) } : {}) }));
      this.entries ??= scrubbed;
      if (scrubbed.some((e, i) => e.url !== kept[i]!.url || e.finalUrl !== kept[i]!.finalUrl)) this.persist();
    }
    return this.entries;
  }

  async clear(): Promise<void> {
    this.entries = [];
    await this.storage.save([]);
  }

  /** A fetch that records each request, and the bytes of its body as they are read. */
  wrap(inner: typeof fetch = globalThis.fetch.bind(globalThis)): typeof fetch {
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers = new Headers(init?.headers);
      const entry: NetworkEntry = {
        time: Date.now(), method: init?.method ?? 'GET', url: loggedUrl(url), status: 0, authorization: headers.has('authorization'), bytes: 0,
      };
      await this.add(entry);
      try {
        const response = await inner(input, init);
        entry.status = response.status;
        if (response.url && response.url !== url) entry.finalUrl = loggedUrl(response.url);
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
    this.saving = this.saving.then(() => this.storage.save(this.entries ?? [])).catch(() => {});
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
