// One request/response pair of the local hub, recorded in the hub's log as it happens.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HubRequest {
  server: 'hub' | 'cdn';
  method: string;
  /** Path and query as received. */
  url: string;
  /** Every request header, names lower-cased, exactly as received (Authorization included). */
  headers: Record<string, string>;
  body: string;
  /** 0 until the response starts. */
  status: number;
  /** Body bytes actually handed to the socket. */
  bytesSent: number;
  repo?: string;
  /** File path inside the repo, for resolve, raw, resolve-cache and CDN requests. */
  path?: string;
  range?: string;
  /** Date.now() when the request arrived. */
  time: number;
  /** Date.now() when the response was over (sent, or the connection closed). */
  endTime?: number;
}

/** An error answered the Hub's way: status, `X-Error-Code`, `X-Error-Message` and `{"error": …}`. */
export class HubError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

// The real Hub's list (recorded in huggingface_hub's tests/cassettes), plus the X-Linked-* and
// Content-Length that the brief asked for; browsers never see a redirect's headers anyway.
export const HUB_EXPOSED_HEADERS = [
  'X-Repo-Commit', 'X-Request-Id', 'X-Error-Code', 'X-Error-Message', 'X-Total-Count', 'ETag', 'Link',
  'Accept-Ranges', 'Content-Range', 'X-Linked-Size', 'X-Linked-ETag', 'Content-Length',
].join(',');
export const HUB_ALLOWED_HEADERS = 'authorization, range, content-type, accept, cache-control, if-none-match, if-range, x-requested-with';
// The CDN deliberately does not allow `authorization`: a browser that tries to send a token
// there fails its preflight instead of leaking it.
export const CDN_EXPOSED_HEADERS = 'Content-Range, Content-Length, ETag, Accept-Ranges';
export const CDN_ALLOWED_HEADERS = 'range, if-none-match, if-range';

export class Exchange {
  readonly url: URL;
  readonly entry: HubRequest;

  constructor(readonly req: IncomingMessage, readonly res: ServerResponse, server: 'hub' | 'cdn', base: string, body: string) {
    this.url = new URL(req.url ?? '/', base);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
    }
    this.entry = {
      server, method: req.method ?? 'GET', url: req.url ?? '/', headers, body, status: 0, bytesSent: 0,
      range: headers.range, time: Date.now(),
    };
  }

  get isHead(): boolean {
    return this.req.method === 'HEAD';
  }

  header(name: string): string | undefined {
    return this.entry.headers[name.toLowerCase()];
  }

  /** Start a response whose body the caller streams with write() and end(). */
  begin(status: number, headers: Record<string, string | number>): void {
    this.entry.status = status;
    this.res.writeHead(status, headers);
  }

  /** Resolves false when the client went away; waits for the socket so streaming keeps back-pressure. */
  write(chunk: Buffer): Promise<boolean> {
    if (this.res.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onClose = () => resolve(false);
      this.res.once('close', onClose);
      this.res.write(chunk, (err) => {
        this.res.off('close', onClose);
        if (!err) this.entry.bytesSent += chunk.length;
        resolve(!err);
      });
    });
  }

  end(): void {
    this.res.end();
  }

  /** Resolves once the connection is over: the response ended, or the client (or the hub) closed it. */
  closed(): Promise<void> {
    return new Promise((resolve) => (this.res.destroyed || this.res.writableFinished ? resolve() : this.res.once('close', () => resolve())));
  }

  /** Cut the connection mid-body, as a flaky network would. */
  destroy(): void {
    this.res.destroy();
  }

  send(status: number, headers: Record<string, string | number>, body: string | Buffer = ''): void {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    this.begin(status, status === 204 ? headers : { 'Content-Length': bytes.length, ...headers });
    if (this.isHead) {
      this.res.end();
      return;
    }
    this.entry.bytesSent += bytes.length;
    this.res.end(bytes);
  }

  json(status: number, value: unknown, headers: Record<string, string | number> = {}): void {
    this.send(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(value));
  }

  fail(error: HubError): void {
    const headers: Record<string, string> = { ...error.headers, 'X-Error-Message': error.message };
    if (error.code) headers['X-Error-Code'] = error.code;
    this.json(error.status, { error: error.message }, headers);
  }
}
