// The app around the real repos' layouts (issue #15): a flat onnx/ folder's variants offered on
// the model card with their sizes, the device's pick downloaded and no other, another variant
// chosen by hand; a static-shape export fixing the form's image size; what was assumed said on
// the card; the known models' figures from kept listings; the fp32 branch found from listings.
// On the CPU backend unless the point is WebGPU (its variant pick, and the fp16 error).
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { copyStandIn, UNTIL_TEST_TIMEOUT, useE2e } from '../support/e2e.ts';
import { resultPixels, expectClose } from '../support/pixels.ts';
import { referenceImage } from '../support/reference.ts';
import { twoVariantRepo } from '../support/variant-repos.ts';
import { FAMILIES } from '../../tools/tiny-model/tiny-model.ts';
import { formatBytes } from '../../src/ui/format.ts';

const SDXL_TURBO = 'webnn/sdxl-turbo';
const SD_TURBO_WEBNN = 'microsoft/sd-turbo-webnn';
const FP16 = 'org/sd-turbo-fp16';
const PROMPT = 'a photo of a cat';

const e2e = useE2e({
  root: async (dir) => {
    await twoVariantRepo(dir, SDXL_TURBO); // q4f16 (int4, fp16 I/O) and plain fp32 files
    await copyStandIn(dir, SD_TURBO_WEBNN, FAMILIES.webnn.repo); // static shapes: 16×16 latents
    // fp16 on main; a branch named fp32 holding the same fp16 files, and fp32 files in `cpu`.
    await copyStandIn(dir, FP16, FAMILIES['sd-turbo-fp16'].repo);
    await copyStandIn(dir, `${FP16}@fp32`, FAMILIES['sd-turbo-fp16'].repo);
    await writeFile(join(dir, `${FP16}@fp32`, 'README.md'), 'The same weights, another commit.\n');
    await copyStandIn(dir, `${FP16}@cpu`, FAMILIES['sd-turbo'].repo);
  },
});
const WASM = { backend: 'wasm' };

/** Bytes of the repo's files whose path passes `keep` (what the hub lists as their sizes). */
async function bytesOf(repo: string, keep: (path: string) => boolean): Promise<number> {
  let total = 0;
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (keep(relative(join(e2e.root, repo), p))) total += (await stat(p)).size;
    }
  };
  await walk(join(e2e.root, repo));
  return total;
}
const q4f16 = (p: string) => /_model_q4f16\.onnx$/.test(p);
const fp32 = (p: string) => /^onnx\/\w+_model\.onnx$/.test(p);

const downloadedPaths = () => [...new Set(e2e.hub.log.filter((r) => r.server === 'cdn' || r.url.includes('/resolve-cache/')).map((r) => r.path!))].sort();
const optionTexts = (page: Page) => page.locator('[data-testid="model-variant"] option').allTextContents();


async function generate(page: Page, seed: number) {
  const error = await act(page, 'generate', { prompt: PROMPT, seed });
  if (error) throw new Error(`the app reported: ${error}`);
  return resultPixels(page);
}

describe('a repo with several variants (flat onnx/ folder)', () => {
  it('the card offers them with their sizes and picks what the CPU runs; only that one is downloaded; another can be chosen', async () => {
    const context = await e2e.newContext();
    const page = await e2e.open(context, { model: SDXL_TURBO, ...WASM });
    await page.waitForSelector('[data-testid="model-variant"]');
    const [q4Bytes, fp32Bytes] = [await bytesOf(SDXL_TURBO, q4f16), await bytesOf(SDXL_TURBO, fp32)];
    expect(await optionTexts(page)).toEqual([
      `Best for this device: int4 weights (MatMulNBits), fp16 · ${formatBytes(q4Bytes)}`,
      `fp32 · ${formatBytes(fp32Bytes)}`,
      `int4 weights (MatMulNBits), fp16 · ${formatBytes(q4Bytes)}`,
    ]);
    expect(await page.getByTestId('model-card').textContent()).toContain(`${formatBytes(q4Bytes)} to download`);

    e2e.hub.clearLog();
    const image = await generate(page, 19);
    // int4 weights on the CPU: the page's sessions use onnxruntime's plain wasm build.
    expect(downloadedPaths()).toEqual(['onnx/text_encoder_2_model_q4f16.onnx', 'onnx/text_encoder_model_q4f16.onnx', 'onnx/unet_model_q4f16.onnx', 'onnx/vae_decoder_model_q4f16.onnx']);
    expect(await page.getByTestId('model-info').textContent()).toContain('int4 weights (MatMulNBits), fp16 files');
    expectClose(image, (await referenceImage(join(e2e.root, SDXL_TURBO), { prompt: PROMPT, seed: 19 }, { variant: 'q4f16', repoId: SDXL_TURBO })).image, 'q4f16 on the CPU', { flatAllowed: true });

    // What the repo did not say is said on the card: SDXL-Turbo's scheduler, the app's CLIP tokenizers.
    const assumed = (await page.getByTestId('assumed-config').textContent())!;
    expect(assumed).toContain("the app assumed SDXL-Turbo's configuration (from stabilityai/sdxl-turbo)");
    expect(assumed).toContain("No scheduler/scheduler_config.json: using SDXL-Turbo's");
    expect(assumed).toMatch(/The repo has no tokenizer\/ .*: using .*CLIP/);
    expect(assumed).toMatch(/The repo has no tokenizer_2\//);
    expect((await page.getByTestId('model-defaults').textContent())!.replace(/\s+/g, ' ')).toMatch(/1 step, no guidance, 512×512, EulerAncestralDiscreteScheduler; tokenizers: the standard CLIP tokenizer .* \(both\)/);

    // The other variant, by hand: its own files come down, none of the first's again.
    e2e.hub.clearLog();
    await page.getByTestId('model-variant').selectOption({ label: `fp32 · ${formatBytes(fp32Bytes)}` });
    await expect.poll(() => page.getByTestId('model-card').textContent(), UNTIL_TEST_TIMEOUT).toContain(`${formatBytes(fp32Bytes)} to download`);
    const other = await generate(page, 19);
    expect(downloadedPaths()).toEqual(['onnx/text_encoder_2_model.onnx', 'onnx/text_encoder_model.onnx', 'onnx/unet_model.onnx', 'onnx/vae_decoder_model.onnx']);
    expect(await page.getByTestId('model-info').textContent()).toContain('fp32 files');
    expectClose(other, (await referenceImage(join(e2e.root, SDXL_TURBO), { prompt: PROMPT, seed: 19 }, { variant: '', repoId: SDXL_TURBO })).image, 'fp32 variant on the CPU', { flatAllowed: true });

    // The picker's figures for the repo come from its kept listing; a known model never listed here has none.
    const figures = (id: string) => page.locator(`[data-testid="model-option"][data-model="${id}"] [data-testid="model-option-figures"]`).textContent();
    expect(await figures(SDXL_TURBO)).toContain(`${formatBytes(fp32Bytes)}, fp32 · ${formatBytes(q4Bytes)}, int4 weights (MatMulNBits), fp16`);
    expect(await figures('aislamov/lcm-dreamshaper-v7-onnx')).toContain('not listed on this device yet');
    // Kept: another visit, offline, shows the same figures and asks the hub nothing.
    e2e.hub.clearLog();
    await context.setOffline(true);
    const again = await e2e.open(context, { model: 'aislamov/lcm-dreamshaper-v7-onnx', ...WASM });
    await expect.poll(() => again.locator(`[data-model="${SDXL_TURBO}"] [data-testid="model-option-figures"]`).textContent(), UNTIL_TEST_TIMEOUT).toContain(formatBytes(q4Bytes));
    expect(e2e.hub.log.filter((r) => r.url.includes(SDXL_TURBO))).toEqual([]);
    await context.setOffline(false);
  });

  it('on WebGPU without shader-f16 the card picks the fp32 files and marks the fp16 ones', async () => {
    const page = await e2e.open(await e2e.newContext(), { model: SDXL_TURBO });
    await page.waitForSelector('[data-testid="model-variant"]');
    const texts = await optionTexts(page);
    expect(texts[0]).toMatch(/^Best for this device: fp32 · /);
    expect(texts[2]).toMatch(/^int4 weights \(MatMulNBits\), fp16 · .* · needs shader-f16$/);
  });

  it('the fp16 files chosen by hand there: the error offers the repo’s fp32 files, which run on WebGPU', async () => {
    const page = await e2e.open(await e2e.newContext(), { model: SDXL_TURBO, variant: 'q4f16' });
    await page.waitForSelector('[data-testid="variant-note"]');
    const error = (await act(page, 'generate', { prompt: PROMPT, seed: 19 }))!;
    expect(error).toContain("which this GPU's WebGPU does not offer");
    expect(error).toContain('This repo also has fp32 files: its “plain” variant.');
    e2e.hub.clearLog();
    await page.getByTestId('use-fp32-variant').click();
    await page.waitForSelector('[data-testid="result-image"], [data-testid="error"]', { timeout: 0 });
    await expect.poll(() => page.getByTestId('generate').isEnabled(), UNTIL_TEST_TIMEOUT).toBe(true);
    expect(await page.getByTestId('error').count()).toBe(0);
    expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
    expect(downloadedPaths().every((p) => fp32(p))).toBe(true);
    const ref = await referenceImage(join(e2e.root, SDXL_TURBO), { prompt: PROMPT, seed: 19 }, { variant: '', repoId: SDXL_TURBO });
    expectClose(await resultPixels(page), ref.image, 'fp32 variant on WebGPU', { flatAllowed: true });
  });
});

describe('a static-shape export (microsoft/sd-turbo-webnn)', () => {
  it('makes its one size whatever the form asked, then fixes the form’s size with a note; what it assumed is on the card', async () => {
    const page = await e2e.open(await e2e.newContext(), { model: SD_TURBO_WEBNN, ...WASM });
    await page.getByTestId('width').fill('256');
    await page.getByTestId('height').fill('192');
    const image = await generate(page, 15);
    expect([image.width, image.height]).toEqual([128, 128]); // its UNet takes 16×16 latents only
    expect(await page.getByTestId('width').inputValue()).toBe('128');
    expect(await page.getByTestId('width').isDisabled()).toBe(true);
    expect(await page.getByTestId('height').inputValue()).toBe('128');
    expect(await page.getByTestId('fixed-size-note').textContent()).toContain('This model makes 128×128 images only: its export fixes the UNet’s latent size');
    const assumed = (await page.getByTestId('assumed-config').textContent())!;
    expect(assumed).toContain("SD-Turbo's configuration (from stabilityai/sd-turbo)");
    expect(assumed).toMatch(/no tokenizer\/.*CLIP/);
    expectClose(image, (await referenceImage(join(e2e.root, SD_TURBO_WEBNN), { prompt: PROMPT, seed: 15 }, { repoId: SD_TURBO_WEBNN })).image, 'static shapes', { flatAllowed: true });
  });
});

describe('an fp16 repo on WebGPU without shader-f16', () => {
  it('names the branch whose files are fp32 (cpu), not the one whose name says fp32', async () => {
    const page = await e2e.open(await e2e.newContext(), { model: FP16 });
    const error = (await act(page, 'generate', { prompt: PROMPT, seed: 1 }))!;
    expect(error).toContain('This repo has an fp32 revision: “cpu” (every component');
    expect(await page.getByTestId('use-fp32').textContent()).toBe('Use the fp32 revision “cpu”');
  });
});

it('the known models include the WebNN exports', async () => {
  const page = await e2e.open(await e2e.newContext(), WASM);
  await page.waitForSelector('[data-testid="model-option"]');
  const ids = await page.locator('[data-testid="model-option"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-model')));
  expect(ids).toEqual(expect.arrayContaining([SDXL_TURBO, SD_TURBO_WEBNN, 'schmuell/sd-turbo-ort-web']));
});
