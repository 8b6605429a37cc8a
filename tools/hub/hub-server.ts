// A local stand-in for huggingface.co: the Hub's HTTP protocol on one origin, LFS bytes on a second
// "CDN" origin, for the app and the tests to download from. Plain node:http, no framework.
//
// Choices (see hub-repo.ts for the repo layout and revisions):
// - Repos: every `<root>/<org>/<name>/` folder is a model repo at branch main; `<name>@<branch>`
//   folders are other branches (`--` for `/`, so `@refs--pr--1` is `refs/pr/1`).
// - `<root>/hub.json` (optional, re-read on every request) declares tokens and access:
//   {"tokens": {"hf_…": {"name": "alice", "role": "read"}},
//    "repos": {"org/name": {"gated": "manual", "private": false, "granted": ["alice"], "license": "mit",
//                           "sha": "<40 hex: the commit main claims to be, for tests of a hub that lies>"}},
//    "treePageSize": 2}
// - Access, as the real Hub answers it:
//   · a token not in hub.json → 401 "Invalid credentials in Authorization header", on any endpoint;
//   · a missing or private repo → anonymous: 401 "Invalid username or password." with no
//     X-Error-Code (recorded from the live Hub); with a token: 404 RepoNotFound;
//   · a gated repo → model info, refs, tree and paths-info stay readable (the Hub lists gated files since
//     late 2024); downloads are 401 GatedRepo anonymous, 403 GatedRepo for an account not granted.
// - Every request on both origins lands in `hub.log` with all its headers; `hub.faults` injects
//   failures (hub-faults.ts). Control endpoints on the hub origin: GET|POST|DELETE /__faults,
//   GET|DELETE /__log.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { listRefs, listTree, modelInfo, pathsInfo, whoAmI } from './hub-api.ts';
import { FaultPlan, type FaultRule } from './hub-faults.ts';
import { entryNotFound, redirectToFile, serveCdn, serveRepoFile } from './hub-files.ts';
import type { HubConfig, HubState, RepoSettings, TokenInfo } from './hub-state.ts';
import {
  CDN_ALLOWED_HEADERS, CDN_EXPOSED_HEADERS, Exchange, HUB_ALLOWED_HEADERS, HUB_EXPOSED_HEADERS, HubError, type HubRequest,
} from './hub-http.ts';
import { canonicalRepoId, findFile, repoExists, resolveRevision, type Snapshot } from './hub-repo.ts';

export type { HubRequest } from './hub-http.ts';
export { FaultPlan, type FaultRule, type FaultTarget } from './hub-faults.ts';
export type { HubConfig, HubState, RepoSettings, TokenInfo } from './hub-state.ts';

export interface Hub {
  /** http://127.0.0.1:PORT */
  url: string;
  cdnUrl: string;
  log: HubRequest[];
  faults: FaultPlan;
  /** Entries per tree page; unset: the Hub's own 1000 (50 with expand=true). */
  treePageSize?: number;
  clearLog(): void;
  close(): Promise<void>;
}

export interface HubOptions {
  root: string;
  port?: number;
  cdnPort?: number;
  host?: string;
  treePageSize?: number;
  /** Called once per request when its response is over (the CLI prints these). */
  onRequest?: (request: HubRequest) => void;
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const host = opts.host ?? '127.0.0.1';
  const log: HubRequest[] = [];
  const state: HubState = {
    root: opts.root, url: '', cdnUrl: '', faults: new FaultPlan(), issued: new Map(), treePageSize: opts.treePageSize,
    config: () => readConfig(opts.root),
  };
  let requestCount = 0;

  const handler = (server: 'hub' | 'cdn') => async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const ctx = new Exchange(req, res, server, server === 'hub' ? state.url : state.cdnUrl, body);
    log.push(ctx.entry);
    res.on('close', () => {
      ctx.entry.endTime = Date.now();
      opts.onRequest?.(ctx.entry);
    });
    try {
      if (server === 'cdn') {
        setCdnCors(ctx);
        if (req.method === 'OPTIONS') return ctx.send(204, {});
        return await serveCdn(state, ctx);
      }
      res.setHeader('X-Request-Id', `Root=1-${Date.now().toString(16)}-${(++requestCount).toString(16).padStart(8, '0')}`);
      setHubCors(ctx, state.url);
      if (req.method === 'OPTIONS') return ctx.send(204, {});
      await route(state, ctx, log);
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      if (error instanceof HubError) return ctx.fail(error);
      console.error('local hub:', error);
      ctx.fail(new HubError(500, error instanceof Error ? error.message : String(error)));
    }
  };

  const cdn = createServer(handler('cdn'));
  const hub = createServer(handler('hub'));
  state.cdnUrl = `http://${hostForUrl(host)}:${await listen(cdn, opts.cdnPort ?? 0, host)}`;
  state.url = `http://${hostForUrl(host)}:${await listen(hub, opts.port ?? 0, host)}`;

  return {
    url: state.url,
    cdnUrl: state.cdnUrl,
    log,
    faults: state.faults,
    get treePageSize() { return state.treePageSize; },
    set treePageSize(size: number | undefined) { state.treePageSize = size; },
    clearLog: () => { log.length = 0; },
    close: async () => { await Promise.all([stop(hub), stop(cdn)]); },
  };
}

async function route(state: HubState, ctx: Exchange, log: HubRequest[]): Promise<void> {
  const method = ctx.entry.method;
  const read = method === 'GET' || method === 'HEAD';
  const parts = splitPath(ctx.url.pathname);
  const [a, b, c, d, e, ...rest] = parts;

  if (a === '__faults' && parts.length === 1) return controlFaults(state, ctx);
  if (a === '__log' && parts.length === 1 && read) return ctx.json(200, log.filter((r) => r !== ctx.entry));
  if (a === '__log' && parts.length === 1 && method === 'DELETE') { log.length = 0; return ctx.send(204, {}); }

  const caller = authenticate(state.config(), ctx.header('authorization'));
  // Repo ids are found in any letter case, and answered with the repo's own (as the Hub does).
  const idOf = (org: string, name: string) => canonicalRepoId(state.root, `${org}/${name}`);
  if (a === 'api' && b === 'models' && c && d) ctx.entry.repo = idOf(c, d);
  if (a === 'api') takeApiFault(state, ctx);

  if (a === 'api' && b === 'whoami-v2' && parts.length === 2 && read) {
    if (!caller) throw new HubError(401, 'Invalid username or password.');
    return whoAmI(ctx, caller);
  }
  if (a === 'api' && b === 'models' && c && d) {
    const repoId = idOf(c, d);
    const settings = openRepo(state, caller, repoId, false);
    if (e === undefined && read) return modelInfo(ctx, await revision(state, repoId, 'main'), settings);
    if (e === 'revision' && rest.length > 0 && read) return modelInfo(ctx, await revision(state, repoId, rest.join('/')), settings);
    if (e === 'auth-check' && rest.length === 0 && read) {
      openRepo(state, caller, repoId, true);
      return ctx.json(200, {});
    }
    if (e === 'tree' && rest.length > 0 && read) {
      const { rev, path } = splitRevision(rest);
      return listTree(state, ctx, await revision(state, repoId, rev), rev, path);
    }
    if (e === 'refs' && rest.length === 0 && read) return listRefs(state, ctx, repoId);
    if (e === 'paths-info' && rest.length > 0 && method === 'POST') {
      return pathsInfo(ctx, await revision(state, repoId, rest.join('/')));
    }
  }
  if (a === 'api' && b === 'resolve-cache' && c === 'models' && d && e && rest.length >= 2 && read) {
    const [commit, ...path] = rest;
    return serveFile(state, ctx, caller, idOf(d, e), commit, path.join('/'), 'resolve-cache');
  }
  if (a && b && (c === 'resolve' || c === 'raw') && parts.length > 3 && read) {
    const { rev, path } = splitRevision(parts.slice(3));
    return serveFile(state, ctx, caller, idOf(a, b), rev, path, c);
  }
  throw new HubError(404, "Sorry, we can't find the page you are looking for.");
}

async function serveFile(
  state: HubState, ctx: Exchange, caller: TokenInfo | undefined, repoId: string, rev: string, path: string,
  kind: 'resolve' | 'raw' | 'resolve-cache',
): Promise<void> {
  Object.assign(ctx.entry, { repo: repoId, path });
  openRepo(state, caller, repoId, true);
  const snap = await revision(state, repoId, rev);
  const file = findFile(snap, path);
  if (!file) throw entryNotFound(snap.commit);
  if (kind === 'raw') return serveRepoFile(state, ctx, snap, file, true);
  if (kind === 'resolve-cache' && !file.lfs) return serveRepoFile(state, ctx, snap, file, false);
  const { refusal } = state.faults.take('resolve', repoId, path);
  if (refusal) throw refusal;
  redirectToFile(state, ctx, snap, rev, file);
}

function takeApiFault(state: HubState, ctx: Exchange): void {
  const { refusal } = state.faults.take('api', ctx.entry.repo, ctx.url.pathname);
  if (refusal) throw refusal;
}

/** The caller's token entry, undefined when anonymous; an unknown token is refused everywhere. */
function authenticate(config: HubConfig, authorization: string | undefined): TokenInfo | undefined {
  if (authorization === undefined) return undefined;
  const token = /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1];
  const info = token ? config.tokens[token] : undefined;
  // A Bearer challenge, as RFC 6750 asks of a 401 for a bad token (the issue asks for it; the
  // live Hub's exact realm string is not recorded anywhere we could read).
  if (!info) throw new HubError(401, 'Invalid credentials in Authorization header', undefined, { 'WWW-Authenticate': 'Bearer realm="Authentication required", charset="UTF-8"' });
  return info;
}

/** The repo's settings if the caller may see it (and download from it, when `download`). */
function openRepo(state: HubState, caller: TokenInfo | undefined, repoId: string, download: boolean): RepoSettings {
  const settings = state.config().repos[repoId] ?? {};
  const granted = !!caller && (settings.granted ?? []).includes(caller.name);
  if (!repoExists(state.root, repoId) || (settings.private && !granted)) {
    // Anonymous callers cannot tell a private repo from a missing one: the Hub answers its
    // generic 401 without X-Error-Code (live captures of huggingface.co; huggingface_hub maps it).
    if (!caller) throw new HubError(401, 'Invalid username or password.');
    throw new HubError(404, 'Repository not found', 'RepoNotFound');
  }
  if (download && settings.gated && !granted) {
    if (!caller) {
      throw new HubError(401, `Access to model ${repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.`, 'GatedRepo');
    }
    throw new HubError(403, `Access to model ${repoId} is restricted and you are not in the authorized list. Visit ${state.url}/${repoId} to ask for access.`, 'GatedRepo');
  }
  return settings;
}

async function revision(state: HubState, repoId: string, rev: string): Promise<Snapshot> {
  // hub.json may make main claim another commit (a hub that lies, as a test of the app's trust).
  const claimed = state.config().repos[repoId]?.sha;
  if (claimed && (rev === claimed || rev === 'main' || rev === 'HEAD')) {
    const main = await resolveRevision(state.root, repoId, 'main');
    if (main) return { ...main, commit: claimed };
  }
  const snap = await resolveRevision(state.root, repoId, rev);
  if (!snap) throw new HubError(404, `Invalid rev id: ${rev}`, 'RevisionNotFound');
  return snap;
}

async function controlFaults(state: HubState, ctx: Exchange): Promise<void> {
  const method = ctx.entry.method;
  if (method === 'DELETE') state.faults.clear();
  if (method === 'POST') {
    let parsed: { rules?: FaultRule[]; append?: boolean };
    try {
      parsed = JSON.parse(ctx.entry.body || '{}');
    } catch {
      throw new HubError(400, 'Invalid JSON body');
    }
    const rules = Array.isArray(parsed) ? (parsed as FaultRule[]) : (parsed.rules ?? []);
    if (parsed.append) state.faults.add(...rules);
    else state.faults.set(rules);
  }
  ctx.json(200, { rules: state.faults.rules });
}

/** Path segments, each decoded after splitting, so `refs%2Fpr%2F1` stays one segment. */
function splitPath(pathname: string): string[] {
  try {
    return pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw new HubError(400, 'Malformed URL');
  }
}

/** `refs/pr/N` and `refs/convert/X` may come unencoded (huggingface.js does not encode tree revisions). */
function splitRevision(segments: string[]): { rev: string; path: string } {
  const long = segments[0] === 'refs' && (segments[1] === 'pr' || segments[1] === 'convert') && segments.length >= 3;
  const n = long ? 3 : 1;
  return { rev: segments.slice(0, n).join('/'), path: segments.slice(n).join('/') };
}

function readConfig(root: string): HubConfig {
  let text: string;
  try {
    text = readFileSync(join(root, 'hub.json'), 'utf8');
  } catch {
    return { tokens: {}, repos: {} };
  }
  const parsed = JSON.parse(text) as Partial<HubConfig>;
  return { tokens: parsed.tokens ?? {}, repos: parsed.repos ?? {}, treePageSize: parsed.treePageSize };
}

function setHubCors(ctx: Exchange, hubUrl: string): void {
  // The Hub reflects the caller's Origin, and names itself when there is none.
  ctx.res.setHeader('Access-Control-Allow-Origin', ctx.header('origin') ?? hubUrl);
  ctx.res.setHeader('Vary', 'Origin');
  ctx.res.setHeader('Access-Control-Expose-Headers', HUB_EXPOSED_HEADERS);
  if (ctx.entry.method === 'OPTIONS') {
    ctx.res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, DELETE, OPTIONS');
    ctx.res.setHeader('Access-Control-Allow-Headers', HUB_ALLOWED_HEADERS);
    ctx.res.setHeader('Access-Control-Max-Age', '86400');
  }
}

function setCdnCors(ctx: Exchange): void {
  ctx.res.setHeader('Access-Control-Allow-Origin', '*');
  ctx.res.setHeader('Access-Control-Expose-Headers', CDN_EXPOSED_HEADERS);
  if (ctx.entry.method === 'OPTIONS') {
    ctx.res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD');
    ctx.res.setHeader('Access-Control-Allow-Headers', CDN_ALLOWED_HEADERS);
    ctx.res.setHeader('Access-Control-Max-Age', '86400');
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
