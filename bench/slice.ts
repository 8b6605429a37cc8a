// Figures for the walking slice, in headless Chromium with WebGPU (SwiftShader without a GPU):
// cold (empty cache) and warm (revisit) time to first image for the tiny model, and download
// throughput of the UNet into OPFS vs a plain fetch-and-discard of the same file.
// Run: npm run bench   (builds the app first)
import { execSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { startApp } from '../tools/app-server.ts';
import { confirmHub } from '../test/support/app-driver.ts';
import { launchChromium } from '../test/support/browser.ts';
import { startHub, type Hub } from '../tools/hub/hub-server.ts';
import { ensureTinyModel } from '../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
const MODEL = 'tiny/sd-turbo-tiny';
const RUNS = Number(process.env.RUNS || 3);

execSync('npx vite build', { stdio: 'ignore' });
await ensureTinyModel(ROOT, MODEL);
const hub = await startHub({ root: ROOT });
const app = await startApp();
const browser = await launchChromium();
const url = `${app.url}/?${new URLSearchParams({ hub: hub.url, model: MODEL })}`;

async function clickAndWait(page: Page, testid: 'generate' | 'download', done: string): Promise<number> {
  const t0 = Date.now();
  await page.getByTestId(testid).click();
  await page.waitForSelector(`${done}, [data-testid="error"]`, { timeout: 600_000 });
  await page.waitForFunction(() => !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement).disabled);
  const error = await page.$('[data-testid="error"]');
  if (error) throw new Error(await error.textContent() ?? 'error');
  return Date.now() - t0;
}

const unetTransfer = (h: Hub) => {
  const r = h.log.find((e) => e.server === 'cdn' && e.path === 'unet/model.onnx' && e.method === 'GET')!;
  return { bytes: r.bytesSent, ms: r.endTime! - r.time };
};
const mbps = (bytes: number, ms: number) => (bytes / 1024 / 1024 / (ms / 1000)).toFixed(1);

// Time to first image, cold then warm.
const context = await browser.newContext();
const page = await context.newPage();
await page.goto(url);
await confirmHub(page);
const cold = await clickAndWait(page, 'generate', '[data-testid="result-image"]');
const coldStages = await page.getByTestId('result-info').textContent();
await page.reload();
const warm = await clickAndWait(page, 'generate', '[data-testid="result-image"]');
const warmStages = await page.getByTestId('result-info').textContent();
await page.getByTestId('seed').fill('1');
const next = await clickAndWait(page, 'generate', '[data-testid="result-image"]');
const nextStages = await page.getByTestId('result-info').textContent();
await context.close();
console.log(`time to first image, cold (empty cache): ${(cold / 1000).toFixed(1)} s   [${coldStages?.replace(/\s+/g, ' ').trim()}]`);
console.log(`time to first image, warm (revisit):     ${(warm / 1000).toFixed(1)} s   [${warmStages?.replace(/\s+/g, ' ').trim()}]`);
console.log(`next image, same page (sessions open):  ${(next / 1000).toFixed(1)} s   [${nextStages?.replace(/\s+/g, ' ').trim()}]`);

// UNet download: into OPFS through the engine (fresh profile each run) vs fetch-and-discard.
const opfs: number[] = [];
const plain: number[] = [];
let size = 0;
for (let i = 0; i < RUNS; i++) {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto(url);
  await confirmHub(p);
  hub.clearLog();
  await clickAndWait(p, 'download', '[data-testid="download-info"]');
  const t = unetTransfer(hub);
  size = t.bytes;
  opfs.push(t.ms);
  hub.clearLog();
  const resolveUrl = `${hub.url}/${MODEL}/resolve/main/unet/model.onnx`;
  await p.evaluate(async (u) => {
    const reader = (await fetch(u)).body!.getReader();
    while (!(await reader.read()).done) {}
  }, resolveUrl);
  plain.push(unetTransfer(hub).ms);
  await ctx.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`UNet ${(size / 1024 / 1024).toFixed(1)} MB, ${RUNS} runs, median (server-side transfer time):`);
console.log(`  into OPFS via the engine: ${mbps(size, median(opfs))} MB/s  (${opfs.join(', ')} ms)`);
console.log(`  fetch-and-discard:        ${mbps(size, median(plain))} MB/s  (${plain.join(', ')} ms)`);

await browser.close();
await app.close();
await hub.close();
