import { downloadToStore, fileKey, manifestKey, refKey, type Store } from '../cache/index.ts';
import { pipelineFiles, REQUIRED_FILES } from '../diffusion/index.ts';
import { HubUnreachableError, modelInfo, openDownload, retryDelay, withRetry, type HubOptions, type RepoFile } from '../hub/index.ts';
import type { FileProgress } from './types.ts';

export interface Manifest {
  repo: string;
  commit: string;
  license?: string;
  gated: false | 'auto' | 'manual';
  /** When the Hub listed these files (ms since epoch). */
  listedAt: number;
  files: RepoFile[];
}

export interface EnsureResult {
  manifest: Manifest;
  offline: boolean;
  downloadedBytes: number;
}

const PARALLEL_DOWNLOADS = 2;

/**
 * Makes every file the pipeline needs from `repo@revision` complete in the store.
 * Online: one metadata request resolves the revision, then only missing files are fetched.
 * Hub unreachable: the commit this revision pointed to last time is used, if it is complete.
 */
export async function ensureModel(p: {
  store: Store;
  hub: HubOptions;
  repo: string;
  revision: string;
  onProgress?: (files: FileProgress[], loaded: number, total: number) => void;
  signal?: AbortSignal;
}): Promise<EnsureResult> {
  const { store, repo, revision } = p;
  let manifest: Manifest;
  try {
    // Rate limits and 5xx are worth waiting for; an unreachable Hub is not: use the cache at once.
    const info = await withRetry(() => modelInfo({ ...p.hub, repo, revision }), {
      signal: p.signal,
      delay: (err, attempt) => (err instanceof HubUnreachableError ? undefined : retryDelay(err, attempt)),
    });
    const missing = REQUIRED_FILES.filter((f) => !info.files.some((x) => x.path === f));
    if (missing.length) {
      throw new Error(`${repo}@${revision} is not an SD-Turbo ONNX model for this app: it has no ${missing.join(', ')}.`);
    }
    manifest = {
      repo: info.id ?? repo,
      commit: info.sha,
      license: info.license,
      gated: info.gated,
      listedAt: Date.now(),
      files: pipelineFiles(info.files.map((f) => f.path)).map((path) => info.files.find((f) => f.path === path)!),
    };
    await store.writeText(manifestKey(repo, manifest.commit), JSON.stringify(manifest, null, 2));
    await store.writeText(refKey(repo, revision), manifest.commit);
  } catch (err) {
    if (!(err instanceof HubUnreachableError)) throw err;
    const cached = await cachedManifest(store, repo, revision);
    if (!cached) throw new HubUnreachableError(`${err.message} ${repo}@${revision} is not in the cache yet, so it cannot be used offline.`, 0, undefined, err.url);
    return { manifest: cached, offline: true, downloadedBytes: 0 };
  }

  const progress: (FileProgress & { sha256?: string })[] = [];
  for (const f of manifest.files) {
    const stored = await store.get(fileKey(repo, manifest.commit, f.path));
    if (!stored || stored.size !== f.size) progress.push({ path: f.path, loaded: 0, total: f.size, sha256: f.sha256, done: false });
  }
  const total = progress.reduce((s, f) => s + f.total, 0);
  let downloadedBytes = 0;
  const reportProgress = () => p.onProgress?.(progress, progress.reduce((s, f) => s + f.loaded, 0), total);
  reportProgress();
  const queue = [...progress];
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const file = f;
      const report = await downloadToStore(
        store,
        { key: fileKey(repo, manifest.commit, file.path), size: file.total, sha256: file.sha256 },
        { open: (offset) => openDownload({ ...p.hub, repo, revision: manifest.commit, path: file.path, offset, signal: p.signal }) },
        {
          signal: p.signal,
          retryDelay,
          onBytes: (loaded) => {
            file.loaded = loaded;
            reportProgress();
          },
        },
      );
      downloadedBytes += report.bytesFetched;
      file.done = true;
      file.loaded = file.total;
      reportProgress();
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, queue.length) }, worker));
  return { manifest, offline: false, downloadedBytes };
}

/** The manifest of the commit `revision` last resolved to, when all its files are complete. */
export async function cachedManifest(store: Store, repo: string, revision: string): Promise<Manifest | undefined> {
  const commit = /^[0-9a-f]{40}$/.test(revision) ? revision : await store.readText(refKey(repo, revision));
  if (!commit) return undefined;
  const text = await store.readText(manifestKey(repo, commit));
  if (!text) return undefined;
  const manifest = JSON.parse(text) as Manifest;
  for (const f of manifest.files) {
    const stored = await store.get(fileKey(repo, commit, f.path));
    if (!stored || stored.size !== f.size) return undefined;
  }
  return manifest;
}
