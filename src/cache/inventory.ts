import { MODELS } from './layout.ts';
import type { Store } from './store.ts';

/** One complete file of a cached commit: its path in the repo and its size in bytes. */
export interface CachedFile {
  path: string;
  size: number;
  /** When the file was completed (ms since epoch). */
  lastModified: number;
}

/** One cached commit of a repo: its complete files, the revisions pointing to it, and their total size in bytes. */
export interface CachedRevision {
  commit: string;
  /** Revisions (branches, tags, `refs/pr/N`) that last resolved to this commit. */
  refs: string[];
  files: CachedFile[];
  bytes: number;
}

/** One repo in the cache, with each cached commit and their total size in bytes. */
export interface CachedRepo {
  repo: string;
  revisions: CachedRevision[];
  bytes: number;
}

/** Everything in the cache, by repo and commit, with readable names: what the cache panel shows. */
export async function inventory(store: Store): Promise<CachedRepo[]> {
  const repos = new Map<string, { revisions: Map<string, CachedRevision>; refs: Map<string, string> }>();
  const repoOf = (name: string) => {
    let r = repos.get(name);
    if (!r) repos.set(name, (r = { revisions: new Map(), refs: new Map() }));
    return r;
  };
  for (const f of await store.list(MODELS)) {
    const [, org, name, kind, ...rest] = f.key.split('/');
    const r = repoOf(`${org}/${name}`);
    if (kind === 'refs') {
      r.refs.set(decodeURIComponent(rest.join('/')), ((await store.readText(f.key)) ?? '').trim());
    } else if (kind !== 'manifests' && /^[0-9a-f]{40}$/.test(kind)) {
      let rev = r.revisions.get(kind);
      if (!rev) r.revisions.set(kind, (rev = { commit: kind, refs: [], files: [], bytes: 0 }));
      rev.files.push({ path: rest.join('/'), size: f.size, lastModified: f.lastModified });
      rev.bytes += f.size;
    }
  }
  return [...repos.entries()]
    .map(([repo, r]) => {
      for (const [ref, commit] of r.refs) r.revisions.get(commit)?.refs.push(ref);
      const revisions = [...r.revisions.values()].map((v) => ({ ...v, files: v.files.sort((a, b) => a.path.localeCompare(b.path)) }));
      return { repo, revisions, bytes: revisions.reduce((s, v) => s + v.bytes, 0) };
    })
    .filter((r) => r.revisions.length > 0)
    .sort((a, b) => a.repo.localeCompare(b.repo));
}
