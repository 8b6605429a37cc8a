import { downloadToStore, fileKey, manifestKey, refKey, type LocalModelFolder, type Store } from '../cache/index.ts';
import { missingFiles, pipelineFiles } from '../diffusion/index.ts';
import {
  GatedRepoError, HubUnreachableError, modelInfo, openDownload, retryDelay, withRetry, type HubOptions, type RepoFile, type WhoAmI,
} from '../hub/index.ts';
import { QuotaError } from './errors.ts';
import type { FileProgress } from './types.ts';

export { QuotaError }; // its class lives in errors.ts, which the page imports

/** What the Hub said about one commit of a repo, kept beside its files in the cache. */
export interface Manifest {
  repo: string;
  commit: string;
  license?: string;
  gated: false | 'auto' | 'manual';
  private?: boolean;
  /** When the Hub listed these files (ms since epoch). */
  listedAt: number;
  /** The files the pipeline uses. */
  files: RepoFile[];
}

export interface EnsureResult {
  manifest: Manifest;
  offline: boolean;
  downloadedBytes: number;
  /** Files used in place from a folder of the user's, by path in the repo. */
  localFiles: Map<string, File>;
  /** Where each file comes from, in words: `cache`, `download`, `folder “name” (…)`. */
  sources: Record<string, string>;
}

type Hub = HubOptions & { who?: WhoAmI };

const PARALLEL_DOWNLOADS = 2;

/** Resolves the revision with the Hub's API: one request (retried on 429 and 5xx). */
export async function fetchManifest(hub: Hub, repo: string, revision: string, signal?: AbortSignal): Promise<Manifest> {
  // An unreachable Hub is not worth waiting for: the caller falls back to the cache at once.
  const info = await withRetry(() => modelInfo({ ...hub, repo, revision }), {
    signal,
    delay: (err, attempt) => (err instanceof HubUnreachableError ? undefined : retryDelay(err, attempt)),
  });
  const missing = missingFiles(info.files.map((f) => f.path));
  if (missing.length) throw new Error(`${repo}@${revision} is not a Stable Diffusion ONNX model this app can run: it has no ${missing.join(', ')}.`);
  const wanted = new Set(pipelineFiles(info.files.map((f) => f.path)));
  return {
    repo: info.id ?? repo,
    commit: info.sha,
    license: info.license,
    gated: info.gated,
    private: info.private,
    listedAt: Date.now(),
    files: info.files.filter((f) => wanted.has(f.path)),
  };
}

/**
 * Makes every file the pipeline needs from `repo@revision` complete in the store.
 * Online: one metadata request resolves the revision, then only missing files are fetched.
 * Hub unreachable: the commit this revision pointed to last time is used, if it is complete.
 */
export async function ensureModel(p: {
  store: Store;
  hub: Hub;
  repo: string;
  revision: string;
  onProgress?: (files: FileProgress[], loaded: number, total: number) => void;
  signal?: AbortSignal;
  /** Make no request: use the cached commit or fail. */
  offline?: boolean;
  /** Folders of the user's to take files from, in place, before downloading them. */
  local?: LocalModelFolder[];
}): Promise<EnsureResult> {
  const { store, repo, revision } = p;
  const fromCache = async (): Promise<EnsureResult | undefined> => {
    const cached = await cachedManifest(store, repo, revision);
    if (!cached) return undefined;
    const found = await locate(store, cached, p.local ?? []);
    if (found.missing.length) return undefined;
    return { manifest: cached, offline: true, downloadedBytes: 0, localFiles: found.localFiles, sources: found.sources };
  };
  if (p.offline) {
    const cached = await fromCache();
    if (!cached) throw new Error(`Offline mode: ${repo}@${revision} is not in the cache. Turn offline mode off to download it.`);
    return cached;
  }
  let manifest: Manifest;
  try {
    manifest = await fetchManifest(p.hub, repo, revision, p.signal);
  } catch (err) {
    if (!(err instanceof HubUnreachableError)) throw err;
    const cached = await fromCache();
    if (!cached) throw new HubUnreachableError(`${err.message} ${repo}@${revision} is not in the cache yet, so it cannot be used offline.`, 0, undefined, err.url);
    return cached;
  }
  await store.writeText(manifestKey(repo, manifest.commit), JSON.stringify(manifest, null, 2));
  await store.writeText(refKey(repo, revision), manifest.commit);

  const found = await locate(store, manifest, p.local ?? []);
  const progress: (FileProgress & { sha256?: string })[] = found.missing.map((f) => ({ path: f.path, loaded: 0, total: f.size, sha256: f.sha256, done: false }));
  for (const f of found.missing) found.sources[f.path] = 'download';
  const total = progress.reduce((s, f) => s + f.total, 0);
  await checkRoom(total - (await Promise.all(progress.map((f) => store.partialSize(fileKey(repo, manifest.commit, f.path))))).reduce((a, b) => a + b, 0));
  const reportProgress = () => p.onProgress?.(progress, progress.reduce((s, f) => s + f.loaded, 0), total);
  reportProgress();
  let downloadedBytes = 0;
  const queue = [...progress];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const f = file;
      const key = fileKey(repo, manifest.commit, f.path);
      // One writer per file across tabs: a second tab waits here, then finds the file complete.
      await withFileLock(key, p.signal, async () => {
        if ((await store.get(key))?.size === f.total) return;
        const report = await downloadToStore(
          store,
          { key, size: f.total, sha256: f.sha256 },
          { open: (offset) => openDownload({ ...p.hub, repo, revision: manifest.commit, path: f.path, offset, signal: p.signal }) },
          {
            signal: p.signal,
            retryDelay,
            onBytes: (loaded) => {
              f.loaded = loaded;
              reportProgress();
            },
          },
        ).catch(async (err) => {
          if ((err as DOMException)?.name === 'QuotaExceededError') throw await roomError(f.total - (await store.partialSize(key)), f.path);
          throw explainAccess(err, p.hub, repo);
        });
        downloadedBytes += report.bytesFetched;
      });
      f.done = true;
      f.loaded = f.total;
      reportProgress();
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, queue.length) }, worker));
  return { manifest, offline: false, downloadedBytes, localFiles: found.localFiles, sources: found.sources };
}

const browserEstimate = () => globalThis.navigator?.storage?.estimate?.() ?? Promise.resolve({} as StorageEstimate);

/** Which files are complete in the store, which a local folder has, and which are missing. */
export async function locate(store: Store, manifest: Manifest, local: LocalModelFolder[]) {
  const localFiles = new Map<string, File>();
  const sources: Record<string, string> = {};
  const missing: RepoFile[] = [];
  next: for (const f of manifest.files) {
    const stored = await store.get(fileKey(manifest.repo, manifest.commit, f.path));
    if (stored?.size === f.size) {
      sources[f.path] = 'cache';
      continue;
    }
    for (const folder of local) {
      const hit = await folder.find(manifest.repo, manifest.commit, f);
      if (hit) {
        localFiles.set(f.path, hit.file);
        sources[f.path] = `folder “${folder.name}” (${hit.how})`;
        continue next;
      }
    }
    missing.push(f);
  }
  return { localFiles, sources, missing };
}

/** Refuses to start a download that cannot fit in what the browser allows this site. */
export async function checkRoom(needed: number, estimateFn: () => Promise<StorageEstimate> = browserEstimate): Promise<void> {
  const estimate = await estimateFn().catch(() => undefined);
  if (!estimate?.quota || needed <= 0) return;
  const free = estimate.quota - (estimate.usage ?? 0);
  if (needed > free) throw await roomError(needed, undefined, estimate);
}

async function roomError(needed: number, path?: string, estimate?: StorageEstimate): Promise<QuotaError> {
  const e = estimate ?? (await browserEstimate().catch(() => undefined));
  const free = Math.max(0, (e?.quota ?? 0) - (e?.usage ?? 0));
  if (path && free > needed) {
    // The write was refused although the browser reports room: its figure is not the real limit.
    // Chromium reports usage + 10 GiB everywhere (so private windows cannot be told apart), while
    // a private window keeps storage in memory with a much smaller real limit; a full disk too.
    return new QuotaError(
      `The browser refused to store more of ${path} after this site had stored ${mb(e?.usage ?? 0)}, although it reports ${mb(free)} free: ` +
        `the real limit is lower than the browser says. Private (incognito) windows keep storage in memory with a far smaller limit, ` +
        `and the disk itself may be full. Open the app in a normal window, or free disk space, then try again; what was already downloaded is kept (${mb(needed)} still to go).`,
      needed,
      free,
      true,
    );
  }
  const where = path ? `The browser ran out of room for this site while writing ${path}` : 'Not enough room to download this model';
  return new QuotaError(
    `${where}: it needs ${mb(needed)} more and ${mb(free)} is free for this site. ` +
      'Delete models you no longer use in the cache panel, or free disk space, then try again; what was already downloaded is kept.',
    needed,
    free,
  );
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Runs `fn` holding the Web Lock for one cache key (shared by every tab and worker of the origin). */
async function withFileLock(key: string, signal: AbortSignal | undefined, fn: () => Promise<void>): Promise<void> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return fn();
  await locks.request(`diffusion-studio:${key}`, { signal }, fn);
}

/** Gated-repo errors in words that say what to do next. */
function explainAccess(err: unknown, hub: Hub, repo: string): unknown {
  if (!(err instanceof GatedRepoError)) return err;
  const page = `${(hub.hubUrl ?? 'https://huggingface.co').replace(/\/+$/, '')}/${repo}`;
  const message = hub.accessToken
    ? `Your account ${hub.who ? `${hub.who.name} ` : ''}has not been granted access: visit ${page} and accept the license.`
    : `This model is gated: paste your Hugging Face token (after accepting the license at ${page}).`;
  return new GatedRepoError(message, err.status, err.code, err.url);
}

/** The manifest of the commit `revision` last resolved to, if this device has seen it. */
export async function cachedManifest(store: Store, repo: string, revision: string): Promise<Manifest | undefined> {
  const commit = /^[0-9a-f]{40}$/.test(revision) ? revision : await store.readText(refKey(repo, revision));
  return commit ? readManifest(store, repo, commit) : undefined;
}

/** What the Hub said about one cached commit's files. */
export async function readManifest(store: Store, repo: string, commit: string): Promise<Manifest | undefined> {
  const text = await store.readText(manifestKey(repo, commit));
  return text ? (JSON.parse(text) as Manifest) : undefined;
}
