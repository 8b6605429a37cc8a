import { OFFICIAL_HUB_ORIGIN } from '../hub/index.ts';
import { HUBS, MODELS, parseKey, type ParsedKey } from './layout.ts';
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
  /** The origin of the hub its files came from (`https://huggingface.co` for the official Hub). */
  hub: string;
  /** The repo id, as the hub names it. */
  repo: string;
  /** Other names this repo was asked for by (another letter case, its name before a rename). */
  aliases: string[];
  revisions: CachedRevision[];
  bytes: number;
}

/** Every record of the app's layout in the store, read back (keys the app never writes are left out). */
export async function cacheRecords(store: Store): Promise<(ParsedKey & { key: string; size: number; lastModified: number })[]> {
  const listed = [...(await store.list(MODELS)), ...(await store.list(HUBS))];
  return listed.flatMap((f) => {
    const parsed = parseKey(f.key);
    return parsed ? [{ ...parsed, key: f.key, size: f.size, lastModified: f.lastModified }] : [];
  });
}

/** Everything in the cache, by hub, repo and commit, with readable names: what the cache panel shows. */
export async function inventory(store: Store): Promise<CachedRepo[]> {
  type Building = { hub: string; repo: string; revisions: Map<string, CachedRevision>; refs: Map<string, string> };
  const repos = new Map<string, Building>();
  const aliases: { hub: string; alias: string; key: string }[] = [];
  const repoOf = (hub: string, repo: string) => {
    const id = `${hub} ${repo}`;
    let r = repos.get(id);
    if (!r) repos.set(id, (r = { hub, repo, revisions: new Map(), refs: new Map() }));
    return r;
  };
  for (const f of await cacheRecords(store)) {
    if (f.kind === 'alias') aliases.push({ hub: f.hub, alias: f.repo, key: f.key });
    else if (f.kind === 'ref') repoOf(f.hub, f.repo).refs.set(f.revision, ((await store.readText(f.key)) ?? '').trim());
    else if (f.kind === 'file') {
      const r = repoOf(f.hub, f.repo);
      let rev = r.revisions.get(f.commit);
      if (!rev) r.revisions.set(f.commit, (rev = { commit: f.commit, refs: [], files: [], bytes: 0 }));
      rev.files.push({ path: f.path, size: f.size, lastModified: f.lastModified });
      rev.bytes += f.size;
    }
  }
  const out = [...repos.values()].map((r): CachedRepo => {
    for (const [ref, commit] of r.refs) r.revisions.get(commit)?.refs.push(ref);
    const revisions = [...r.revisions.values()].map((v) => ({ ...v, files: v.files.sort((a, b) => a.path.localeCompare(b.path)) }));
    return { hub: r.hub, repo: r.repo, aliases: [], revisions, bytes: revisions.reduce((s, v) => s + v.bytes, 0) };
  });
  for (const a of aliases) {
    const target = ((await store.readText(a.key)) ?? '').trim();
    const repo = out.find((r) => r.hub === a.hub && r.repo === target);
    if (repo && a.alias !== target) repo.aliases.push(a.alias);
  }
  return out
    .filter((r) => r.revisions.length > 0)
    .sort((a, b) => hubOrder(a.hub).localeCompare(hubOrder(b.hub)) || a.repo.localeCompare(b.repo));
}

/** The official Hub's repos first, then each other hub's. */
const hubOrder = (hub: string) => (hub === OFFICIAL_HUB_ORIGIN ? '' : hub);
