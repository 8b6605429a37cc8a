// Every image is kept in IndexedDB with its settings: the gallery survives a reload, opens an
// image large, puts its settings back with one click, deletes one or all, and shows its size.
// History is the page's, not the backend's: images are made on the CPU backend (wasm), fastest.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { TINY as MODEL, useE2e } from '../support/e2e.ts';
import { bytesOf, screenshot } from '../support/studio.ts';
import { parseParameters } from '../../src/ui/a1111-parameters.ts';
import { readTextChunks } from '../../src/ui/png-text-chunks.ts';

const e2e = useE2e({ params: { backend: 'wasm' } });
let page: Page;

beforeAll(async () => {
  page = await e2e.open(await e2e.newContext());
});

const items = () => page.getByTestId('history-item').count();
const value = (id: string) => page.getByTestId(id).inputValue();

describe('history', () => {
  it('keeps every image with its settings across a reload, and puts them back with one click', async () => {
    await page.getByTestId('steps').fill('2');
    await page.getByTestId('negative-prompt').fill('rain');
    expect(await act(page, 'generate', { prompt: 'first: a blue boat', seed: 11 })).toBeUndefined();
    await page.getByTestId('steps').fill('');
    await page.getByTestId('negative-prompt').fill('');
    await page.getByTestId('batch').fill('2');
    expect(await act(page, 'generate', { prompt: 'second: a green hill', seed: 20 })).toBeUndefined();
    await expect.poll(items).toBe(3);

    await page.reload();
    await expect.poll(items).toBe(3);
    expect(await page.getByTestId('history-size').textContent()).toMatch(/^3 images, [\d.]+ KB in this browser$/);
    // Newest first: the batch (seeds 20, 21), then the first image.
    expect(await page.getByTestId('history-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-seed')))).toEqual(['21', '20', '11']);

    await page.getByTestId('prompt').fill('something else');
    const first = page.locator('[data-testid="history-item"][data-seed="11"]');
    await first.getByTestId('history-reuse').click();
    expect(await value('prompt')).toBe('first: a blue boat');
    expect(await value('negative-prompt')).toBe('rain');
    expect([await value('seed'), await value('steps'), await value('batch')]).toEqual(['11', '2', '1']);
    expect(await page.getByTestId('restored').textContent()).toContain('seed 11');

    // The same settings make the same picture.
    const kept = await bytesOf(page, '[data-testid="history-item"][data-seed="11"] img');
    expect(await act(page, 'generate')).toBeUndefined();
    const again = await bytesOf(page, '[data-testid="result-image"]');
    expect(again.equals(kept)).toBe(true);
    const p = parseParameters((await readTextChunks(again)).parameters!);
    expect(p).toMatchObject({ prompt: 'first: a blue boat', negativePrompt: 'rain', seed: 11, steps: 2 });
  });

  it('opens an image large with its settings, deletes one, then all', async () => {
    const before = await items();
    await page.locator('[data-testid="history-item"][data-seed="20"]').getByTestId('history-open').click();
    const viewer = page.getByTestId('history-viewer');
    await expect.poll(() => viewer.isVisible()).toBe(true);
    const text = (await viewer.textContent())!;
    expect(text).toContain('second: a green hill');
    expect(text).toContain('seed 20');
    expect(text).toContain(MODEL);
    expect(text).toMatch(/on (webgpu|wasm)/);
    await screenshot(page, 'history-viewer');
    await page.getByTestId('viewer-delete').click();
    await expect.poll(items).toBe(before - 1);
    expect(await viewer.isVisible()).toBe(false);

    page.once('dialog', (d) => d.accept());
    await page.getByTestId('history-clear').click();
    await expect.poll(items).toBe(0);
    await page.reload();
    await page.waitForSelector('[data-testid="history-size"]');
    expect(await page.getByTestId('history-size').textContent()).toContain('0 images');
  });
});
