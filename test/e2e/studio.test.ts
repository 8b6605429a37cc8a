// The studio as people use it: a pasted token used by Generate, PNGs that carry their
// parameters (ours and A1111's), drop-to-restore, keyboard-only generate, live preview and
// ETA. Real app, real Chromium, the local hub. (The layout is in layout.test.ts.) All of it is the
// page's: images are made on the CPU backend (wasm), which opens the model far sooner than WebGPU
// on SwiftShader.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { copyStandIn, TINY as MODEL, useE2e } from '../support/e2e.ts';
import { encodePng, testPicture } from '../support/png.ts';
import { bytesOf, dropFile } from '../support/studio.ts';
import { parseParameters } from '../../src/ui/a1111-parameters.ts';
import { addTextChunks, readTextChunks } from '../../src/ui/png-text-chunks.ts';

const GATED = 'tiny/gated-studio';
const TOKEN = 'hf_aliceStudioToken0123456789';
// What AUTOMATIC1111 writes into a PNG's `parameters` chunk (its infotext format).
const A1111 =
  'a castle on a hill, golden hour\nNegative prompt: blurry, lowres\n' +
  'Steps: 3, Sampler: DPM++ 2M Karras, CFG scale: 1, Seed: 424242, Size: 64x64, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.6.0';

const e2e = useE2e({
  params: { backend: 'wasm' },
  root: async (dir) => {
    await copyStandIn(dir, MODEL);
    await copyStandIn(dir, GATED);
    await writeFile(join(dir, 'hub.json'), JSON.stringify({ tokens: { [TOKEN]: { name: 'alice', role: 'read' } }, repos: { [GATED]: { gated: 'manual', granted: ['alice'] } } }));
  },
});
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  context = await e2e.newContext();
  page = await e2e.open(context);
});

const value = (id: string) => page.getByTestId(id).inputValue();

describe('studio', () => {
  it('a token pasted into the field is used by Generate on a gated model, then cleared', async () => {
    const gated = await e2e.open(context, { model: GATED });
    await gated.getByTestId('token').fill(TOKEN);
    expect(await act(gated, 'generate', { prompt: 'a gated cat' })).toBeUndefined();
    expect(await gated.getByTestId('token-status').textContent()).toContain('Signed in as alice');
    expect(await gated.getByTestId('token').inputValue()).toBe('');
    expect(e2e.hub.log.some((r) => r.url.includes('/api/whoami-v2') && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    await gated.close();
  });

  it("our PNG carries A1111 parameters; result-image and download-image are those bytes, with a meaningful name", async () => {
    await page.getByTestId('steps').fill('3');
    await page.getByTestId('negative-prompt').fill('fog, people');
    expect(await act(page, 'generate', { prompt: 'a lighthouse at dawn, watercolor', seed: 777 })).toBeUndefined();
    const png = await bytesOf(page, '[data-testid="result-image"]');
    expect(await bytesOf(page, '[data-testid="download-image"]', 'href')).toEqual(png);
    const p = parseParameters((await readTextChunks(png)).parameters!);
    expect(p).toMatchObject({ prompt: 'a lighthouse at dawn, watercolor', negativePrompt: 'fog, people', steps: 3, seed: 777, width: 128, height: 128, model: MODEL });
    expect(p.sampler).toBe('Euler');
    expect(p.modelHash).toMatch(/^[0-9a-f]{10}$/);
    expect(await page.getByTestId('download-image').getAttribute('download')).toBe('a-lighthouse-at-dawn-watercolor-777.png');
  });

  it('shows a live preview of the latents and an ETA while denoising', async () => {
    await page.getByTestId('steps').fill('12');
    const seen = page.evaluate(
      () =>
        new Promise<{ preview: boolean; eta: boolean }>((done) => {
          const seen = { preview: false, eta: false };
          const watch = new MutationObserver(() => {
            seen.preview ||= !!document.querySelector('[data-testid="preview"]');
            seen.eta ||= !!document.querySelector('[data-testid="eta"]');
            if (document.querySelector('[data-testid="result-image"]') && !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement).disabled && seen.preview) {
              watch.disconnect();
              done(seen);
            }
          });
          watch.observe(document.body, { subtree: true, childList: true, attributes: true });
        }),
    );
    expect(await act(page, 'generate', { seed: 5 })).toBeUndefined();
    expect(await seen).toEqual({ preview: true, eta: true });
  });

  it('dropping an A1111 PNG restores its settings, and the next image carries them back', async () => {
    const sample = addTextChunks(encodePng(64, 64, testPicture(64, 64)), { parameters: A1111 });
    await dropFile(page, '00042-424242.png', sample);
    await expect.poll(() => page.getByTestId('restored').textContent()).toContain('00042-424242.png');
    expect(await value('prompt')).toBe('a castle on a hill, golden hour');
    expect(await value('negative-prompt')).toBe('blurry, lowres');
    expect([await value('steps'), await value('guidance'), await value('seed'), await value('width'), await value('height')]).toEqual(['3', '1', '424242', '64', '64']);
    expect(await value('scheduler')).toBe('dpmpp-2m-karras');
    expect(await value('model')).toBe(MODEL); // "v1-5-pruned-emaonly" is not a Hub repo id
    expect(await act(page, 'generate')).toBeUndefined();
    const ours = parseParameters((await readTextChunks(await bytesOf(page, '[data-testid="result-image"]'))).parameters!);
    const theirs = parseParameters(A1111);
    for (const key of ['prompt', 'negativePrompt', 'steps', 'sampler', 'cfgScale', 'seed', 'width', 'height'] as const) expect(ours[key], key).toEqual(theirs[key]);
  });

  it('dropping our own PNG restores the settings that made it', async () => {
    const png = await bytesOf(page, '[data-testid="result-image"]');
    await page.getByTestId('prompt').fill('something else');
    await page.getByTestId('seed').fill('1');
    await dropFile(page, 'mine.png', png);
    await expect.poll(() => value('prompt')).toBe('a castle on a hill, golden hour');
    expect(await value('seed')).toBe('424242');
  });

  it('generates with the keyboard alone: Tab to the prompt, type, Ctrl+Enter', async () => {
    const kb = await e2e.open(context);
    await kb.waitForSelector('[data-testid="model-card"]');
    let focused = '';
    for (let i = 0; i < 40 && focused !== 'prompt'; i++) {
      await kb.keyboard.press('Tab');
      focused = await kb.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '');
    }
    expect(focused).toBe('prompt');
    await kb.keyboard.press('ControlOrMeta+a');
    await kb.keyboard.type('typed with keys only');
    await kb.keyboard.press('Control+Enter');
    await kb.waitForSelector('[data-testid="result-image"]', { timeout: 0 });
    expect(await kb.$('[data-testid="error"]')).toBeNull();
    await kb.close();
  });
});
