// Fault injection for the local hub: tests mutate `hub.faults` (or POST /__faults) to make the
// next responses fail the ways real networks and CDNs fail.
import { setTimeout as sleep } from 'node:timers/promises';
import { HubError, type Exchange } from './hub-http.ts';
import { globToRegExp } from './hub-repo.ts';

/**
 * Which response a rule hits:
 * - `bytes` (default): the one that serves file bytes: the CDN for LFS files, `/api/resolve-cache/…`
 *   and `/raw/…` for small ones.
 * - `resolve`: the `/{repo}/resolve/{rev}/{path}` redirect itself.
 * - `api`: the JSON API (`/api/models/…`, `/api/whoami-v2`); `path` then matches the URL path.
 */
export type FaultTarget = 'bytes' | 'resolve' | 'api';

export interface FaultRule {
  /** Glob on the file path in the repo (`unet/model.onnx`, `*.onnx`, `**`); omitted: every file. */
  path?: string;
  /** Repo id (`org/name`); omitted: every repo. */
  repo?: string;
  target?: FaultTarget;
  /** How many matching responses the rule hits (default 1); `'always'` never runs out. */
  times?: number | 'always';
  /** Hits left: starts at `times`, goes down by one per hit. Read it to see what fired. */
  remaining?: number | 'always';
  /** Answer this status (500, 503…) instead of the file. */
  status?: number;
  /** Answer 429 with `Retry-After: retryAfter` and the Hub's `RateLimit` headers. `times` may sit here too. */
  rateLimit?: { retryAfter: number; times?: number };
  /** Destroy the socket after this many body bytes. */
  dropAfterBytes?: number;
  /**
   * Send this many body bytes, then nothing more, holding the connection open until the client
   * goes away (or the hub closes): a download that is surely under way, however fast the machine.
   */
  stallAfterBytes?: number;
  /** Answer 200 with the whole file even when a Range was asked for. */
  ignoreRange?: boolean;
  throttleBytesPerSec?: number;
  /** Flip (xor 0xff) the byte at this offset of the file, if the response covers it. */
  corruptByteAt?: number;
}

export interface BodyFaults {
  dropAfterBytes?: number;
  stallAfterBytes?: number;
  ignoreRange?: boolean;
  throttleBytesPerSec?: number;
  corruptByteAt?: number;
}

export class FaultPlan {
  rules: FaultRule[] = [];

  add(...rules: FaultRule[]): this {
    this.rules.push(...rules);
    return this;
  }

  set(rules: FaultRule[]): this {
    this.rules = [...rules];
    return this;
  }

  clear(): this {
    this.rules = [];
    return this;
  }

  /**
   * The faults for one response; each rule applied uses up one of its hits. Rules apply in
   * order: when the first matching rule refuses (status, rate limit), the response is refused;
   * otherwise every matching body fault applies and refusals wait for a later response. So
   * `[{dropAfterBytes, times: 1}, {status: 503, times: 'always'}]` drops once, then refuses.
   */
  take(target: FaultTarget, repo: string | undefined, path: string): { refusal?: HubError; body: BodyFaults } {
    const hits = this.rules.filter((rule) => remaining(rule) !== 0 && matches(rule, target, repo, path));
    const refuses = (rule: FaultRule) => rule.status !== undefined || !!rule.rateLimit;
    const refusing = hits[0] && refuses(hits[0]) ? hits[0] : undefined;
    if (refusing) {
      use(refusing);
      return { refusal: refusal(refusing, target), body: {} };
    }
    const body: BodyFaults = {};
    for (const rule of hits.filter((r) => !refuses(r))) {
      const { dropAfterBytes, stallAfterBytes, ignoreRange, throttleBytesPerSec, corruptByteAt } = rule;
      const faults = { dropAfterBytes, stallAfterBytes, ignoreRange, throttleBytesPerSec, corruptByteAt };
      const defined = Object.entries(faults).filter(([, value]) => value !== undefined);
      if (defined.length === 0) continue;
      use(rule);
      Object.assign(body, Object.fromEntries(defined));
    }
    return { body };
  }
}

function remaining(rule: FaultRule): number | 'always' {
  rule.remaining ??= rule.times ?? rule.rateLimit?.times ?? 1;
  return rule.remaining;
}

function use(rule: FaultRule): void {
  const left = remaining(rule);
  if (left !== 'always') rule.remaining = Math.max(0, left - 1);
}

function matches(rule: FaultRule, target: FaultTarget, repo: string | undefined, path: string): boolean {
  if ((rule.target ?? 'bytes') !== target) return false;
  if (rule.repo !== undefined && rule.repo !== repo) return false;
  return rule.path === undefined || globToRegExp(rule.path).test(path.replace(/^\//, ''));
}

function refusal(rule: FaultRule, target: FaultTarget): HubError {
  if (rule.rateLimit) {
    const wait = rule.rateLimit.retryAfter;
    // The Hub counts API calls and file resolutions in separate windows, named in its RateLimit
    // header (IETF draft syntax, parsed by huggingface_hub's parse_ratelimit_headers).
    const bucket = target === 'api' ? 'api' : 'resolvers';
    return new HubError(429, 'Too Many Requests: you have reached your rate limit, retry later.', undefined, {
      'Retry-After': String(wait),
      RateLimit: `"${bucket}";r=0;t=${wait}`,
      'RateLimit-Policy': `"fixed window";"${bucket}";q=${bucket === 'api' ? 500 : 3000};w=300`,
    });
  }
  const status = rule.status ?? 500;
  return new HubError(status, status === 503 ? 'Service Unavailable' : 'Internal Server Error');
}

/** Stream `chunks` (the file from `fileOffset` on) to the client, with the body faults applied. */
export async function pump(ctx: Exchange, chunks: AsyncIterable<Buffer> | Iterable<Buffer>, fileOffset: number, faults: BodyFaults): Promise<void> {
  const rate = faults.throttleBytesPerSec;
  const started = Date.now();
  let sent = 0;
  for await (const original of chunks) {
    let chunk = original;
    const flip = faults.corruptByteAt === undefined ? -1 : faults.corruptByteAt - (fileOffset + sent);
    if (flip >= 0 && flip < chunk.length) {
      chunk = Buffer.from(chunk);
      chunk[flip] ^= 0xff;
    }
    const step = rate ? Math.max(1, Math.floor(rate / 20)) : chunk.length;
    for (let at = 0; at < chunk.length; at += step) {
      const piece = chunk.subarray(at, at + step);
      if (faults.dropAfterBytes !== undefined && sent + piece.length > faults.dropAfterBytes) {
        const last = piece.subarray(0, faults.dropAfterBytes - sent);
        if (last.length > 0) await ctx.write(last);
        ctx.destroy();
        return;
      }
      if (faults.stallAfterBytes !== undefined && sent + piece.length > faults.stallAfterBytes) {
        const last = piece.subarray(0, faults.stallAfterBytes - sent);
        if (last.length > 0) await ctx.write(last);
        await ctx.closed();
        return;
      }
      if (!(await ctx.write(piece))) return;
      sent += piece.length;
      if (rate) {
        const wait = started + (sent / rate) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
      }
    }
  }
  ctx.end();
}
