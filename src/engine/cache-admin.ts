// Cache administration: what the cache panel does with the store (delete, verify, export).
// Deleting removes only records of the app's own layout that the store lists (commit folders,
// manifests, refs, aliases; see cache/layout.ts), never a folder wholesale, and holds the file
// locks of what it removes, so a download in another tab never writes into a deleted file.
import { cacheRecords, exportSnapshot, fileKey, inventory, repoKey, verifyFiles, type ExportLayout, type Mismatch, type Store } from '../cache/index.ts';
import { DEFAULT_HUB_URL, hubOrigin } from '../hub/index.ts';
import type { CacheTarget, Deleted } from './types.ts';
import { withFileLocks } from './file-lock.ts';
import { readManifest } from './manifest.ts';
import { exportableFiles } from './variants.ts';

/** The keys a deletion removes, the file keys whose locks it holds meanwhile, and what it amounts to. */
interface DeletionPlan extends Deleted {
  remove: Set<string>;
  locks: Set<string>;
}

/** What deleting `target` would remove, from the store's own listing. */
async function planDeletion(store: Store, target: CacheTarget): Promise<DeletionPlan> {
  const plan: DeletionPlan = { remove: new Set(), locks: new Set(), files: 0, bytes: 0 };
  const hub = hubOrigin(target.hub ?? DEFAULT_HUB_URL);
  const records = await cacheRecords(store);
  const text = async (key: string) => ((await store.readText(key)) ?? '').trim();
  const inRepo = async (r: (typeof records)[number]) => {
    if (!target.repo) return true;
    if (r.hub !== hub) return false;
    // An alias belongs to the repo it names.
    return r.kind === 'alias' ? r.repo === target.repo || (await text(r.key)) === target.repo : r.repo === target.repo;
  };
  for (const r of records) {
    if (!(await inRepo(r))) continue;
    if (target.path) {
      if (r.kind === 'file' && r.commit === target.commit && r.path === target.path) {
        plan.remove.add(r.key);
        plan.locks.add(r.key);
        plan.files++;
        plan.bytes += r.size;
      }
      continue;
    }
    if (target.commit) {
      const commitOf = r.kind === 'file' || r.kind === 'manifest' ? r.commit : r.kind === 'ref' ? await text(r.key) : undefined;
      if (commitOf !== target.commit) continue;
    }
    if (r.kind === 'file') {
      // The commit's folder goes as a whole (its partials with it): every name in it is the app's.
      plan.remove.add(`${repoKey(r.hub, r.repo)}/${r.commit}`);
      plan.locks.add(r.key);
      plan.files++;
      plan.bytes += r.size;
    } else {
      plan.remove.add(r.key);
      if (r.kind === 'manifest') {
        plan.remove.add(`${repoKey(r.hub, r.repo)}/${r.commit}`); // files still being downloaded have partials only
        const manifest = await readManifest(store, r.hub, r.repo, r.commit).catch(() => undefined);
        for (const f of manifest?.files ?? []) plan.locks.add(fileKey(r.hub, r.repo, r.commit, f.path));
      }
    }
  }
  return plan;
}

/**
 * Deletes everything (no repo), a repo of a hub, one commit of it (files, manifest and the refs
 * pointing at it) or one file: only the app's records that the store lists, holding their file
 * locks. Resolves with what was removed.
 */
export async function deleteFromCache(store: Store, target: CacheTarget = {}): Promise<Deleted> {
  const plan = await planDeletion(store, target);
  await withFileLocks(plan.locks, async () => {
    for (const key of plan.remove) await store.delete(key);
  });
  return { files: plan.files, bytes: plan.bytes };
}

/** Re-hashes every cached file of a repo against the ids in its cached manifests, like `hf cache verify`. */
export async function verifyRepo(store: Store, hub: string, repo: string): Promise<{ checked: number; mismatches: (Mismatch & { commit: string })[] }> {
  const out = { checked: 0, mismatches: [] as (Mismatch & { commit: string })[] };
  const origin = hubOrigin(hub);
  for (const r of (await inventory(store)).filter((x) => x.hub === origin && x.repo === repo)) {
    for (const rev of r.revisions) {
      const manifest = await readManifest(store, origin, repo, rev.commit);
      const result = await verifyFiles(manifest?.files ?? [], (path) => store.get(fileKey(origin, repo, rev.commit, path)));
      out.checked += result.checked;
      out.mismatches.push(...result.mismatches.map((m) => ({ ...m, commit: rev.commit })));
    }
  }
  return out;
}

/** Writes a cached commit into a folder, plain or in the Hugging Face cache layout. */
export async function exportCommit(
  store: Store,
  p: { hub?: string; repo: string; commit: string; layout: ExportLayout; target: FileSystemDirectoryHandle },
): Promise<{ written: string[] }> {
  const hub = hubOrigin(p.hub ?? DEFAULT_HUB_URL);
  const manifest = await readManifest(store, hub, p.repo, p.commit);
  if (!manifest) throw new Error(`${p.repo}@${p.commit} is not in the cache.`);
  const revision = (await inventory(store)).find((r) => r.hub === hub && r.repo === p.repo)?.revisions.find((r) => r.commit === p.commit);
  // The manifest lists every variant's files; what is exported is the variants that were downloaded.
  const stored = new Set(revision?.files.map((f) => f.path));
  const files = exportableFiles(manifest, (path) => stored.has(path));
  return exportSnapshot({ ...p, refs: revision?.refs ?? [], files, get: (path) => store.get(fileKey(hub, p.repo, p.commit, path)) });
}
