// Per family of stand-in models, in headless Chromium (WebGPU on SwiftShader without a GPU):
// time to first image cold (empty cache: download + open + generate) and warm (revisit: the
// page prepares the model by itself, then Generate), the next image in the same page, and the
// denoiser's (UNet's or transformer's) time per step. Every real layout has a family
// (configless, tokenizer.json only, static shapes, diffusers SDXL with shards, webnn's flat int4
// folder, both Z-Image layouts at 256²); the flat folder also runs as a repo offering two
// variants (q4f16 and fp32 files), each picked by ?variant=. Prints a table and writes
// bench/results/families.json.
// Run: npm run bench:families   (builds the app first; FAMILIES=sd21,lcm to pick some)
import { execSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { confirmHub } from '../test/support/app-driver.ts';
import { launchChromium } from '../test/support/browser.ts';
import { startApp } from '../tools/app-server.ts';
import { startHub } from '../tools/hub/hub-server.ts';
import { ensureTinyModel, FAMILIES, type FamilyId } from '../tools/tiny-model/tiny-model.ts';
import { twoVariantRepo } from '../test/support/variant-repos.ts';

const ROOT = '.cache/hub-root';
// fp16 I/O families run on the CPU here: SwiftShader's WebGPU has no shader-f16 (int4 on the CPU:
// onnxruntime's plain wasm build, which the session worker loads for the CPU backend).
const CPU_ONLY = new Set<FamilyId>(['sd15', 'webnn', 'sd-turbo-fp16', 'sdxl-turbo-webnn', 'z-image-turbo']);
/** The flat folder with two variants (test/support/variant-repos.ts), run once per variant. */
const TWO_VARIANTS = 'bench/sdxl-turbo-two-variants';
const VARIANT_RUNS = [
  { label: 'sdxl-turbo-webnn q4f16 (of two)', variant: 'q4f16', backend: 'wasm' },
  { label: 'sdxl-turbo-webnn fp32 (of two)', variant: '', backend: 'wasm' },
  { label: 'sdxl-turbo-webnn fp32 (of two)', variant: '', backend: 'auto' },
];
const STEPS: Partial<Record<FamilyId, number>> = { sd15: 4, sd21: 4, 'sd2-v': 4 }; // SD's default 25 steps take minutes on SwiftShader
// Z-Image's default 1024² takes minutes a step on SwiftShader: the stand-ins run at 256².
const SIZE: Partial<Record<FamilyId, number>> = { 'z-image-turbo': 256, 'z-image-turbo-demo': 256 };
const picked = (process.env.FAMILIES?.split(',') ?? Object.keys(FAMILIES)) as FamilyId[];

execSync('npx vite build', { stdio: 'ignore' });
for (const id of picked) await ensureTinyModel(ROOT, FAMILIES[id].repo, { family: id });
const variants = picked.includes('sdxl-turbo-webnn');
if (variants) await twoVariantRepo(ROOT, TWO_VARIANTS);
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

interface Run {
  family: string;
  standsFor: string;
  repo: string;
  backend: string;
  variant?: string;
  steps?: number;
  size?: number;
}
const runs: Run[] = picked.map((id) => ({ family: id, standsFor: FAMILIES[id].standsFor, repo: FAMILIES[id].repo, backend: CPU_ONLY.has(id) ? 'wasm' : 'auto', steps: STEPS[id], size: SIZE[id] }));
if (variants) for (const v of VARIANT_RUNS) runs.push({ family: v.label, standsFor: 'a flat onnx/ repo with q4f16 and fp32 files', repo: TWO_VARIANTS, backend: v.backend, variant: v.variant });

const rows: Record<string, unknown>[] = [];
for (const run of runs) {
  try {
    rows.push(await measure(run));
  } catch (err) {
    // A family that cannot run here is recorded, not a reason to stop.
    rows.push({ family: run.family, standsFor: run.standsFor, error: (err as Error).message.slice(0, 160) });
  }
}

async function measure({ family, standsFor, repo, backend, variant, steps: stepsAsked, size }: Run): Promise<Record<string, unknown>> {
  const ask = async (page: Page) => {
    if (stepsAsked) await page.getByTestId('steps').fill(String(stepsAsked));
    if (size) for (const id of ['width', 'height']) await page.getByTestId(id).fill(String(size));
  };
  const url = `${app.url}/?${new URLSearchParams({ hub: hub.url, model: repo, backend, ...(variant !== undefined && { variant }) })}`;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await confirmHub(page);
    await ask(page);
    const cold = await generate(page);
    const files = ((await page.getByTestId('model-info').textContent()) ?? '').match(/· ([^·]+) files\s*$/)?.[1];
    await page.reload();
    const t0 = Date.now();
    await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 900_000 });
    const ready = Date.now() - t0;
    await ask(page);
    const warm = await generate(page);
    await page.getByTestId('seed').fill('7');
    const next = await generate(page);
    const steps = Number(/(\d+) steps?/.exec(next.info)?.[1] ?? 1);
    const m = /(?:UNet|transformer) ([\d.]+) (ms|s)/.exec(next.info);
    const unet = m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
    const backendUsed = /backend (\w+)/.exec(next.info)?.[1];
    return { family, standsFor, backend: backendUsed, ...(files && { files }), steps, coldMs: cold.ms, readyAfterReloadMs: ready, warmFirstMs: warm.ms, nextMs: next.ms, denoiserPerStepMs: Math.round(unet / steps) };
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
