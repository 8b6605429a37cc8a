// What the Hub said about one commit of a repo (the files the pipeline uses, gating, license),
// fetched once per revision and kept beside the files in the cache for offline use and verify.
import { manifestKey, refKey, type Store } from '../cache/index.ts';
import { pipelineFiles, requireRunnable } from '../diffusion/index.ts';
import { HubUnreachableError, modelInfo, retryDelay, withRetry, type HubOptions, type RepoFile } from '../hub/index.ts';

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

/** Resolves the revision with the Hub's API: one request (retried on 429 and 5xx, not when the Hub is unreachable). */
export async function fetchManifest(hub: HubOptions, repo: string, revision: string, signal?: AbortSignal): Promise<Manifest> {
  // An unreachable Hub is not worth waiting for: the caller falls back to the cache at once.
  const info = await withRetry(() => modelInfo({ ...hub, repo, revision }), {
    signal,
    delay: (err, attempt) => (err instanceof HubUnreachableError ? undefined : retryDelay(err, attempt)),
  });
  const paths = info.files.map((f) => f.path);
  requireRunnable(paths, `${repo}@${revision}`);
  const wanted = new Set(pipelineFiles(paths));
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

/** Keeps the manifest of `repo@revision`, and which commit the revision points to, in the store. */
export async function saveManifest(store: Store, repo: string, revision: string, manifest: Manifest): Promise<void> {
  await store.writeText(manifestKey(repo, manifest.commit), JSON.stringify(manifest, null, 2));
  await store.writeText(refKey(repo, revision), manifest.commit);
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

/** Offline mode was asked for and the model is not (completely) in the cache. */
export function notCachedOffline(repo: string, revision: string): Error {
  return new Error(`Offline mode: ${repo}@${revision} is not in the cache. Turn offline mode off to download it.`);
}
