// Sessions ready before the click: a page opened on a cached model prepares it in the
// background (no request to the Hub), and Generate uses those sessions — also when clicked
// while the preparation is still running. Warm-up is the engine's, not the backend's: those pages
// use the CPU backend (wasm), which opens the model far sooner than WebGPU on SwiftShader; the
// GPU-resident embeddings and ?bench=1's adapter need WebGPU (`auto`).
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { TINY as MODEL, useE2e } from '../support/e2e.ts';

type Backend = 'wasm' | 'auto';
const e2e = useE2e();
let context: BrowserContext;

beforeAll(async () => {
  context = await e2e.newContext();
  const page = await open();
  expect(await act(page, 'download')).toBeUndefined();
  await page.close();
});

const open = (backend: Backend = 'wasm', params: Record<string, string> = {}) => e2e.open(context, { backend, ...params });
const source = (backend: Backend = 'wasm') => ({ hubUrl: e2e.hub.url, model: MODEL, revision: 'main', backend });
let webgpu: Page | undefined;
/** One page on WebGPU with ?bench=1 for the tests that need WebGPU: its sessions are compiled once (SwiftShader is slow at it). */
const webgpuPage = async () => (webgpu ??= await open('auto', { bench: '1' }));
/** The model the page knows is open: from the warm-up, or from the last image (the store's `model`). */
const openModel = (page: Page) => page.evaluate<{ loadMs: Record<string, number>; commit: string }>('studio.model');

describe('warm-up before the click', () => {
  it('opening the page on a cached model prepares it without a request and says "Model ready"', async () => {
    e2e.hub.clearLog();
    const page = await open();
    await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 0 });
    expect(await page.getByTestId('model-state').textContent()).toContain('Model ready');
    // The page's own card lookup reads the cache too: nothing at all went to the hub.
    expect(e2e.hub.log.filter((r) => r.method !== 'OPTIONS')).toEqual([]);
    const m = await openModel(page);
    expect(Object.keys(m.loadMs).sort()).toEqual(['text_encoder', 'unet', 'vae_decoder', 'warmUp']);
    expect(await act(page, 'generate', { prompt: 'a cat', seed: 3 })).toBeUndefined();
    // Generate used the warmed sessions: the model it reports is the one the warm-up opened.
    expect((await openModel(page)).loadMs.warmUp).toBe(m.loadMs.warmUp);
    await page.close();
  });

  it('a Generate clicked while the model is still being prepared waits for it and reuses its sessions', async () => {
    const page = await context.newPage();
    // Clicks Generate the moment the page says it is preparing the model: in the same task as
    // that DOM change, so surely before the preparation ends, however fast the machine.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        const state = document.querySelector('[data-testid="model-state"]')?.getAttribute('data-state');
        if (state !== 'warming') return;
        observer.disconnect();
        (document.querySelector('[data-testid="generate"]') as HTMLButtonElement).click();
        (window as unknown as { clickedWhile: string }).clickedWhile = state;
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    await page.goto(e2e.url({ backend: 'wasm' }));
    await page.waitForFunction(
      () => !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement | null)?.disabled && !!document.querySelector('[data-testid="result-image"], [data-testid="error"]'),
      undefined,
      { timeout: 0, polling: 100 },
    );
    expect(await page.evaluate(() => (window as unknown as { clickedWhile?: string }).clickedWhile)).toBe('warming');
    expect(await page.$('[data-testid="error"]')).toBeNull();
    const m = await openModel(page);
    expect(m.loadMs.warmUp).toBeGreaterThan(0); // one set of sessions: the warm-up's
    expect(await page.getByTestId('model-state').getAttribute('data-state')).toBe('ready');
    await page.close();
  });

  it('?bench=1 shows the figures to share: adapter, backend, time to open each component, per-stage times', async () => {
    const page = await webgpuPage();
    expect(await act(page, 'generate', { prompt: 'a cat', seed: 3 })).toBeUndefined();
    const figures = JSON.parse((await page.getByTestId('bench-json').textContent())!);
    expect(figures.backend).toBe('webgpu');
    expect(typeof figures.adapter).toBe('string');
    expect(Object.keys(figures.openMs)).toEqual(expect.arrayContaining(['text_encoder', 'unet', 'vae_decoder']));
    expect(figures.stagesMs.unet).toBeGreaterThan(0);
    expect(figures.totalMs).toBeGreaterThanOrEqual(figures.stagesMs.unet);
  });
});

describe('GPU-resident prompt embeddings', () => {
  it('on WebGPU the UNet takes the embeddings from GPU memory, with the same pixels as through the CPU', async () => {
    const page = await webgpuPage();
    const make = (gpuResident: boolean) =>
      page.evaluate<{ backend: string; gpuResidentInputs: string[]; pixels: number[] }>(
        `studio.engine.generate(${JSON.stringify({ ...source('auto'), gpuResident })}, { prompt: 'a lighthouse', seed: 11, steps: 2 })
           .then((r) => ({ backend: r.backend, gpuResidentInputs: r.gpuResidentInputs, pixels: Array.from(r.images[0].image.data) }))`,
      );
    const resident = await make(true);
    const copied = await make(false);
    expect(resident.backend).toBe('webgpu');
    expect(resident.gpuResidentInputs).toEqual(['encoder_hidden_states']);
    expect(copied.gpuResidentInputs).toEqual([]);
    expect(resident.pixels.length).toBeGreaterThan(0);
    expect(resident.pixels).toEqual(copied.pixels);
  });
});
