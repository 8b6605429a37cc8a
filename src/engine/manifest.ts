// What a hub said about one commit of a repo (the files the pipeline may use, gating, license),
// fetched once per revision and kept beside the files in the cache, under that hub's own folder,
// for offline use and verify. The hub's own id for the repo is the one everything is kept under;
// a repo asked for by another name (letter case, an old name) gets an alias record.
import { aliasKey, manifestKey, refKey, type Store } from '../cache/index.ts';
import { everyVariantFiles, requireRunnable } from '../diffusion/index.ts';
import { checkRepoId, hubOrigin, hubUrlOf, HubUnreachableError, isCommit, modelInfo, retryDelay, withRetry, type HubOptions, type RepoFile } from '../hub/index.ts';

/** What a hub said about one commit of a repo, kept beside its files in the cache. */
export interface Manifest {
  /** The origin of the hub that listed these files (`https://huggingface.co`); their cache folder is that hub's. */
  hub: string;
  /** The repo id as the hub names it (its canonical id, whatever it was asked for by). */
  repo: string;
  commit: string;
  license?: string;
  gated: false | 'auto' | 'manual';
  private?: boolean;
  /** When the hub listed these files (ms since epoch). */
  listedAt: number;
  /** The files the pipeline may use: configs, tokenizers and every variant's models (see variants.ts for one variant's part). */
  files: RepoFile[];
}

/** Resolves the revision with the hub's API: one request (retried on 429 and 5xx, not when the hub is unreachable). */
export async function fetchManifest(hub: HubOptions, repo: string, revision: string, signal?: AbortSignal): Promise<Manifest> {
  // An unreachable hub is not worth waiting for: the caller falls back to the cache at once.
  const info = await withRetry(() => modelInfo({ ...hub, repo, revision }), {
    signal,
    delay: (err, attempt) => (err instanceof HubUnreachableError ? undefined : retryDelay(err, attempt)),
  });
  const paths = info.files.map((f) => f.path);
  requireRunnable(paths, `${repo}@${revision}`);
  const wanted = new Set(everyVariantFiles(paths));
  return {
    hub: hubOrigin(hubUrlOf(hub)),
    repo: info.id,
    commit: info.sha,
    license: info.license,
    gated: info.gated,
    private: info.private,
    listedAt: Date.now(),
    files: info.files.filter((f) => wanted.has(f.path)),
  };
}

/**
 * Keeps the manifest and which commit `revision` points to, under the hub's own id for the repo;
 * when `asked` (the id the person gave) is another, it becomes an alias of that id.
 */
export async function saveManifest(store: Store, asked: string, revision: string, manifest: Manifest): Promise<void> {
  await store.writeText(manifestKey(manifest.hub, manifest.repo, manifest.commit), JSON.stringify(manifest, null, 2));
  await store.writeText(refKey(manifest.hub, manifest.repo, revision), manifest.commit);
  if (asked !== manifest.repo) await store.writeText(aliasKey(manifest.hub, asked), manifest.repo);
}

/** The hub's own id for `repo` as this device last heard it (its alias record), or `repo` itself. */
export async function canonicalRepo(store: Store, hubUrl: string, repo: string): Promise<string> {
  const alias = (await store.readText(aliasKey(hubUrl, repo)))?.trim();
  return alias && alias !== repo ? checkRepoId(alias) : repo;
}

/** The manifest of the commit `revision` last resolved to on this hub, if this device has seen it. */
export async function cachedManifest(store: Store, hubUrl: string, repo: string, revision: string): Promise<Manifest | undefined> {
  const canonical = await canonicalRepo(store, hubUrl, repo);
  const commit = isCommit(revision) ? revision : (await store.readText(refKey(hubUrl, canonical, revision)))?.trim();
  return commit && isCommit(commit) ? readManifest(store, hubUrl, canonical, commit) : undefined;
}

/**
 * What this hub said about one cached commit's files. A manifest that names another hub or repo
 * than its place in the cache (written by an older version, or moved by hand) is not used.
 */
export async function readManifest(store: Store, hubUrl: string, repo: string, commit: string): Promise<Manifest | undefined> {
  const text = await store.readText(manifestKey(hubUrl, repo, commit));
  if (!text) return undefined;
  const m = JSON.parse(text) as Partial<Manifest>;
  const hub = hubOrigin(hubUrl);
  // Manifests from before hubs had folders of their own name no hub: they are the official Hub's folder's.
  if ((m.hub ?? hub) !== hub || m.commit !== commit || !Array.isArray(m.files)) return undefined;
  return { ...(m as Manifest), hub, repo };
}

/** Offline mode was asked for and the model is not (completely) in the cache. */
export function notCachedOffline(repo: string, revision: string): Error {
  return new Error(`Offline mode: ${repo}@${revision} is not in the cache. Turn offline mode off to download it.`);
}
