// Sessions ready before the click: a page opened on a cached model prepares it in the
// background (no request to the Hub), and Generate uses those sessions — also when clicked
// while the preparation is still running.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act, openApp } from '../support/app-driver.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { ensureTinyModel } from '../../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
const MODEL = 'tiny/sd-turbo-tiny';
let stack: Stack;
let context: BrowserContext;

beforeAll(async () => {
  await ensureTinyModel(ROOT, MODEL);
  stack = await startStack(ROOT);
  context = await stack.browser.newContext();
  const page = await openApp(context, stack.app.url, { hub: stack.hub.url, model: MODEL });
  expect(await act(page, 'download')).toBeUndefined();
  await page.close();
});
afterAll(() => stack?.close());

const open = () => openApp(context, stack.app.url, { hub: stack.hub.url, model: MODEL });
const source = () => ({ hubUrl: stack.hub.url, model: MODEL, revision: 'main', backend: 'auto' });
/** What the engine has open now (no new sessions: `warmUp` on a warm model returns at once). */
const openModel = (page: Page) => page.evaluate<{ loadMs: Record<string, number>; commit: string }>(`studio.engine.warmUp(${JSON.stringify(source())})`);

describe('warm-up before the click', () => {
  it('opening the page on a cached model prepares it without a request and says "Model ready"', async () => {
    stack.hub.clearLog();
    const page = await open();
    await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 120_000 });
    expect(await page.getByTestId('model-state').textContent()).toContain('Model ready');
    // The page's own card lookup reads the cache too: nothing at all went to the hub.
    expect(stack.hub.log.filter((r) => r.method !== 'OPTIONS')).toEqual([]);
    const m = await openModel(page);
    expect(Object.keys(m.loadMs).sort()).toEqual(['text_encoder', 'unet', 'vae_decoder', 'warmUp']);
    expect(await act(page, 'generate', { prompt: 'a cat', seed: 3 })).toBeUndefined();
    // Generate used the warmed sessions: the model it reports is the one the warm-up opened.
    expect((await openModel(page)).loadMs.warmUp).toBe(m.loadMs.warmUp);
    await page.close();
  });

  it('a Generate clicked while the model is still being prepared waits for it and reuses its sessions', async () => {
    const page = await open();
    await page.waitForSelector('[data-testid="model-state"][data-state="warming"]', { timeout: 60_000 });
    expect(await act(page, 'generate', { prompt: 'a cat', seed: 3 })).toBeUndefined();
    const m = await openModel(page);
    expect(m.loadMs.warmUp).toBeGreaterThan(0); // one set of sessions: the warm-up's
    expect(await page.getByTestId('model-state').getAttribute('data-state')).toBe('ready');
    await page.close();
  });

  it('?bench=1 shows the figures to share: adapter, backend, time to open each component, per-stage times', async () => {
    const page = await openApp(context, stack.app.url, { hub: stack.hub.url, model: MODEL, bench: '1' });
    expect(await act(page, 'generate', { prompt: 'a cat', seed: 3 })).toBeUndefined();
    const figures = JSON.parse((await page.getByTestId('bench-json').textContent())!);
    expect(figures.backend).toBe('webgpu');
    expect(typeof figures.adapter).toBe('string');
    expect(Object.keys(figures.openMs)).toEqual(expect.arrayContaining(['text_encoder', 'unet', 'vae_decoder']));
    expect(figures.stagesMs.unet).toBeGreaterThan(0);
    expect(figures.totalMs).toBeGreaterThanOrEqual(figures.stagesMs.unet);
    await page.close();
  });
});

describe('GPU-resident prompt embeddings', () => {
  it('on WebGPU the UNet takes the embeddings from GPU memory, with the same pixels as through the CPU', async () => {
    const page = await open();
    const make = (gpuResident: boolean) =>
      page.evaluate<{ backend: string; gpuResidentInputs: string[]; pixels: number[] }>(
        `studio.engine.generate(${JSON.stringify({ ...source(), gpuResident })}, { prompt: 'a lighthouse', seed: 11, steps: 2 })
           .then((r) => ({ backend: r.backend, gpuResidentInputs: r.gpuResidentInputs, pixels: Array.from(r.image.data) }))`,
      );
    const resident = await make(true);
    const copied = await make(false);
    expect(resident.backend).toBe('webgpu');
    expect(resident.gpuResidentInputs).toEqual(['encoder_hidden_states']);
    expect(copied.gpuResidentInputs).toEqual([]);
    expect(resident.pixels.length).toBeGreaterThan(0);
    expect(resident.pixels).toEqual(copied.pixels);
    await page.close();
  });
});
