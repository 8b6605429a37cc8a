import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

/** One rule of a `_headers` file: a path pattern (`*` matches anything) and the headers it adds. */
export interface HeaderRule {
  pattern: string;
  headers: [string, string][];
}

/**
 * Reads a `_headers` file as Netlify and Cloudflare Pages do: a line that starts without
 * indentation is a path pattern, the indented `Name: value` lines under it are its headers,
 * `#` starts a comment. Every rule whose pattern matches a path applies.
 */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      rules.push({ pattern: line.trim(), headers: [] });
      continue;
    }
    const colon = line.indexOf(':');
    const rule = rules.at(-1);
    if (!rule || colon < 0) throw new Error(`_headers: a header line outside a rule, or without ":": ${line}`);
    rule.headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return rules;
}

function matches(pattern: string, path: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(path);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A request a test server received. */
export interface Seen {
  method: string;
  path: string;
  origin?: string;
}

/** What a test server answers. */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** A tiny HTTP server on `host`, answering with `handle`, that records every request. */
export async function startServer(host: string, handle: (req: IncomingMessage) => Promise<Reply>): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? 'GET', path: req.url ?? '/', origin: req.headers.origin });
    handle(req).then(
      (r) => res.writeHead(r.status, r.headers).end(r.body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    seen,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/**
 * Serves the built app in `dir` (dist/) as a plain static host would: files by path, `/` as
 * `index.html`, and, with `applyHeadersFile`, the headers that `dir/_headers` gives each path
 * (the file itself is not served, as on Netlify and Cloudflare Pages).
 */
export async function serveStatic(dir: string, opts: { applyHeadersFile: boolean; host?: string }) {
  const rules = opts.applyHeadersFile ? parseHeadersFile(await readFile(join(dir, '_headers'), 'utf8')) : [];
  return startServer(opts.host ?? '127.0.0.1', async (req): Promise<Reply> => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(dir, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(dir + sep) || path === '/_headers') return { status: 404 };
    const body = await readFile(file).catch(() => undefined);
    if (!body) return { status: 404 };
    const headers: Record<string, string> = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' };
    for (const rule of rules) if (matches(rule.pattern, path)) for (const [name, value] of rule.headers) headers[name] = value;
    return { status: 200, headers, body };
  });
}
