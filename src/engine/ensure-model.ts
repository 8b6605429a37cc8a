// Making a model's files complete in the store: which files are where (cache, the user's
// folders, missing), then the missing ones downloaded two at a time, one writer per file across
// tabs. The parts it uses: manifest.ts (what the Hub lists), room.ts (quota), file-lock.ts
// (Web Locks), gated-access.ts (what a gated repo's error says), cache/download-to-store.ts (one
// file's bytes, resumed and verified).
import { downloadToStore, fileKey, type LocalModelFolder, type Store } from '../cache/index.ts';
import { HubUnreachableError, openDownload, retryDelay, type HubOptions, type RepoFile, type WhoAmI } from '../hub/index.ts';
import { withFileLock } from './file-lock.ts';
import { explainAccess } from './gated-access.ts';
import { cachedManifest, fetchManifest, notCachedOffline, saveManifest, type Manifest } from './manifest.ts';
import { checkRoom, roomError } from './room.ts';
import type { FileProgress } from './types.ts';

/** What `ensureModel` did: the manifest, where each file comes from, and what it downloaded. */
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
    if (!cached) throw notCachedOffline(repo, revision);
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
  await saveManifest(store, repo, revision, manifest);

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
      await withFileLock(key, p.signal, async () => {
        if ((await store.get(key))?.size === f.total) return; // another tab finished it meanwhile
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
