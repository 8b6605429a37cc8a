// The walking slice, end to end: the built app in headless Chromium with real WebGPU,
// downloading the tiny model from the local hub into OPFS, generating, revisiting.
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { opfsFiles } from '../support/opfs.ts';
import { pixelDiff, resultPixels } from '../support/pixels.ts';
import { referenceImage } from '../support/reference.ts';
import { ensureTinyModel } from '../../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
const MODEL = 'tiny/sd-turbo-tiny';
const PROMPT = 'a photo of a cat';
const SEED = 1234;

let stack: Stack;
let hub: Hub;
let app: Stack['app'];
let browser: Browser;
let repoDir: string;

beforeAll(async () => {
  repoDir = await ensureTinyModel(ROOT, MODEL);
  ({ hub, app, browser } = stack = await startStack(ROOT));
});

afterAll(async () => {
  await stack?.close();
});

const fileDownloads = (h: Hub) => h.log.filter((r) => r.server === 'cdn' || /\/(resolve|resolve-cache)\//.test(r.url));

async function open(context: BrowserContext, params: Record<string, string> = {}): Promise<Page> {
  const page = await context.newPage();
  const q = new URLSearchParams({ hub: hub.url, model: MODEL, ...params });
  await page.goto(`${app.url}/?${q}`);
  return page;
}

async function generate(page: Page, prompt = PROMPT, seed = SEED): Promise<void> {
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('seed').fill(String(seed));
  await page.getByTestId('generate').click();
  await page.waitForFunction(
    () => !!document.querySelector('[data-testid="result-image"]') || !!document.querySelector('[data-testid="error"]'),
    undefined,
    { timeout: 180_000 },
  );
  const error = await page.$('[data-testid="error"]');
  if (error) throw new Error(`the app reported: ${await error.textContent()}`);
  await expect.poll(() => page.getByTestId('generate').isEnabled()).toBe(true);
}

describe('walking slice in Chromium with WebGPU', () => {
  let context: BrowserContext;
  const requests: string[] = [];
  let first: Awaited<ReturnType<typeof resultPixels>>;

  beforeAll(async () => {
    context = await browser.newContext();
    context.on('request', (r: Request) => requests.push(r.url()));
  });
  afterAll(() => context?.close());

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
    const ref = await referenceImage(repoDir, { prompt: PROMPT, seed: SEED, steps: 1 });
    const diff = pixelDiff(first.data, ref.image.data);
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
    const page = await open(context);
    await generate(page);
    expect(fileDownloads(hub)).toEqual([]);
    expect(hub.log.filter((r) => r.method !== 'OPTIONS').length).toBeLessThanOrEqual(1);
    const again = await resultPixels(page);
    expect(again.data).toEqual(first.data);
    await page.close();
  });

  it('with the hub unreachable, uses the cached commit', async () => {
    const page = await open(context, { hub: 'http://127.0.0.1:9' });
    await generate(page);
    expect(await page.getByTestId('model-info').textContent()).toContain('Hub unreachable');
    expect((await resultPixels(page)).data).toEqual(first.data);
    await page.close();
  });

  it('in offline mode makes no request at all and still generates', async () => {
    hub.clearLog();
    const page = await open(context);
    const seen: string[] = [];
    page.on('request', (r) => seen.push(r.url()));
    await page.getByTestId('offline').check();
    await generate(page);
    expect(hub.log).toEqual([]);
    expect(seen.filter((u) => !u.startsWith(app.url) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
    expect(await page.getByTestId('model-info').textContent()).toContain('offline mode');
    expect((await resultPixels(page)).data).toEqual(first.data);
    await page.close();
  });

  it('talks to no origin but the app, the hub and its CDN', () => {
    const allowed = new Set([app.url, hub.url, hub.cdnUrl, 'http://127.0.0.1:9'].map((u) => new URL(u).origin));
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
