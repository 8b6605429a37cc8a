// Per family of stand-in models, in headless Chromium (WebGPU on SwiftShader without a GPU):
// time to first image cold (empty cache: download + open + generate) and warm (revisit: the
// page prepares the model by itself, then Generate), the next image in the same page, and the
// UNet's time per step. Prints a table and writes bench/results/families.json.
// Run: npm run bench:families   (builds the app first; FAMILIES=sd21,lcm to pick some)
import { execSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser.ts';
import { startApp } from '../tools/app-server.ts';
import { startHub } from '../tools/hub/hub-server.ts';
import { ensureTinyModel, FAMILIES, type FamilyId } from '../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
// fp16 I/O families run on the CPU here: SwiftShader's WebGPU has no shader-f16.
const CPU_ONLY = new Set<FamilyId>(['sd15', 'webnn', 'sd-turbo-fp16', 'sdxl-turbo-webnn']);
const STEPS: Partial<Record<FamilyId, number>> = { sd15: 4, sd21: 4, 'sd2-v': 4 }; // SD's default 25 steps take minutes on SwiftShader
const picked = (process.env.FAMILIES?.split(',') ?? Object.keys(FAMILIES)) as FamilyId[];

execSync('npx vite build', { stdio: 'ignore' });
for (const id of picked) await ensureTinyModel(ROOT, FAMILIES[id].repo, { family: id });
const hub = await startHub({ root: ROOT });
const app = await startApp();
const browser = await launchChromium();

async function generate(page: Page): Promise<{ ms: number; info: string }> {
  const t0 = Date.now();
  await page.getByTestId('generate').click();
  await page.waitForSelector('[data-testid="result-image"], [data-testid="error"]', { timeout: 900_000 });
  await page.waitForFunction(() => !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement).disabled, undefined, { timeout: 900_000 });
  const error = await page.$('[data-testid="error"]');
  if (error) throw new Error((await error.textContent()) ?? 'error');
  return { ms: Date.now() - t0, info: ((await page.getByTestId('result-info').textContent()) ?? '').replace(/\s+/g, ' ').trim() };
}

const rows: Record<string, unknown>[] = [];
for (const id of picked) {
  try {
    rows.push(await measure(id));
  } catch (err) {
    // e.g. sdxl-turbo-webnn on the CPU: onnxruntime-web's WebGPU build has no GatherBlockQuantized CPU kernel.
    rows.push({ family: id, standsFor: FAMILIES[id].standsFor, error: (err as Error).message.slice(0, 160) });
  }
}

async function measure(id: FamilyId): Promise<Record<string, unknown>> {
  const backend = CPU_ONLY.has(id) ? 'wasm' : 'auto';
  const url = `${app.url}/?${new URLSearchParams({ hub: hub.url, model: FAMILIES[id].repo, backend })}`;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    if (STEPS[id]) await page.getByTestId('steps').fill(String(STEPS[id]));
    const cold = await generate(page);
    await page.reload();
    const t0 = Date.now();
    await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 900_000 });
    const ready = Date.now() - t0;
    if (STEPS[id]) await page.getByTestId('steps').fill(String(STEPS[id]));
    const warm = await generate(page);
    await page.getByTestId('seed').fill('7');
    const next = await generate(page);
    const steps = Number(/(\d+) steps?/.exec(next.info)?.[1] ?? 1);
    const m = /UNet ([\d.]+) (ms|s)/.exec(next.info);
    const unet = m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
    const backendUsed = /backend (\w+)/.exec(next.info)?.[1];
    return { family: id, standsFor: FAMILIES[id].standsFor, backend: backendUsed, steps, coldMs: cold.ms, readyAfterReloadMs: ready, warmFirstMs: warm.ms, nextMs: next.ms, unetPerStepMs: Math.round(unet / steps) };
  } finally {
    await context.close();
  }
}

console.table(rows);
await mkdir('bench/results', { recursive: true });
await writeFile('bench/results/families.json', JSON.stringify({ when: new Date().toISOString(), rows }, null, 2));
await browser.close();
await app.close();
await hub.close();
