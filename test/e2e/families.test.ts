// Every model family the app runs, in Chromium: each stand-in (the real repo's file names, I/O
// names, dtypes and external data) generates in the browser, and the image equals the Node
// reference (the same pipeline on onnxruntime's wasm backend) for the same settings.
//
// What runs where: WebGPU (SwiftShader here, which compiles every shader of a new session on the
// CPU) where the backend is the point: one family with guidance as a batch of two (SD 2.1), an fp16
// model on a GPU without shader-f16, and a VAE that gives NaN only on WebGPU. Everything else is
// the pipeline's own logic in JavaScript (the family's I/O names, dtypes, scheduler and
// prediction type, settings, batches, img2img), the same on every backend: it runs on the CPU
// backend (wasm), which opens a tiny model in a fraction of the time. The slice test
// (slice.test.ts) checks the default model's pixels on WebGPU.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { UNTIL_TEST_TIMEOUT, useE2e } from '../support/e2e.ts';
import { encodePng, testPicture } from '../support/png.ts';
import { allResultPixels, pixelDiff, expectClose } from '../support/pixels.ts';
import { referenceImages } from '../support/reference.ts';
import { FAMILIES, type FamilyId } from '../../tools/tiny-model/tiny-model.ts';
import type { GenerateRequest } from '../../src/diffusion/index.ts';

const PROMPT = 'a photo of a cat';
const WASM = { backend: 'wasm' };
const e2e = useE2e();
let context: BrowserContext;
let tmp: string;
const dirs = {} as Record<FamilyId, string>;

beforeAll(async () => {
  for (const id of Object.keys(FAMILIES) as FamilyId[]) dirs[id] = join(e2e.root, FAMILIES[id].repo);
  // The fp16 repo gets an fp32 branch, as some real repos have: the SD-Turbo fp32 stand-in.
  await rm(`${dirs['sd-turbo-fp16']}@fp32`, { recursive: true, force: true });
  await cp(dirs['sd-turbo'], `${dirs['sd-turbo-fp16']}@fp32`, { recursive: true });
  context = await e2e.newContext();
  tmp = await mkdtemp(join(tmpdir(), 'families-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Settings {
  seed: number;
  steps?: number;
  guidance?: number;
  negative?: string;
  sampler?: string;
  batch?: number;
  width?: number;
  height?: number;
  initImage?: string;
  strength?: number;
}

async function open(family: FamilyId, params: Record<string, string> = {}): Promise<Page> {
  return e2e.open(context, { model: FAMILIES[family].repo, ...params });
}

/** Fills the form, generates, and returns every result image (fails on an error message). */
async function generateIn(page: Page, s: Settings) {
  // Every field is set (empty = the model's default), so nothing carries over from the last image.
  const fill = (id: string, v: number | string | undefined) => page.getByTestId(id).fill(v === undefined ? '' : String(v));
  await fill('steps', s.steps);
  await fill('guidance', s.guidance);
  await fill('negative-prompt', s.negative ?? '');
  await fill('batch', s.batch ?? 1);
  await fill('width', s.width);
  await fill('height', s.height);
  await page.getByTestId('scheduler').selectOption(s.sampler ?? '');
  if (s.initImage) {
    await page.getByTestId('init-image').setInputFiles(s.initImage);
    await fill('strength', s.strength);
  }
  const error = await act(page, 'generate', { prompt: PROMPT, seed: s.seed });
  if (error) throw new Error(`the app reported: ${error}`);
  return allResultPixels(page);
}

function request(s: Settings, init?: { width: number; height: number; data: Uint8ClampedArray }): Partial<GenerateRequest> & { prompt: string; seed: number } {
  return {
    prompt: PROMPT,
    seed: s.seed,
    negativePrompt: s.negative,
    batch: s.batch,
    sampler: s.sampler,
    ...(s.steps !== undefined && { steps: s.steps }),
    ...(s.guidance !== undefined && { guidanceScale: s.guidance }),
    ...(s.width !== undefined && { width: s.width, height: s.height }),
    ...(init && { initImage: init, strength: s.strength }),
  };
}


const distinct = (a: { data: number[] }, b: { data: number[] }) => pixelDiff(a.data, b.data).mean.reduce((x, y) => x + y) > 1;

describe.each([
  // family, page parameters, settings (steps kept low: SwiftShader runs every step on the CPU)
  ['sd15', WASM, { seed: 11, steps: 3, guidance: 7.5, negative: 'blurry' }],
  ['sd21', {}, { seed: 12, steps: 3, guidance: 7.5 }], // on WebGPU: guidance as a batch of two on the GPU
  ['sd2-v', WASM, { seed: 13, steps: 3, guidance: 5 }],
  ['lcm', WASM, { seed: 14, steps: 2 }],
  ['webnn', WASM, { seed: 15 }], // static shapes, no configs, the app's own CLIP tokenizer
  ['webnn', WASM, { seed: 15, guidance: 3, steps: 2 }], // guidance on a batch-1 UNet: two calls per step
  ['sd-turbo-bare', WASM, { seed: 16, width: 128, height: 128 }], // no model_index.json, scheduler or component configs
  ['sd-turbo-tokenizer-json', WASM, { seed: 17 }],
  ['sdxl', {}, { seed: 18, steps: 2, guidance: 3 }], // on WebGPU: two encoders, sharded external data
  // Flat onnx/, int4 MatMulNBits/GatherBlockQuantized, fp16 I/O: on the CPU, whose sessions use onnxruntime's plain wasm
  // build (its WebGPU build has no CPU GatherBlockQuantized kernel; SwiftShader's WebGPU has no shader-f16).
  ['sdxl-turbo-webnn', WASM, { seed: 19 }],
] as [FamilyId, Record<string, string>, Settings][])('%s stand-in', (family, params, settings) => {
  it('generates in the browser and matches the Node reference', async () => {
    const page = await open(family, params);
    const [image] = await generateIn(page, settings);
    const ref = await referenceImages(dirs[family], request(settings));
    expectClose(image, ref.images[0].image, family);
    await page.close();
  });
});

describe('settings people know (SD 2.1 stand-in on the CPU backend: the settings are the pipeline’s, not the backend’s)', () => {
  let page: Page;
  let base: Awaited<ReturnType<typeof generateIn>>[number];
  const s: Settings = { seed: 21, steps: 3, guidance: 7.5 };
  beforeAll(async () => {
    page = await open('sd21', WASM);
    [base] = await generateIn(page, s);
  });
  afterAll(() => page?.close());

  it('guidance and the negative prompt each change the image', async () => {
    const [noGuidance] = await generateIn(page, { ...s, guidance: 1 });
    const [negative] = await generateIn(page, { ...s, negative: 'blurry, dark' });
    expect(distinct(base, noGuidance)).toBe(true);
    expect(distinct(base, negative)).toBe(true);
  });

  it('a batch of 2 gives two different images with seeds seed and seed+1, equal to the reference', async () => {
    const images = await generateIn(page, { ...s, batch: 2 });
    expect(images.map((i) => i.seed)).toEqual([21, 22]);
    expect(distinct(images[0], images[1])).toBe(true);
    expect(images[0].data).toEqual(base.data);
    const ref = await referenceImages(dirs.sd21, request({ ...s, batch: 2 }));
    expectClose(images[1], ref.images[1].image, 'batch image 2');
  });

  it('another sampler (Euler a, stochastic) and another size match the reference', async () => {
    const settings = { ...s, sampler: 'euler-a', width: 96, height: 64 };
    const [image] = await generateIn(page, settings);
    expect([image.width, image.height]).toEqual([96, 64]);
    expectClose(image, (await referenceImages(dirs.sd21, request(settings))).images[0].image, 'euler a 96×64');
  });

  it('img2img from a picture matches the reference', async () => {
    const [w, h] = [128, 128];
    const picture = testPicture(w, h);
    const file = join(tmp, 'start.png');
    await writeFile(file, encodePng(w, h, picture));
    const settings = { ...s, steps: 4, initImage: file, strength: 0.5 };
    const [image] = await generateIn(page, settings);
    expectClose(image, (await referenceImages(dirs.sd21, request(settings, { width: w, height: h, data: picture }))).images[0].image, 'img2img');
    expect(distinct(image, base)).toBe(true);
  });

  it('the same seed gives the same pixels after a reload', async () => {
    const again = await open('sd21', WASM);
    const [image] = await generateIn(again, s);
    expect(image.data).toEqual(base.data);
    await again.close();
  });
});

describe('what goes wrong, said plainly', () => {
  const fp16Error = async (page: Page) => {
    const error = await act(page, 'generate', { prompt: PROMPT, seed: 1 });
    expect(error).toContain("uses 16-bit floats (float16, in its text_encoder), which this GPU's WebGPU does not offer");
    expect(error).toContain('This repo has an fp32 revision: “fp32”');
    expect(error).not.toMatch(/WGSL|compil|extension|enable f16/i); // not onnxruntime's shader error
  };
  /** Clicks a way out the error offers, waits for the image it makes, and returns it (no error allowed). */
  const takeWayOut = async (page: Page, button: 'use-fp32' | 'run-on-cpu') => {
    await page.getByTestId(button).click();
    await page.waitForSelector('[data-testid="result-image"], [data-testid="error"]', { timeout: 0 });
    await expect.poll(() => page.getByTestId('generate').isEnabled(), UNTIL_TEST_TIMEOUT).toBe(true);
    expect(await page.getByTestId('error').count()).toBe(0);
    return (await allResultPixels(page))[0];
  };

  it('an fp16 model on WebGPU without shader-f16 gives the plain message and offers the repo’s fp32 revision', async () => {
    const page = await open('sd-turbo-fp16');
    await fp16Error(page);
    const image = await takeWayOut(page, 'use-fp32');
    expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
    expect(await page.getByTestId('revision').inputValue()).toBe('fp32');
    expectClose(image, (await referenceImages(dirs['sd-turbo'], { prompt: PROMPT, seed: 1 })).images[0].image, 'fp32 revision on webgpu');
    await page.close();
  });

  it('… or the CPU, where it runs', async () => {
    const page = await open('sd-turbo-fp16');
    await fp16Error(page);
    // The offered way out works: the CPU backend runs it, and the image equals the reference.
    const image = await takeWayOut(page, 'run-on-cpu');
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    expectClose(image, (await referenceImages(dirs['sd-turbo-fp16'], { prompt: PROMPT, seed: 1 })).images[0].image, 'fp16 on the CPU');
    await page.close();
  });

  it('a VAE that gives NaN on WebGPU is rerun, the page says so, and the image equals the reference', async () => {
    const page = await open('tanh-vae');
    const [image] = await generateIn(page, { seed: 5 });
    expect(await page.getByTestId('notice').first().textContent()).toMatch(/vae decoder gave invalid numbers \(NaN\).*run again/);
    expectClose(image, (await referenceImages(dirs['tanh-vae'], { prompt: PROMPT, seed: 5 })).images[0].image, 'tanh vae');
    // Remembered for this model on this device: the next visit uses the working settings at once.
    await page.close(); // (frees its sessions before the next visit opens its own)
    const next = await open('tanh-vae');
    await generateIn(next, { seed: 5 });
    expect(await next.getByTestId('notice').count()).toBe(0);
    expect(await next.getByTestId('recovery').first().textContent()).toContain('remembered');
    await next.close();
  });
});
