// Where download time goes, measured in the browser: one large file from the local hub's CDN,
// read in a worker (as the engine does) with each stage switched on in turn: fetch-and-discard,
// + sha256 (hash-wasm, as the engine uses), + OPFS sync-access writes, chunk by chunk or batched,
// + hashing in a second worker. Prints MB/s per variant. Persistent profile, like a real user.
// Run: npx tsx bench/download-probe.ts   (SIZE_MB=512 by default)
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchPersistentChromium } from '../test/support/browser.ts';
import { startHub } from '../tools/hub/hub-server.ts';

const SIZE = Number(process.env.SIZE_MB || 512) * 1024 * 1024;
const root = await mkdtemp(join(tmpdir(), 'probe-hub-'));
await mkdir(join(root, 'probe/big'), { recursive: true });
const big = Buffer.allocUnsafe(SIZE);
for (let at = 0; at < SIZE; at += 1 << 26) randomBytes(Math.min(1 << 26, SIZE - at)).copy(big, at);
await writeFile(join(root, 'probe/big/big.bin'), big);
const hub = await startHub({ root });
const profile = await mkdtemp(join(tmpdir(), 'probe-profile-'));
const context = await launchPersistentChromium(profile);
const page = await context.newPage();
// The hub's origin: no CSP there to forbid blob workers (the app's own CSP does, rightly).
await page.goto(`${hub.url}/api/models/probe/big`);
const sha256Umd = await readFile('node_modules/hash-wasm/dist/sha256.umd.min.js', 'utf8');

type Variant = { name: string; hash?: 'inline' | 'worker'; write?: boolean; batch?: number; count?: boolean };
const variants: Variant[] = [
  { name: 'fetch and discard' },
  { name: '+ counting TransformStream', count: true },
  { name: '+ sha256 inline', hash: 'inline' },
  { name: '+ OPFS write per chunk', write: true },
  { name: '+ OPFS write, 8 MiB batches', write: true, batch: 8 << 20 },
  { name: 'sha256 inline + write per chunk (the engine today)', hash: 'inline', write: true, count: true },
  { name: 'sha256 in a 2nd worker + write per chunk', hash: 'worker', write: true, count: true },
  { name: 'sha256 in a 2nd worker + 8 MiB batches', hash: 'worker', write: true, batch: 8 << 20, count: true },
  { name: 'sha256 inline + 8 MiB batches', hash: 'inline', write: true, batch: 8 << 20, count: true },
];

// The worker that downloads (hash-wasm's UMD build is prepended, giving `hashwasm`), and the
// second worker that only hashes. Kept as plain strings: they run in the page, not in Node.
const HASH_WORKER = `
let h;
onmessage = async (e) => {
  if (!h) h = await hashwasm.createSHA256();
  if (e.data === 'digest') postMessage(h.digest('hex'));
  else h.update(e.data);
};`;
const DOWNLOAD_WORKER = `
onmessage = async ({ data: { url, v, hashUrl } }) => {
  const root = await navigator.storage.getDirectory();
  const access = v.write ? await (await root.getFileHandle('probe.bin', { create: true })).createSyncAccessHandle() : null;
  access?.truncate(0);
  const hasher = v.hash === 'inline' ? await hashwasm.createSHA256() : null;
  const hw = v.hash === 'worker' ? new Worker(hashUrl) : null;
  const t0 = performance.now();
  let body = (await fetch(url, { cache: 'no-store' })).body;
  let counted = 0;
  if (v.count) body = body.pipeThrough(new TransformStream({ transform(c, ctl) { counted += c.byteLength; ctl.enqueue(c); } }));
  const reader = body.getReader();
  let at = 0, written = 0, fill = 0;
  let batch = v.batch ? new Uint8Array(v.batch) : null;
  const out = (chunk) => {
    if (access) access.write(chunk, { at: written });
    written += chunk.byteLength;
    if (hasher) hasher.update(chunk);
    if (hw) hw.postMessage(chunk, [chunk.buffer]);
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    at += value.byteLength;
    if (!batch) { out(value); continue; }
    for (let from = 0; from < value.byteLength; ) {
      const n = Math.min(batch.byteLength - fill, value.byteLength - from);
      batch.set(value.subarray(from, from + n), fill);
      fill += n;
      from += n;
      if (fill === batch.byteLength) { out(batch); batch = new Uint8Array(v.batch); fill = 0; }
    }
  }
  if (batch && fill) out(batch.slice(0, fill));
  let digest;
  if (hasher) digest = hasher.digest('hex');
  if (hw) digest = await new Promise((r) => { hw.onmessage = (e) => r(e.data); hw.postMessage('digest'); });
  access?.flush();
  access?.close();
  postMessage({ ms: performance.now() - t0, bytes: at, digest });
};`;

/** In the page: starts the download worker for one variant and resolves with its figures. */
const PROBE = `async function probe({ code, url, v, worker: workerSrc, hashWorker }) {
  const blobUrl = (src) => URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
  const worker = new Worker(blobUrl(code + workerSrc));
  const result = await new Promise((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ url, v, hashUrl: blobUrl(code + hashWorker) });
  });
  worker.terminate();
  return result;
}`;

const url = `${hub.url}/probe/big/resolve/main/big.bin`;
const results: { variant: string; mbps: number }[] = [];
for (const v of variants) {
  const runs: number[] = [];
  for (let i = 0; i < 2; i++) {
    // As a string: tsx would wrap named functions in a helper the page does not have.
    const r: { ms: number; bytes: number } = await page.evaluate(`(${PROBE})(${JSON.stringify({ code: sha256Umd, url, v, worker: DOWNLOAD_WORKER, hashWorker: HASH_WORKER })})`);
    if (r.bytes !== SIZE) throw new Error(`${v.name}: got ${r.bytes} bytes`);
    runs.push(r.ms);
  }
  const best = Math.min(...runs);
  results.push({ variant: v.name, mbps: Math.round(SIZE / 1048576 / (best / 1000)) });
  console.log(`${v.name.padEnd(52)} ${results.at(-1)!.mbps} MB/s  (${runs.map((r) => Math.round(r)).join(', ')} ms)`);
}
await context.close();
await hub.close();
await rm(root, { recursive: true, force: true });
await rm(profile, { recursive: true, force: true });

