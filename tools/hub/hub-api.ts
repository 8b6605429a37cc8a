// The Hub's JSON API, as the local hub answers it: model info, refs, tree, paths-info, whoami.
// Shapes follow huggingface.js (packages/hub/src/types/api) and huggingface_hub (hf_api.py).
import { readFileSync } from 'node:fs';
import { HubError, type Exchange } from './hub-http.ts';
import { repoObjectId } from './hub-files.ts';
import { findEntry, listBranches, parseFrontMatter, sha1, snapshot, type RepoEntry, type Snapshot } from './hub-repo.ts';
import type { HubState, RepoSettings, TokenInfo } from './hub-state.ts';

// Every `expand` value the Hub accepts for models (its 400 lists them), plus those huggingface.js
// knows (MODEL_EXPANDABLE_KEYS). `_id` and `id` always come back.
const EXPANDABLE = new Set([
  'author', 'baseModels', 'cardData', 'childrenModelCount', 'config', 'createdAt', 'disabled', 'downloads',
  'downloadsAllTime', 'evalResults', 'gated', 'gguf', 'gitalyUid', 'inference', 'inferenceProviderMapping',
  'lastModified', 'library_name', 'likes', 'mask_token', 'model-index', 'pipeline_tag', 'private', 'resourceGroup',
  'safetensors', 'sha', 'siblings', 'spaces', 'tags', 'transformersInfo', 'trendingScore', 'usedStorage',
  'widgetData', 'xetEnabled',
]);

/** `GET /api/models/{repo}[/revision/{rev}]`, with `?blobs=true` and `expand` / `expand[]`. */
export function modelInfo(ctx: Exchange, snap: Snapshot, settings: RepoSettings): void {
  const params = ctx.url.searchParams;
  const expand = [...params.getAll('expand'), ...params.getAll('expand[]')];
  const unknown = expand.find((key) => !EXPANDABLE.has(key));
  if (unknown) throw new HubError(400, `"expand" must be one of [${[...EXPANDABLE].join(', ')}], got "${unknown}"`);
  const blobs = truthy(params.get('blobs'));
  const [author] = snap.repoId.split('/');
  const card = readCard(snap);
  const license = settings.license ?? (typeof card?.license === 'string' ? card.license : undefined);
  const cardData = card || license ? { ...card, ...(license ? { license } : {}) } : undefined;
  const hasPipeline = !!findEntry(snap, 'model_index.json');
  const libraryName = stringOr(card?.library_name, hasPipeline ? 'diffusers' : undefined);
  const pipelineTag = stringOr(card?.pipeline_tag, hasPipeline ? 'text-to-image' : undefined);
  const cardTags = Array.isArray(card?.tags) ? card.tags.map(String) : [];
  const tags = [...new Set([libraryName, ...cardTags, pipelineTag, license && `license:${license}`, 'region:us'])].filter(Boolean);
  const files = snap.entries.filter((e) => e.type === 'file');
  const siblings = files.map((f) =>
    blobs ? { rfilename: f.path, blobId: f.oid, size: f.size, ...(f.lfs ? { lfs: f.lfs } : {}) } : { rfilename: f.path },
  );
  const full: Record<string, unknown> = {
    _id: repoObjectId(snap.repoId),
    id: snap.repoId,
    modelId: snap.repoId,
    author,
    sha: snap.commit,
    lastModified: snap.lastModified.toISOString(),
    createdAt: snap.createdAt.toISOString(),
    private: !!settings.private,
    disabled: false,
    gated: settings.gated ?? false,
    downloads: 0,
    likes: 0,
    tags,
    ...(pipelineTag ? { pipeline_tag: pipelineTag } : {}),
    ...(libraryName ? { library_name: libraryName } : {}),
    ...(cardData ? { cardData } : {}),
    siblings,
    spaces: [],
    usedStorage: files.reduce((sum, f) => sum + f.size, 0),
  };
  if (expand.length === 0) {
    ctx.json(200, full);
    return;
  }
  const picked: Record<string, unknown> = { _id: full._id, id: full.id };
  for (const key of expand) if (key in full) picked[key] = full[key];
  ctx.json(200, picked);
}

interface GitRef { name: string; ref: string; targetCommit: string }

/**
 * `GET /api/models/{repo}/refs[?include_prs=1]`: every branch folder as the Hub lists refs.
 * `refs/pr/N` folders are pull requests (listed only with include_prs, as the Hub does),
 * `refs/convert/X` folders are converts; the local hub has no tags.
 */
export async function listRefs(state: HubState, ctx: Exchange, repoId: string): Promise<void> {
  const branches: GitRef[] = [];
  const converts: GitRef[] = [];
  const pullRequests: GitRef[] = [];
  for (const [branch, dir] of await listBranches(state.root, repoId)) {
    const targetCommit = (await snapshot(repoId, branch, dir)).commit;
    const special = /^refs\/(pr|convert)\/(.+)$/.exec(branch);
    if (special?.[1] === 'pr') pullRequests.push({ name: special[2], ref: branch, targetCommit });
    else if (special) converts.push({ name: special[2], ref: branch, targetCommit });
    else branches.push({ name: branch, ref: `refs/heads/${branch}`, targetCommit });
  }
  const byName = (a: GitRef, b: GitRef) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const includePrs = truthy(ctx.url.searchParams.get('include_prs'));
  ctx.json(200, {
    branches: branches.sort(byName),
    converts: converts.sort(byName),
    tags: [],
    ...(includePrs ? { pullRequests: pullRequests.sort((a, b) => Number(a.name) - Number(b.name) || byName(a, b)) } : {}),
  });
}

/** `GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=&expand=&cursor=`, paged with a Link header. */
export function listTree(state: HubState, ctx: Exchange, snap: Snapshot, rev: string, dir: string): void {
  const params = ctx.url.searchParams;
  const recursive = truthy(params.get('recursive'));
  const expand = truthy(params.get('expand'));
  if (dir && findEntry(snap, dir)?.type !== 'directory') {
    throw new HubError(404, `${dir} does not exist on "${rev}"`, 'EntryNotFound');
  }
  const prefix = dir ? `${dir}/` : '';
  const listed = snap.entries.filter((e) => e.path.startsWith(prefix) && (recursive || !e.path.slice(prefix.length).includes('/')));
  // huggingface_hub: "only 50 results are returned per page (instead of 1000)" when expanding.
  const pageSize = state.treePageSize ?? state.config().treePageSize ?? (expand ? 50 : 1000);
  const after = decodeCursor(params.get('cursor'));
  const rest = after === undefined ? listed : listed.filter((e) => e.path > after);
  const page = rest.slice(0, pageSize);
  const headers: Record<string, string> = {};
  if (rest.length > pageSize) {
    const next = new URLSearchParams(params);
    next.set('cursor', encodeCursor(page[page.length - 1].path));
    headers.Link = `<${state.url}${ctx.url.pathname}?${next}>; rel="next"`;
  }
  ctx.json(200, page.map((e) => treeEntry(e, snap, expand)), headers);
}

/** `POST /api/models/{repo}/paths-info/{rev}`: form (`paths=a&paths=b&expand=true`) or JSON body. */
export function pathsInfo(ctx: Exchange, snap: Snapshot): void {
  let paths: unknown;
  let expand: unknown;
  if ((ctx.header('content-type') ?? '').includes('application/json')) {
    try {
      ({ paths, expand } = JSON.parse(ctx.entry.body || '{}'));
    } catch {
      throw new HubError(400, 'Invalid JSON body');
    }
  } else {
    const form = new URLSearchParams(ctx.entry.body);
    paths = form.getAll('paths');
    expand = truthy(form.get('expand'));
  }
  const wanted = (Array.isArray(paths) ? paths : [paths]).filter((p): p is string => typeof p === 'string');
  // Paths that do not exist are left out, not an error (huggingface_hub's get_paths_info says so).
  const found = [...new Set(wanted.map((p) => p.replace(/^\/+|\/+$/g, '')))]
    .map((p) => findEntry(snap, p))
    .filter((e): e is RepoEntry => e !== undefined);
  ctx.json(200, found.map((e) => treeEntry(e, snap, expand === true || truthy(String(expand)))));
}

/** `GET /api/whoami-v2`. */
export function whoAmI(ctx: Exchange, token: TokenInfo): void {
  const createdAt = token.createdAt ?? '2024-01-01T00:00:00.000Z';
  ctx.json(200, {
    type: 'user',
    id: sha1(`user ${token.name}`).slice(0, 24),
    name: token.name,
    fullname: token.fullname ?? token.name,
    email: token.email ?? `${token.name}@example.com`,
    emailVerified: true,
    canPay: false,
    isPro: false,
    periodEnd: null,
    avatarUrl: `/avatars/${sha1(token.name).slice(0, 32)}.svg`,
    billingMode: 'postpaid',
    orgs: [],
    auth: {
      type: 'access_token',
      accessToken: {
        displayName: token.displayName ?? `${token.name}-token`,
        role: token.role,
        createdAt,
        ...(token.role === 'fineGrained' ? { fineGrained: { canReadGatedRepos: true, global: [], scoped: [] } } : {}),
      },
    },
  });
}

function treeEntry(entry: RepoEntry, snap: Snapshot, expand: boolean): Record<string, unknown> {
  const lastCommit = { id: snap.commit, title: 'Upload folder with the local hub', date: snap.lastModified.toISOString() };
  if (entry.type === 'directory') {
    return { type: 'directory', oid: entry.oid, size: 0, path: entry.path, ...(expand ? { lastCommit } : {}) };
  }
  return {
    type: 'file',
    oid: entry.oid,
    size: entry.size,
    ...(entry.lfs ? { lfs: { oid: entry.lfs.sha256, size: entry.lfs.size, pointerSize: entry.lfs.pointerSize } } : {}),
    path: entry.path,
    ...(expand
      ? { lastCommit, securityFileStatus: { status: 'safe', avScan: { virusFound: false, virusNames: null }, pickleImportScan: null } }
      : {}),
  };
}

function readCard(snap: Snapshot): Record<string, unknown> | undefined {
  const readme = findEntry(snap, 'README.md');
  return readme?.type === 'file' ? parseFrontMatter(readFileSync(readme.abs, 'utf8')) : undefined;
}

// The Hub's cursor is opaque base64 JSON naming the last entry of the page.
function encodeCursor(path: string): string {
  return Buffer.from(JSON.stringify({ file_name: path })).toString('base64url');
}

function decodeCursor(cursor: string | null): string | undefined {
  if (!cursor) return undefined;
  try {
    const name = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')).file_name;
    if (typeof name === 'string') return name;
  } catch {
    /* fall through */
  }
  throw new HubError(400, 'Invalid cursor');
}

function truthy(value: string | null): boolean {
  return value !== null && ['true', 'True', '1'].includes(value);
}

function stringOr(value: unknown, fallback: string | undefined): string | undefined {
  return typeof value === 'string' ? value : fallback;
}
