// The walking slice, end to end: the built app in headless Chromium with real WebGPU,
// downloading the tiny model from the local hub into OPFS, generating, revisiting.
import type { BrowserContext, Page, Request } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { launchChromium } from '../support/browser.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { TINY as MODEL, useE2e } from '../support/e2e.ts';
import { opfsFiles } from '../support/opfs.ts';
import { pixelDiff, resultPixels } from '../support/pixels.ts';
import { referenceImage } from '../support/reference.ts';

const PROMPT = 'a photo of a cat';
const SEED = 1234;

const e2e = useE2e();
let hub: Hub;
let repoDir: string;

beforeAll(() => {
  hub = e2e.hub;
  repoDir = `${e2e.root}/${MODEL}`;
});

const fileDownloads = (h: Hub) => h.log.filter((r) => r.server === 'cdn' || /\/(resolve|resolve-cache)\//.test(r.url));

/** A new page on the app (WebGPU unless `params` say otherwise). */
async function open(context: BrowserContext, params: Record<string, string> = {}): Promise<Page> {
  const page = await context.newPage();
  await page.goto(e2e.url(params));
  return page;
}

/** Generates the slice's image (fails on an error message). */
async function generate(page: Page, prompt = PROMPT, seed = SEED): Promise<void> {
  const error = await act(page, 'generate', { prompt, seed });
  if (error !== undefined) throw new Error(`the app reported: ${error}`);
}

describe('walking slice in Chromium with WebGPU', () => {
  let context: BrowserContext;
  const requests: string[] = [];
  let first: Awaited<ReturnType<typeof resultPixels>>;
  let reference: Awaited<ReturnType<typeof referenceImage>>;
  /** The page of the next visit, kept open for offline mode. */
  let revisit: Page;

  beforeAll(async () => {
    context = await e2e.newContext();
    context.on('request', (r: Request) => requests.push(r.url()));
    reference = await referenceImage(repoDir, { prompt: PROMPT, seed: SEED, steps: 1 });
  });

  it('downloads the model into OPFS and generates an image of the model’s size on webgpu', async () => {
    hub.clearLog();
    const page = await open(context);
    await generate(page);
    expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
    first = await resultPixels(page);
    expect([first.width, first.height]).toEqual([128, 128]); // unet sample_size 16 × VAE factor 8
    expect(fileDownloads(hub).length).toBeGreaterThanOrEqual(5);
    // The files sit in OPFS under readable names, complete and with no partial left over.
    const keys = Object.keys(await opfsFiles(page));
    const commit = hub.log.find((r) => r.url.includes('/revision/'))!;
    expect(commit).toBeTruthy();
    expect(keys.some((k) => /^models\/tiny\/sd-turbo-tiny\/[0-9a-f]{40}\/unet\/model\.onnx$/.test(k))).toBe(true);
    expect(keys).toContain('models/tiny/sd-turbo-tiny/refs/main');
    expect(keys.filter((k) => k.endsWith('.incomplete'))).toEqual([]);
    await page.close();
  });

  it('matches the reference computed in Node with the wasm backend (mean ≤ 1/255, max ≤ 4/255)', async () => {
    const diff = pixelDiff(first.data, reference.image.data);
    console.log(`webgpu vs wasm reference: mean ${diff.mean.map((d) => d.toFixed(3))} max ${diff.max}`);
    for (const c of [0, 1, 2]) {
      expect(diff.mean[c]).toBeLessThanOrEqual(1);
      expect(diff.max[c]).toBeLessThanOrEqual(4);
    }
    // and the image is a picture, not a flat colour
    const values = new Set(first.data.filter((_, i) => i % 4 === 0));
    expect(values.size).toBeGreaterThan(20);
  });

  it('on the next visit downloads nothing and makes the same image for the same seed', async () => {
    hub.clearLog();
    revisit = await open(context);
    await generate(revisit);
    expect(fileDownloads(hub)).toEqual([]);
    expect(hub.log.filter((r) => r.method !== 'OPTIONS').length).toBeLessThanOrEqual(1);
    const again = await resultPixels(revisit);
    expect(again.data).toEqual(first.data);
  });

  it('in offline mode makes no request at all and still generates', async () => {
    // On the next visit's page (a page opened on a cached model asks the hub nothing either:
    // warm-up.test.ts), now switched to offline mode.
    hub.clearLog();
    const seen: string[] = [];
    revisit.on('request', (r) => seen.push(r.url()));
    await revisit.getByTestId('offline').check();
    await generate(revisit);
    expect(hub.log).toEqual([]);
    expect(seen.filter((u) => !u.startsWith(e2e.appUrl) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
    expect(await revisit.getByTestId('model-info').textContent()).toContain('offline mode');
    expect((await resultPixels(revisit)).data).toEqual(first.data);
    await revisit.close();
  });

  it('with the hub unreachable, uses the cached commit', async () => {
    // Which commit is used is the engine's choice, not the backend's: on the CPU backend (wasm),
    // which opens the model far sooner than WebGPU on SwiftShader; its image is the reference's
    // (±1, as without WebGPU below).
    const page = await open(context, { hub: 'http://127.0.0.1:9', backend: 'wasm' });
    await generate(page);
    expect(await page.getByTestId('model-info').textContent()).toContain('Hub unreachable');
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    expect(Math.max(...pixelDiff((await resultPixels(page)).data, reference.image.data).max)).toBeLessThanOrEqual(1);
    await page.close();
  });

  it('talks to no origin but the app, the hub and its CDN', () => {
    const allowed = new Set([e2e.appUrl, hub.url, hub.cdnUrl, 'http://127.0.0.1:9'].map((u) => new URL(u).origin));
    const others = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && !allowed.has(new URL(u).origin));
    expect(requests.length).toBeGreaterThan(5);
    expect(others).toEqual([]);
  });
});

describe('without WebGPU', () => {
  it('says so plainly and runs on the CPU (wasm), matching the reference', async () => {
    const noGpu = await launchChromium({ webgpu: false });
    try {
      const context = await noGpu.newContext();
      const page = await open(context);
      await generate(page);
      expect(await page.getByTestId('backend').textContent()).toBe('wasm');
      expect(await page.getByTestId('backend-warning').textContent()).toContain('WebGPU is not available, running on the CPU — slow');
      const ref = await referenceImage(repoDir, { prompt: PROMPT, seed: SEED, steps: 1 });
      const diff = pixelDiff((await resultPixels(page)).data, ref.image.data);
      expect(Math.max(...diff.max)).toBeLessThanOrEqual(1);
    } finally {
      await noGpu.close();
    }
  });
});
