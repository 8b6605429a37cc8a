// File bytes on the local hub: the resolve redirects, resolve-cache and raw answers on the hub
// origin, and the "CDN" origin that LFS redirects point to. Bytes are streamed from disk.
import { createReadStream, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { encodePath } from '../../src/hub/index.ts';
import { pump, type BodyFaults } from './hub-faults.ts';
import { HubError, type Exchange } from './hub-http.ts';
import { lfsPointer, sha1, type RepoFile, type Snapshot } from './hub-repo.ts';
import type { HubState, IssuedBlob } from './hub-state.ts';

/** An LFS blob the hub has redirected someone to; the CDN serves only these, like a signed URL. */
interface ByteSource { size: number; open(start: number, end: number): AsyncIterable<Buffer> | Iterable<Buffer> }

const TEXT_EXTENSIONS = new Set(['.json', '.txt', '.md', '.py', '.yaml', '.yml', '.gitattributes', '.csv', '']);

/** Mongo-style `_id` of a repo, stable across runs; also the CDN's folder for its blobs. */
export function repoObjectId(repoId: string): string {
  return sha1(`repo ${repoId}`).slice(0, 24);
}

/** `/{repo}/resolve/{rev}/{path}`: 307 to resolve-cache for git files, 302 to the CDN for LFS files. */
export function redirectToFile(state: HubState, ctx: Exchange, snap: Snapshot, rev: string, file: RepoFile): void {
  const common = { 'X-Repo-Commit': snap.commit, 'Content-Type': 'text/plain; charset=utf-8' };
  if (file.lfs) {
    // The Hub puts the LFS sha256 in X-Linked-Etag and sends no ETag of its own on this redirect:
    // huggingface_hub reads X-Linked-Etag first, "Etag and X-Linked-Etag are never returned
    // together" (huggingface_hub PR #1406).
    const location = cdnLocation(state, snap.repoId, file, file.lfs.sha256);
    ctx.send(302, { ...common, Location: location, 'X-Linked-Size': file.size, 'X-Linked-Etag': `"${file.lfs.sha256}"` }, `Found. Redirecting to ${location}`);
    return;
  }
  // A revalidation gets a 304 from resolve itself (huggingface.js issue #1713, a maintainer's curl).
  if (ctx.header('if-none-match') === `"${file.oid}"`) {
    ctx.begin(304, { ETag: `"${file.oid}"`, 'X-Repo-Commit': snap.commit });
    ctx.end();
    return;
  }
  // Relative, with the original resolve path and the etag in the query, as the real Hub answers, e.g.
  // /api/resolve-cache/models/o/r/<commit>/config.json?%2Fo%2Fr%2Fresolve%2Fmain%2Fconfig.json=&etag=%22<sha1>%22
  const original = encodeURIComponent(`/${snap.repoId}/resolve/${rev}/${file.path}`);
  const location = `/api/resolve-cache/models/${snap.repoId}/${snap.commit}/${encodePath(file.path)}?${original}=&etag=${encodeURIComponent(`"${file.oid}"`)}`;
  ctx.send(307, { ...common, Location: location, ETag: `"${file.oid}"` }, `Temporary Redirect. Redirecting to ${location}`);
}

function cdnLocation(state: HubState, repoId: string, file: RepoFile, sha256: string): string {
  const key = `${repoObjectId(repoId)}/${sha256}`;
  state.issued.set(key, { repoId, path: file.path, abs: file.abs, size: file.size, mtimeMs: file.mtimeMs });
  const name = basename(file.path);
  const query = new URLSearchParams({
    'response-content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${name}";`,
    Expires: '4102444800',
    Signature: sha1(`${state.cdnUrl} ${key}`),
    'Key-Pair-Id': 'LOCALHUB',
  });
  return `${state.cdnUrl}/repos/${key}?${query}`;
}

/** The bytes of a repo file on the hub origin (resolve-cache, or raw when `raw` is set). */
export async function serveRepoFile(state: HubState, ctx: Exchange, snap: Snapshot, file: RepoFile, raw: boolean): Promise<void> {
  const { refusal, body } = state.faults.take('bytes', snap.repoId, file.path);
  if (refusal) throw refusal;
  const headers = { ETag: `"${file.oid}"`, 'X-Repo-Commit': snap.commit, 'Content-Type': contentType(file.path), 'Last-Modified': snap.lastModified.toUTCString() };
  if (file.lfs && raw) {
    // /raw/ of an LFS file is the pointer, which is what git stores.
    const pointer = Buffer.from(lfsPointer(file.lfs.sha256, file.size));
    await serveBytes(ctx, { size: pointer.length, open: (start, end) => [pointer.subarray(start, end + 1)] }, headers, body);
    return;
  }
  await serveBytes(ctx, fileSource(file.abs, file.size), headers, body);
}

/** The CDN origin: `/repos/{repo _id}/{sha256}?…`, open to anyone holding the URL, no auth. */
export async function serveCdn(state: HubState, ctx: Exchange): Promise<void> {
  const key = /^\/repos\/([0-9a-f]{24}\/[0-9a-f]{64})$/.exec(ctx.url.pathname)?.[1];
  const blob = key ? state.issued.get(key) : undefined;
  const current = blob && statOrNull(blob.abs);
  if (!blob || !current || current.size !== blob.size || current.mtimeMs !== blob.mtimeMs) {
    ctx.send(403, { 'Content-Type': 'application/xml' }, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>');
    return;
  }
  ctx.entry.repo = blob.repoId;
  ctx.entry.path = blob.path;
  const { refusal, body } = state.faults.take('bytes', blob.repoId, blob.path);
  if (refusal) {
    ctx.fail(refusal);
    return;
  }
  const headers: Record<string, string> = {
    ETag: `"${key!.split('/')[1]}"`,
    'Content-Type': 'application/octet-stream',
    'Last-Modified': new Date(blob.mtimeMs).toUTCString(),
    // CloudFront says so on every answer; huggingface.js uses it to decide it may call this URL directly.
    'X-Cache': 'Miss from cloudfront',
  };
  const disposition = ctx.url.searchParams.get('response-content-disposition');
  if (disposition) headers['Content-Disposition'] = disposition;
  await serveBytes(ctx, fileSource(blob.abs, blob.size), headers, body);
}

/** 200, 206 for a satisfiable single range, 416 past the end, 304 for a matching If-None-Match. */
async function serveBytes(ctx: Exchange, source: ByteSource, headers: Record<string, string>, faults: BodyFaults): Promise<void> {
  const range = faults.ignoreRange ? undefined : parseRange(ctx.header('range'), source.size);
  if (range === 'unsatisfiable') {
    ctx.send(416, { 'Content-Range': `bytes */${source.size}`, 'Accept-Ranges': 'bytes' });
    return;
  }
  if (!range && headers.ETag && ctx.header('if-none-match') === headers.ETag) {
    ctx.begin(304, { ETag: headers.ETag });
    ctx.end();
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? source.size - 1;
  ctx.begin(range ? 206 : 200, {
    ...headers,
    'Accept-Ranges': 'bytes',
    'Content-Length': end - start + 1,
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${source.size}` } : {}),
  });
  if (ctx.isHead || end < start) {
    ctx.end();
    return;
  }
  await pump(ctx, source.open(start, end), start, faults);
}

/** A single `bytes=` range as RFC 9110 reads it; anything else (several ranges, junk) is ignored. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  if (start >= size) return 'unsatisfiable';
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  return { start, end: match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1) };
}

function fileSource(abs: string, size: number): ByteSource {
  return { size, open: (start, end) => createReadStream(abs, { start, end, highWaterMark: 64 * 1024 }) };
}

function contentType(path: string): string {
  return TEXT_EXTENSIONS.has(extname(path)) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
}

function statOrNull(abs: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(abs);
  } catch {
    return null;
  }
}

/**
 * 404 EntryNotFound for a path missing at a known revision. Like the Hub, it names the commit in
 * X-Repo-Commit: huggingface_hub needs it to record the miss under `.no_exist/<commit>/`.
 */
export function entryNotFound(commit: string): HubError {
  return new HubError(404, 'Entry not found', 'EntryNotFound', { 'X-Repo-Commit': commit });
}
