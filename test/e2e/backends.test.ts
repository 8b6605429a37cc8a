// The backends a page can run on. WebNN is offered in the Run on menu only when the browser gives
// a context: this Chromium exposes navigator.ml with --enable-features=WebMachineLearningNeuralNetwork
// but refuses every context ("WebNN is not supported on this platform"), so what is tested here is
// that path (the menu says why; ?backend=webnn runs on WebGPU and says so). A session on a WebNN
// context could not be run here: its options are unit-tested (test/runtime/session-options.test.ts).
// And each page loads one onnxruntime build: the plain wasm one on the CPU, the WebGPU one otherwise
// (the request checks below).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { launchChromium } from '../support/browser.ts';
import { confirmHub, useE2e } from '../support/e2e.ts';

const e2e = useE2e();
let flagged: Browser;
beforeAll(async () => {
  flagged = await launchChromium({ features: ['WebMachineLearningNeuralNetwork'] });
});
afterAll(() => flagged?.close());

const backendOptions = (page: Page) => page.locator('[data-testid="backend-choice"] option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
const webnnNote = async (page: Page) => {
  await page.waitForSelector('[data-testid="webnn-note"]');
  return page.getByTestId('webnn-note').textContent();
};

describe('WebNN', () => {
  it('is not offered where the browser has no navigator.ml, and the menu says so', async () => {
    const page = await e2e.open(await e2e.newContext(), { backend: 'wasm' });
    expect(await webnnNote(page)).toContain('WebNN is not offered: this browser has no WebNN (navigator.ml)');
    expect(await backendOptions(page)).toEqual(['auto', 'webgpu', 'wasm']);
  });

  it('is not offered where navigator.ml refuses every context, and the menu says why', async () => {
    const page = await (await flagged.newContext()).newPage();
    await page.goto(e2e.url({ backend: 'wasm' }));
    expect(await page.evaluate(() => typeof (navigator as { ml?: unknown }).ml)).toBe('object');
    expect(await webnnNote(page)).toContain('WebNN is not offered: the browser refused navigator.ml.createContext() (WebNN is not supported on this platform)');
    expect(await backendOptions(page)).toEqual(['auto', 'webgpu', 'wasm']);
    await page.context().close();
  });

  it('?backend=webnn there runs on WebGPU with a clear message, and the engine asked for WebNN says why it did not use it', async () => {
    // (No service worker: it would fetch every asset. The requests left are the page's and its workers'.)
    const context = await flagged.newContext({ serviceWorkers: 'block' });
    const seen: string[] = [];
    context.on('request', (r) => seen.push(new URL(r.url()).pathname));
    const page = await context.newPage();
    await page.goto(e2e.url({ backend: 'webnn' }));
    await confirmHub(page);
    await page.waitForSelector('[data-testid="backend-fallback"]');
    expect(await page.getByTestId('backend-fallback').textContent()).toBe(
      'WebNN was asked for, but is not offered here: the browser refused navigator.ml.createContext() (WebNN is not supported on this platform). Running on WebGPU instead.',
    );
    expect(await page.getByTestId('backend-choice').inputValue()).toBe('auto');
    expect(await act(page, 'generate', { prompt: 'a cat', seed: 2 })).toBeUndefined();
    expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
    // A library user asking the engine for WebNN directly gets the same fallback, with the reason.
    const choice = await page.evaluate(() => (globalThis as unknown as { studio: { engine: { backend(p: string): Promise<{ backend: string; fallbackReason?: string }> } } }).studio.engine.backend('webnn'));
    expect(choice).toEqual(expect.objectContaining({ backend: 'webgpu', fallbackReason: expect.stringContaining('WebNN was asked for, but the browser refused navigator.ml.createContext()') }));
    // A WebGPU page loads the WebGPU build of onnxruntime and its .wasm, not the CPU's.
    const runtime = seen.filter((p) => /\/assets\/ort/.test(p));
    expect(runtime.some((p) => /ort\.webgpu\.bundle/.test(p))).toBe(true);
    expect(runtime.some((p) => /asyncify[\w-]*\.wasm$/.test(p))).toBe(true);
    expect(runtime.filter((p) => /ort\.wasm\.bundle|ort-wasm-simd-threaded-[\w-]+\.wasm$/.test(p))).toEqual([]);
    await context.close();
  });
});

it('a CPU page loads the plain wasm build of onnxruntime and its .wasm only', async () => {
  const context = await e2e.newContext({ serviceWorkers: 'block' });
  const seen: string[] = [];
  context.on('request', (r) => seen.push(new URL(r.url()).pathname));
  const page = await e2e.open(context, { backend: 'wasm' });
  expect(await act(page, 'generate', { prompt: 'a cat', seed: 1 })).toBeUndefined();
  const runtime = seen.filter((p) => /\/assets\/ort/.test(p));
  expect(runtime.some((p) => /ort\.wasm\.bundle/.test(p))).toBe(true);
  expect(runtime.some((p) => /ort-wasm-simd-threaded-[\w-]+\.wasm$/.test(p))).toBe(true);
  expect(runtime.filter((p) => /webgpu|asyncify/.test(p))).toEqual([]);
});
