// Cache administration: what the cache panel does with the store (delete, verify, export).
import { exportSnapshot, fileKey, inventory, manifestKey, MODELS, repoKey, verifyFiles, type ExportLayout, type Mismatch, type Store } from '../cache/index.ts';
import { readManifest } from './manifest.ts';

/** Deletes everything, a repo, one commit of it (files, manifest and the refs pointing at it), or one file. */
export async function deleteFromCache(store: Store, target: { repo?: string; commit?: string; path?: string } = {}): Promise<void> {
  if (!target.repo) return store.delete(MODELS);
  if (!target.commit) return store.delete(repoKey(target.repo));
  if (target.path) return store.delete(fileKey(target.repo, target.commit, target.path));
  await store.delete(`${repoKey(target.repo)}/${target.commit}`);
  await store.delete(manifestKey(target.repo, target.commit));
  for (const r of await refsOf(store, target.repo)) if (r.commit === target.commit) await store.delete(r.key);
}

/** Re-hashes every cached file of a repo against the ids in its cached manifests, like `hf cache verify`. */
export async function verifyRepo(store: Store, repo: string): Promise<{ checked: number; mismatches: (Mismatch & { commit: string })[] }> {
  const out = { checked: 0, mismatches: [] as (Mismatch & { commit: string })[] };
  for (const r of (await inventory(store)).filter((x) => x.repo === repo)) {
    for (const rev of r.revisions) {
      const manifest = await readManifest(store, repo, rev.commit);
      const result = await verifyFiles(manifest?.files ?? [], (path) => store.get(fileKey(repo, rev.commit, path)));
      out.checked += result.checked;
      out.mismatches.push(...result.mismatches.map((m) => ({ ...m, commit: rev.commit })));
    }
  }
  return out;
}

/** Writes a cached commit into a folder, plain or in the Hugging Face cache layout. */
export async function exportCommit(
  store: Store,
  p: { repo: string; commit: string; layout: ExportLayout; target: FileSystemDirectoryHandle },
): Promise<{ written: string[] }> {
  const manifest = await readManifest(store, p.repo, p.commit);
  if (!manifest) throw new Error(`${p.repo}@${p.commit} is not in the cache.`);
  const refs = (await inventory(store)).find((r) => r.repo === p.repo)?.revisions.find((r) => r.commit === p.commit)?.refs ?? [];
  return exportSnapshot({ ...p, refs, files: manifest.files, get: (path) => store.get(fileKey(p.repo, p.commit, path)) });
}

async function refsOf(store: Store, repo: string): Promise<{ key: string; commit: string }[]> {
  const refs = await store.list(`${repoKey(repo)}/refs`);
  return Promise.all(refs.map(async (f) => ({ key: f.key, commit: ((await store.readText(f.key)) ?? '').trim() })));
}
