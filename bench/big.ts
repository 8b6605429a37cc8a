// Real sizes: generated stand-ins of the default model at real size (a 1.74 GB single-file UNet,
// and a UNet with 2.56 GB of external data), each in a persistent Chromium profile like a real
// user's. Per model: download vs fetch-and-discard vs writing the same bytes to OPFS; warm load
// (page open → "model ready", which includes one warm-up image) vs reading the files back; peak
// memory of all browser processes during download and load as a multiple of the model's bytes;
// first image after "model ready" vs the next one; generation total vs the sum of stage times;
// and what writing the same bytes into WebGPU buffers costs on this adapter.
// Then a stand-in of webnn/Z-Image-Turbo whose text encoder (2.3 GB) and transformer (2.6 GB) together
// exceed one WebAssembly memory, on the CPU backend: downloaded, opened in a worker per big component
// (the text encoder's ended after each prompt), generating, with peak memory; its files and profile
// are deleted afterwards.
// Prints a table and writes bench/results/big.json.  Run: npm run bench:big  (needs ~18 GB free disk;
// LAYOUT=single, external or z-image runs one row)
import { execSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { confirmHub } from '../test/support/app-driver.ts';
import { launchPersistentChromium } from '../test/support/browser.ts';
import { startApp } from '../tools/app-server.ts';
import { startHub } from '../tools/hub/hub-server.ts';
import { bigModelFiles, bigZImageFiles, ensureBigModel, ensureBigZImageModel, type BigLayout } from '../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
const MODELS: { repo: string; layout: BigLayout; unetBytes: number }[] = [
  { repo: 'tiny/sd-turbo-big', layout: 'single', unetBytes: 1_740_000_000 },
  { repo: 'tiny/sd-turbo-big-ext', layout: 'external', unetBytes: 2_560_000_000 },
].filter((m) => !process.env.LAYOUT || process.env.LAYOUT === m.layout) as { repo: string; layout: BigLayout; unetBytes: number }[];

const Z_IMAGE = { repo: 'tiny/z-image-turbo-big', textEncoderBytes: 2_300_000_000, transformerBytes: 2_600_000_000 };
const withZImage = !process.env.LAYOUT || process.env.LAYOUT === 'z-image';

execSync('npx vite build', { stdio: 'ignore' });
for (const m of MODELS) await ensureBigModel(ROOT, m.repo, m);
const hub = await startHub({ root: ROOT });
const app = await startApp();

/** Resident memory of every Chromium process, in bytes (shared pages counted in each: an upper bound). */
function browserRss(): number {
  const out = execSync("ps -eo rss=,comm= | awk '$2 ~ /chrom/ {s += $1} END {print s + 0}'").toString();
  return Number(out) * 1024;
}

/** Samples browser memory every 250 ms while `work` runs; returns its result, time and peak growth. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; peakGrowth: number }> {
  const base = browserRss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, browserRss())), 250);
  const t0 = Date.now();
  try {
    const value = await work();
    return { value, ms: Date.now() - t0, peakGrowth: Math.max(0, Math.max(peak, browserRss()) - base) };
  } finally {
    clearInterval(timer);
  }
}

async function click(page: Page, testid: 'generate' | 'download', done: string): Promise<void> {
  await page.getByTestId(testid).click();
  await page.waitForSelector(`${done}, [data-testid="error"]`, { timeout: 1_800_000 });
  await page.waitForFunction(() => !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement).disabled, undefined, { timeout: 1_800_000 });
  const error = await page.$('[data-testid="error"]');
  if (error) throw new Error((await error.textContent()) ?? 'error');
}

const stages = async (page: Page) => {
  const info = ((await page.getByTestId('result-info').textContent()) ?? '').replace(/\s+/g, ' ');
  const ms = (label: string) => {
    const m = new RegExp(`${label} ([\\d.]+) (ms|s)`).exec(info);
    return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : 0;
  };
  return { total: ms('total'), stages: ms('text encoder') + ms('UNet') + ms('VAE') };
};

/** In a page: writes `bytes` of data to OPFS through a sync access handle in a worker, 1 MiB at a time; resolves with ms. */
const WRITE_PROBE = `async function (bytes) {
  const src = \`onmessage = async ({ data: bytes }) => {
    const root = await navigator.storage.getDirectory();
    const access = await (await root.getFileHandle('write-probe.bin', { create: true })).createSyncAccessHandle();
    const chunk = new Uint8Array(1 << 20).map((_, i) => i * 7);
    const t0 = performance.now();
    for (let at = 0; at < bytes; at += chunk.byteLength) access.write(chunk.subarray(0, Math.min(chunk.byteLength, bytes - at)), { at });
    access.flush();
    const ms = performance.now() - t0;
    access.close();
    await root.removeEntry('write-probe.bin');
    postMessage(ms);
  };\`;
  const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  return new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.postMessage(bytes); });
}`;

/** In the app's page: reads every stored file back from OPFS (as a string: tsx would add helpers the page lacks). */
const READ_BACK = `(async () => {
  const t0 = performance.now();
  async function walk(dir) {
    for await (const h of dir.values()) {
      if (h.kind === 'directory') await walk(h);
      else {
        const reader = (await h.getFile()).stream().getReader();
        while (!(await reader.read()).done) {}
      }
    }
  }
  await walk(await navigator.storage.getDirectory());
  return performance.now() - t0;
})()`;

/**
 * In a page: the same number of bytes written into WebGPU buffers (64 MiB each, queue.writeBuffer)
 * and waited for; resolves with ms. What any loader must at least spend to put the weights on
 * this adapter (on SwiftShader, "GPU memory" is host memory behind Chromium's GPU process).
 */
const GPU_UPLOAD = `async function (bytes) {
  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter.requestDevice({ requiredLimits: { maxBufferSize: adapter.limits.maxBufferSize } });
  const chunk = new Uint8Array(64 << 20).map((_, i) => i * 7);
  const buffers = [];
  const t0 = performance.now();
  for (let at = 0; at < bytes; at += chunk.byteLength) {
    const n = Math.min(chunk.byteLength, bytes - at) & ~3;
    const b = device.createBuffer({ size: n, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(b, 0, chunk, 0, n);
    buffers.push(b);
  }
  await device.queue.onSubmittedWorkDone();
  const ms = performance.now() - t0;
  for (const b of buffers) b.destroy();
  device.destroy();
  return ms;
}`;

const rows: Record<string, string | number>[] = [];
for (const m of MODELS) {
  const files = bigModelFiles(m.layout);
  const bytes = (await Promise.all(files.map((f) => stat(join(ROOT, m.repo, f)).then((s) => s.size)))).reduce((a, b) => a + b, 0);
  const profile = await mkdtemp(join(tmpdir(), 'bench-big-'));
  const url = `${app.url}/?${new URLSearchParams({ hub: hub.url, model: m.repo })}`;
  let context = await launchPersistentChromium(profile);
  let page = await context.newPage();
  await page.goto(url);
  await confirmHub(page);

  // 1. The same files fetched and discarded, the same bytes written to OPFS, then the download
  // through the engine (the page prepares the model right after, so the probes go first).
  const probe = await context.newPage();
  await probe.goto(`${hub.url}/api/models/${m.repo}`); // another origin: the app's CSP forbids blob workers
  const fetchMs = await probe.evaluate(async (urls: string[]) => {
    const t0 = performance.now();
    for (const u of urls) {
      const reader = (await fetch(u, { cache: 'no-store' })).body!.getReader();
      while (!(await reader.read()).done) {}
    }
    return performance.now() - t0;
  }, files.map((f) => `${hub.url}/${m.repo}/resolve/main/${f}`));
  const writeMs = await probe.evaluate<number>(`(${WRITE_PROBE})(${bytes})`);
  await probe.close();
  const download = await measured(() => click(page, 'download', '[data-testid="download-info"]'));

  // 2. Warm visit in a fresh browser (so memory starts from nothing): page open → "model ready"
  // (sessions open, one warm-up image); then the same files read back from OPFS.
  await context.close();
  context = await launchPersistentChromium(profile);
  const load = await measured(async () => {
    page = await context.newPage();
    await page.goto(url);
    await confirmHub(page);
    await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 1_800_000 });
  });
  const readMs = await page.evaluate<number>(READ_BACK);
  // Where the warm load went: each component's session, and the warm-up image.
  const source = { hubUrl: hub.url, model: m.repo, revision: 'main', backend: 'auto' };
  const loadMs = await page.evaluate<Record<string, number>>(`studio.engine.warmUp(${JSON.stringify(source)}).then((p) => p.loadMs)`);

  // 3. First image once ready, then the next; stage times against the total.
  const first = await measured(() => click(page, 'generate', '[data-testid="result-image"]'));
  await page.getByTestId('seed').fill('2');
  const next = await measured(() => click(page, 'generate', '[data-testid="result-image"]'));
  const gen = await stages(page);
  await page.close(); // its GPU memory goes before the upload probe takes as much again
  const probePage = await context.newPage();
  await probePage.goto(`${hub.url}/api/models/${m.repo}`);
  const uploadMs = await probePage.evaluate<number>(`(${GPU_UPLOAD})(${bytes})`);

  const mbps = (ms: number) => Math.round(bytes / 1048576 / (ms / 1000));
  const x = (v: number) => `${(v / bytes).toFixed(2)}×`;
  rows.push({
    model: `${m.layout} ${(bytes / 1e9).toFixed(2)} GB`,
    'download MB/s': mbps(download.ms),
    'fetch MB/s': mbps(fetchMs),
    'OPFS write MB/s': mbps(writeMs),
    'warm load s (ready)': (load.ms / 1000).toFixed(1),
    'read back s': (readMs / 1000).toFixed(1),
    'GPU upload s': (uploadMs / 1000).toFixed(1),
    'load breakdown s': Object.entries(loadMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', '),
    'peak mem download': x(download.peakGrowth),
    'peak mem load': x(load.peakGrowth),
    'first image s': (first.ms / 1000).toFixed(2),
    'next image s': (next.ms / 1000).toFixed(2),
    'stages/total': `${Math.round(gen.stages)}/${Math.round(gen.total)} ms`,
  });
  console.log(rows.at(-1));
  await context.close();
  await rm(profile, { recursive: true, force: true });
}

/**
 * The Z-Image row: a model larger than one WebAssembly memory, on the CPU backend (where every
 * session's weights live in its worker's memory), in a persistent profile.
 */
async function zImageRow(): Promise<Record<string, string | number>> {
  const t0 = Date.now();
  const dir = await ensureBigZImageModel(ROOT, Z_IMAGE.repo, Z_IMAGE);
  const generateS = ((Date.now() - t0) / 1000).toFixed(0);
  const files = bigZImageFiles(Z_IMAGE);
  const bytes = (await Promise.all(files.map((f) => stat(join(dir, f)).then((s) => s.size)))).reduce((a, b) => a + b, 0);
  const profile = await mkdtemp(join(tmpdir(), 'bench-big-z-'));
  try {
    const url = `${app.url}/?${new URLSearchParams({ hub: hub.url, model: Z_IMAGE.repo, backend: 'wasm' })}`;
    let context = await launchPersistentChromium(profile);
    let page = await context.newPage();
    await page.goto(url);
    await confirmHub(page);
    const download = await measured(() => click(page, 'download', '[data-testid="download-info"]'));
    await context.close();

    // A fresh browser: open → "model ready" (every component opened once, one warm-up image).
    context = await launchPersistentChromium(profile);
    const sessionWorkers = () => context.pages().flatMap((p) => p.workers()).filter((w) => w.url().includes('session-worker')).length;
    const load = await measured(async () => {
      page = await context.newPage();
      await page.goto(url);
      await confirmHub(page);
      await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 1_800_000 });
    });
    const workersReady = sessionWorkers();
    await page.getByTestId('width').fill('256');
    await page.getByTestId('height').fill('256');
    await page.getByTestId('steps').fill('4');
    // A new prompt reopens the text encoder in a worker of its own; the same prompt with another seed does not.
    const first = await measured(() => click(page, 'generate', '[data-testid="result-image"]'));
    const memory = (await page.getByTestId('memory-plan').textContent()) ?? '';
    await page.getByTestId('seed').fill('2');
    const next = await measured(() => click(page, 'generate', '[data-testid="result-image"]'));
    const info = ((await page.getByTestId('result-info').textContent()) ?? '').replace(/\s+/g, ' ');
    const perStep = /transformer ([\d.]+) (ms|s)/.exec(info);
    await context.close();
    const x = (v: number) => `${(v / bytes).toFixed(2)}×`;
    console.log(memory);
    return {
      model: `z-image ${(bytes / 1e9).toFixed(2)} GB, wasm`,
      'generated in s': generateS,
      'download MB/s': Math.round(bytes / 1048576 / (download.ms / 1000)),
      'warm load s (ready)': (load.ms / 1000).toFixed(1),
      'session workers when ready': workersReady,
      'peak mem download': x(download.peakGrowth),
      'peak mem load': x(load.peakGrowth),
      'peak mem first image': x(first.peakGrowth),
      'first image s (new prompt)': (first.ms / 1000).toFixed(2),
      'next image s (same prompt)': (next.ms / 1000).toFixed(2),
      'transformer per step': perStep ? `${((Number(perStep[1]) * (perStep[2] === 's' ? 1000 : 1)) / 4).toFixed(0)} ms` : '?',
    };
  } finally {
    // Gigabytes made for this row only: the repo, its stamp and the profile go.
    await rm(dir, { recursive: true, force: true });
    await rm(join(ROOT, `.${Z_IMAGE.repo.replace('/', '--')}.stamp`), { force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

if (withZImage) {
  rows.push(await zImageRow());
  console.log(rows.at(-1));
}

console.table(rows);
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/big.json', JSON.stringify({ when: new Date().toISOString(), rows }, null, 2));
await app.close();
await hub.close();
