// Making a model's files complete in the store: which files are where (cache, the user's
// folders, missing), then the missing ones downloaded two at a time, one writer per file across
// tabs. The parts it uses: manifest.ts (what the Hub lists), room.ts (quota), file-lock.ts
// (Web Locks), gated-access.ts (what a gated repo's error says), cache/download-to-store.ts (one
// file's bytes, resumed and verified).
import { downloadToStore, fileKey, type LocalModelFolder, type Store } from '../cache/index.ts';
import { hubUrlOf, HubUnreachableError, openDownload, retryDelay, type HubOptions, type RepoFile, type WhoAmI } from '../hub/index.ts';
import { withFileLock } from './file-lock.ts';
import { explainAccess } from './gated-access.ts';
import { cachedManifest, fetchManifest, notCachedOffline, readManifest, saveManifest, type Manifest } from './manifest.ts';
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
 * Makes every file the pipeline needs from `repo@revision` complete in the store, in the hub's
 * own folder of the cache (files from one hub are never used for another's).
 * Online: one metadata request resolves the revision, then only missing files are fetched, under
 * the id the hub answers with (its canonical id; `repo` becomes an alias when it differs).
 * Hub unreachable: the commit this revision pointed to last time on this hub is used, if it is complete.
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
  /**
   * The part of the listing to make complete, e.g. one variant's files (variants.ts `forVariant`);
   * the whole listing when left out. The whole listing is what is kept as the manifest.
   */
  select?: (listing: Manifest) => Manifest;
}): Promise<EnsureResult> {
  const { store, repo, revision } = p;
  const hubUrl = hubUrlOf(p.hub);
  const select = p.select ?? ((m: Manifest) => m);
  const fromCache = async (): Promise<EnsureResult | undefined> => {
    const listed = await cachedManifest(store, hubUrl, repo, revision);
    const cached = listed && select(listed);
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
  await forgetRelisted(store, manifest);
  await saveManifest(store, repo, revision, manifest);
  manifest = select(manifest);

  const found = await locate(store, manifest, p.local ?? []);
  const progress: (FileProgress & { sha256?: string })[] = found.missing.map((f) => ({ path: f.path, loaded: 0, total: f.size, sha256: f.sha256, done: false }));
  for (const f of found.missing) found.sources[f.path] = 'download';
  const total = progress.reduce((s, f) => s + f.total, 0);
  const keyOf = (path: string) => fileKey(manifest.hub, manifest.repo, manifest.commit, path);
  await checkRoom(total - (await Promise.all(progress.map((f) => store.partialSize(keyOf(f.path))))).reduce((a, b) => a + b, 0));
  const reportProgress = () => p.onProgress?.(progress, progress.reduce((s, f) => s + f.loaded, 0), total);
  reportProgress();
  let downloadedBytes = 0;
  const queue = [...progress];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const f = file;
      const key = keyOf(f.path);
      await withFileLock(key, p.signal, async () => {
        if ((await store.get(key))?.size === f.total) return; // another tab finished it meanwhile
        const report = await downloadToStore(
          store,
          { key, size: f.total, sha256: f.sha256 },
          { open: (offset) => openDownload({ ...p.hub, repo: manifest.repo, revision: manifest.commit, path: f.path, offset, signal: p.signal }) },
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
          throw explainAccess(err, p.hub, manifest.repo);
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
    const stored = await store.get(fileKey(manifest.hub, manifest.repo, manifest.commit, f.path));
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

/**
 * A stored file was verified against the listing it was downloaded for. When the hub now lists
 * the same path of the same commit with another id (sha256, git blob id), the stored copy is not
 * what the hub serves: it is deleted and downloaded again, not accepted on its size.
 */
async function forgetRelisted(store: Store, manifest: Manifest): Promise<void> {
  const before = await readManifest(store, manifest.hub, manifest.repo, manifest.commit);
  if (!before) return;
  const idOf = (f: RepoFile) => f.sha256 ?? f.blobId;
  const now = new Map(manifest.files.map((f) => [f.path, f]));
  for (const old of before.files) {
    const fresh = now.get(old.path);
    if (!fresh || (idOf(old) === idOf(fresh) && old.size === fresh.size)) continue;
    const key = fileKey(manifest.hub, manifest.repo, manifest.commit, old.path);
    await withFileLock(key, undefined, () => store.delete(key));
  }
}
