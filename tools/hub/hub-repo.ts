// The local hub's fake git model: what a folder of files would look like as a Hub repo.
//
// Layout under the hub root:
//   <root>/<org>/<name>/…           branch `main` of repo `org/name`
//   <root>/<org>/<name>@<branch>/…  another branch; `--` in the folder name stands for `/`,
//                                   so `name@refs--pr--1` is the branch `refs/pr/1`
// Revisions accepted: a branch name, `HEAD` (= main), or a commit sha (full, or a prefix of at
// least 7 hex digits, as the Hub accepts in resolve URLs).
//
// Object ids are real git ids where that is cheap to be exact: a file's oid is the git blob sha1
// of its content, or of its LFS pointer text when the file is stored in LFS. Directory oids and
// commit shas are stable hashes of the listing (no real git trees or commit objects).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LfsInfo { sha256: string; size: number; pointerSize: number }
export interface RepoFile { type: 'file'; path: string; abs: string; size: number; mtimeMs: number; oid: string; lfs?: LfsInfo }
export interface RepoDir { type: 'directory'; path: string; oid: string }
export type RepoEntry = RepoFile | RepoDir;

export interface Snapshot {
  repoId: string;
  branch: string;
  commit: string;
  /** Files and directories, sorted by path. */
  entries: RepoEntry[];
  lastModified: Date;
  createdAt: Date;
}

// The Hub's default .gitattributes, used when a repo has none of its own.
const DEFAULT_LFS_PATTERNS = [
  '*.7z', '*.arrow', '*.bin', '*.bz2', '*.ckpt', '*.ftz', '*.gz', '*.h5', '*.joblib', '*.lfs.*',
  '*.mlmodel', '*.model', '*.msgpack', '*.npy', '*.npz', '*.onnx', '*.onnx_data', '*.ot', '*.parquet',
  '*.pb', '*.pickle', '*.pkl', '*.pt', '*.pth', '*.rar', '*.safetensors', 'saved_model/**/*',
  '*.tar.*', '*.tar', '*.tflite', '*.tgz', '*.wasm', '*.xz', '*.zip', '*.zst', '*tfevents*',
];
/** The Hub refuses files over 10 MB outside LFS, so anything bigger is LFS here. */
export const LFS_THRESHOLD = 10 * 1024 * 1024;

export function sha1(text: string | Buffer): string {
  return createHash('sha1').update(text).digest('hex');
}

export function gitBlobSha1(content: string | Buffer): string {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return sha1(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]));
}

export function lfsPointer(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

/** Git-style glob: `*` stays within a path segment, `**` crosses them; no slash = any depth. */
export function globToRegExp(glob: string): RegExp {
  const anchored = glob.includes('/');
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(anchored ? `^${re.replace(/^\//, '')}$` : `(?:^|/)${re}$`);
}

interface Hashes { blobSha1: string; sha256: string }
const hashCache = new Map<string, { mtimeMs: number; size: number; hashes: Promise<Hashes> }>();

/** Both hashes in one streamed pass, cached by (path, mtime, size): a big file is read once per process. */
function hashFile(abs: string, size: number, mtimeMs: number): Promise<Hashes> {
  const hit = hashCache.get(abs);
  if (hit && hit.mtimeMs === mtimeMs && hit.size === size) return hit.hashes;
  const hashes = new Promise<Hashes>((resolve, reject) => {
    const blob = createHash('sha1').update(`blob ${size}\0`);
    const sha256 = createHash('sha256');
    createReadStream(abs)
      .on('data', (chunk) => { blob.update(chunk); sha256.update(chunk); })
      .on('error', reject)
      .on('end', () => resolve({ blobSha1: blob.digest('hex'), sha256: sha256.digest('hex') }));
  });
  hashes.catch(() => hashCache.delete(abs));
  hashCache.set(abs, { mtimeMs, size, hashes });
  return hashes;
}

/** Branch name → folder, for every branch of `org/name` (main first). */
export async function listBranches(root: string, repoId: string): Promise<Map<string, string>> {
  const [org, name] = repoId.split('/');
  const branches = new Map<string, string>();
  const main = join(root, org, name);
  if (!isDir(main)) return branches;
  branches.set('main', main);
  for (const entry of await readdir(join(root, org), { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith(`${name}@`)) {
      branches.set(entry.name.slice(name.length + 1).replaceAll('--', '/'), join(root, org, entry.name));
    }
  }
  return branches;
}

/**
 * The repo's own id for `repoId` asked in any letter case, as the Hub answers (it finds
 * `TINY/SD-Turbo-Tiny` and names it `tiny/sd-turbo-tiny`); `repoId` itself when no folder matches.
 */
export function canonicalRepoId(root: string, repoId: string): string {
  if (repoExists(root, repoId)) return repoId;
  const [org, name] = repoId.split('/');
  if (!org || !name) return repoId;
  const match = (dir: string, want: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).find((e) => e.isDirectory() && !e.name.includes('@') && e.name.toLowerCase() === want.toLowerCase())?.name;
    } catch {
      return undefined;
    }
  };
  const o = match(root, org);
  const n = o && match(join(root, o), name);
  return o && n && repoExists(root, `${o}/${n}`) ? `${o}/${n}` : repoId;
}

export function repoExists(root: string, repoId: string): boolean {
  const [org, name] = repoId.split('/');
  const safe = (part: string | undefined) => !!part && /^[\w.-]+$/.test(part) && part !== '.' && part !== '..';
  return safe(org) && safe(name) && !name.includes('@') && isDir(join(root, org, name));
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Resolve `rev` to a snapshot, or null when the repo has no such revision. */
export async function resolveRevision(root: string, repoId: string, rev: string): Promise<Snapshot | null> {
  const branches = await listBranches(root, repoId);
  const branch = rev === 'HEAD' ? 'main' : rev;
  const dir = branches.get(branch);
  if (dir) return snapshot(repoId, branch, dir);
  if (/^[0-9a-f]{7,40}$/.test(rev)) {
    for (const [name, folder] of branches) {
      const snap = await snapshot(repoId, name, folder);
      if (snap.commit.startsWith(rev)) return snap;
    }
  }
  return null;
}

export async function snapshot(repoId: string, branch: string, dir: string): Promise<Snapshot> {
  const lfsRules = lfsPatterns(dir).map(globToRegExp);
  const files: RepoFile[] = [];
  for (const path of await walk(dir, '')) {
    const abs = join(dir, path);
    const st = await stat(abs);
    const hashes = await hashFile(abs, st.size, st.mtimeMs);
    const isLfs = st.size > LFS_THRESHOLD || lfsRules.some((re) => re.test(path));
    const file: RepoFile = { type: 'file', path, abs, size: st.size, mtimeMs: st.mtimeMs, oid: hashes.blobSha1 };
    if (isLfs) {
      const pointer = lfsPointer(hashes.sha256, st.size);
      file.oid = gitBlobSha1(pointer);
      file.lfs = { sha256: hashes.sha256, size: st.size, pointerSize: Buffer.byteLength(pointer) };
    }
    files.push(file);
  }
  const entries: RepoEntry[] = [...files, ...directories(files)].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const mtimes = files.map((f) => f.mtimeMs);
  return {
    repoId,
    branch,
    commit: sha1(files.map((f) => `${f.path} ${f.oid}`).sort().join('\n')),
    entries,
    lastModified: new Date(Math.floor(Math.max(0, ...mtimes) / 1000) * 1000),
    createdAt: new Date(Math.floor((mtimes.length ? Math.min(...mtimes) : 0) / 1000) * 1000),
  };
}

export function findEntry(snap: Snapshot, path: string): RepoEntry | undefined {
  return snap.entries.find((e) => e.path === path);
}

export function findFile(snap: Snapshot, path: string): RepoFile | undefined {
  const entry = findEntry(snap, path);
  return entry?.type === 'file' ? entry : undefined;
}

function directories(files: RepoFile[]): RepoDir[] {
  const children = new Map<string, string[]>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!children.has(dir)) children.set(dir, []);
    }
  }
  // Every file and sub-directory listed under its parent, then hashed like a tree would be.
  for (const f of files) children.get(parentOf(f.path))?.push(`${f.path} ${f.oid}`);
  for (const dir of children.keys()) children.get(parentOf(dir))?.push(`${dir}/`);
  return [...children].map(([path, lines]) => ({ type: 'directory', path, oid: sha1(`tree ${path}\n${lines.sort().join('\n')}`) }));
}

function parentOf(path: string): string {
  return path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
}

async function walk(dir: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.name === '.git') continue;
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && isDir(join(dir, rel)));
    if (isDirectory) out.push(...(await walk(dir, rel)));
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(rel);
  }
  return out;
}

function lfsPatterns(dir: string): string[] {
  const attributes = join(dir, '.gitattributes');
  if (!existsSync(attributes)) return DEFAULT_LFS_PATTERNS;
  return readFileSync(attributes, 'utf8')
    .split('\n')
    .filter((line) => /\bfilter=lfs\b/.test(line) && !line.trim().startsWith('#'))
    .map((line) => line.trim().split(/\s+/)[0]);
}

/** The YAML front matter of a model card, for the simple `key: value` and `- item` lists cards use. */
export function parseFrontMatter(text: string): Record<string, unknown> | undefined {
  const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (!match) return undefined;
  const data: Record<string, unknown> = {};
  let listKey: string | undefined;
  for (const line of match[1].split(/\r?\n/)) {
    const item = /^\s*-\s+(.*)$/.exec(line);
    if (item && listKey) {
      (data[listKey] as unknown[]).push(unquote(item[1]));
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (!pair) continue;
    listKey = pair[2] === '' ? pair[1] : undefined;
    data[pair[1]] = pair[2] === '' ? [] : unquote(pair[2]);
  }
  return data;
}

function unquote(value: string): string {
  return value.trim().replace(/^(['"])(.*)\1$/, '$2');
}
