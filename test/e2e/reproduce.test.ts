// Issue #17 in the browser: an A1111 PNG's settings (sampler with schedule type, RNG, Clip skip, a
// weighted prompt of two chunks) restore from a dropped file and generate, and the image equals the
// Node reference (the same pipeline on onnxruntime-web's wasm backend) for those settings. On the
// CPU backend: what is tested is the pipeline's JavaScript (noise, prompt syntax, chunks, Clip
// skip, samplers), the same on every backend.
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer, countTokens, bundledClipVocab, openTokenizer, type GenerateRequest } from '../../src/diffusion/index.ts';
import { parseParameters } from '../../src/ui/a1111-parameters.ts';
import { addTextChunks, readTextChunks } from '../../src/ui/png-text-chunks.ts';
import { act } from '../support/app-driver.ts';
import { CLIP_SKIP_REPO, writeClipSkipStandIn } from '../support/clip-skip-stand-in.ts';
import { copyStandIn, UNTIL_TEST_TIMEOUT, useE2e } from '../support/e2e.ts';
import { encodePng, testPicture } from '../support/png.ts';
import { pixelDiff, resultPixels, expectClose } from '../support/pixels.ts';
import { folderReader, referenceImage } from '../support/reference.ts';
import { bytesOf, dropFile } from '../support/studio.ts';

const SDXL = 'tiny/sdxl-lightning-4step-onnx';
const WEBNN = 'tiny/sd-turbo-webnn';
const e2e = useE2e({
  params: { backend: 'wasm' },
  root: async (dir) => {
    await writeClipSkipStandIn(dir);
    await copyStandIn(dir, SDXL, SDXL);
    await copyStandIn(dir, WEBNN, WEBNN);
  },
});
let context: BrowserContext;
beforeAll(async () => {
  context = await e2e.newContext();
});

// About 120 CLIP tokens, weighted, with an escape and a LoRA tag A1111 takes out of the text.
const PROMPT = [
  '(masterpiece:1.2), best quality, a lighthouse on a rocky cliff at dawn, ((soft golden light)), [blurry]',
  'waves crashing on the rocks below, seagulls in the sky, a small red boat near the harbour, fishermen mending nets',
  '(dramatic clouds:0.8), mist over the water, wet stones shining, an old stone wall, a path of gravel, wild grass and flowers',
  'a wooden bench, a lantern, warm windows in the keeper\'s house, \\(oil painting\\), thick brush strokes, impasto, muted palette',
].join(', ') + ' <lora:film_grain:0.6>';
const NEGATIVE = '(worst quality:1.4), lowres, text, watermark';

const value = (page: Page, id: string) => page.getByTestId(id).inputValue();
const countText = (c: { tokens: number; limit: number; truncated: boolean }) => `${c.tokens}${c.truncated ? '+' : ''}/${c.limit}`;

/** Drops a PNG carrying `parameters` on the page and waits for the settings to be back. */
async function dropParameters(page: Page, parameters: string): Promise<string> {
  await dropFile(page, '00017-a1111.png', addTextChunks(encodePng(64, 64, testPicture(64, 64)), { parameters }));
  await expect.poll(() => page.getByTestId('restored').textContent(), UNTIL_TEST_TIMEOUT).toContain('00017-a1111.png');
  return (await page.getByTestId('restored').textContent()) ?? '';
}


/** Whether two images differ clearly (mean |Δ| over R, G, B above 3 of 255), logged. */
function differs(a: { data: ArrayLike<number> }, b: { data: ArrayLike<number> }, label: string): boolean {
  const d = pixelDiff(a.data, b.data).mean.reduce((x, y) => x + y);
  console.log(`${label}: mean |Δ| ${d.toFixed(2)}`);
  return d > 3;
}

describe('an A1111 PNG restores and generates what the Node pipeline makes', () => {
  it('SD 1.x with hidden states: DPM++ 2M Karras, RNG: NV, Clip skip 2, a weighted two-chunk prompt and a one-chunk negative', async () => {
    const page = await e2e.open(context, { model: CLIP_SKIP_REPO });
    const infotext =
      `${PROMPT}\nNegative prompt: ${NEGATIVE}\n` +
      `Steps: 4, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: 3141592, Size: 128x128, Model hash: 0123456789, Model: ${CLIP_SKIP_REPO}, Clip skip: 2, RNG: NV, Version: v1.10.1`;
    expect(await dropParameters(page, infotext)).toBe(`Settings restored from “00017-a1111.png” (model ${CLIP_SKIP_REPO}).`);
    expect([await value(page, 'prompt'), await value(page, 'negative-prompt')]).toEqual([PROMPT, NEGATIVE]);
    expect([await value(page, 'steps'), await value(page, 'guidance'), await value(page, 'seed'), await value(page, 'width')]).toEqual(['4', '6', '3141592', '128']);
    expect([await value(page, 'scheduler'), await value(page, 'rng'), await value(page, 'clip-skip')]).toEqual(['dpmpp-2m-karras', 'gpu', '2']);

    // Before the model is downloaded the counter uses the CLIP tokenizer every SD model shares; once it is open, the repo's own.
    const { vocab, merges } = await bundledClipVocab();
    const shared = countTokens(PROMPT, new ClipTokenizer(vocab, merges), { maxChunks: 10 });
    expect(shared.tokens).toBeGreaterThan(75); // two chunks
    await expect.poll(() => page.getByTestId('token-count').textContent(), UNTIL_TEST_TIMEOUT).toBe(countText(shared));

    expect(await act(page, 'generate')).toBeUndefined();
    expect(await page.getByTestId('notice').allTextContents()).toEqual([
      'Not applied: <lora:film_grain:0.6> (the app has no LoRA or hypernetworks yet); taken out of the prompt, as A1111 does before encoding it.',
    ]);
    const own = await openTokenizer(await folderReader(`${e2e.root}/${CLIP_SKIP_REPO}`), 'tokenizer', '!');
    await expect.poll(() => page.getByTestId('token-count').textContent(), UNTIL_TEST_TIMEOUT).toBe(countText(countTokens(PROMPT, own.tokenizer, { maxChunks: 10 })));

    const req: Partial<GenerateRequest> & { prompt: string; seed: number } = {
      prompt: PROMPT, negativePrompt: NEGATIVE, seed: 3141592, steps: 4, guidanceScale: 6, width: 128, height: 128, sampler: 'dpmpp-2m-karras', noise: 'gpu', clipSkip: 2,
    };
    const dir = `${e2e.root}/${CLIP_SKIP_REPO}`;
    const [image, reference] = [await resultPixels(page), await referenceImage(dir, req)];
    expect([reference.clipSkip, reference.notices.length]).toEqual([2, 1]);
    expectClose(image, reference.image, 'clip skip 2');
    // Each setting shows in the picture: the same request without it is another image.
    const changes: [string, Partial<GenerateRequest>][] = [
      ['clip skip 1', { clipSkip: 1 }],
      ['CPU noise', { noise: 'cpu' }],
      ['DPM++ 2M without Karras', { sampler: 'dpmpp-2m' }],
      ['masterpiece unweighted', { prompt: PROMPT.replace('(masterpiece:1.2)', 'masterpiece') }],
    ];
    for (const [label, change] of changes) expect(differs(image, (await referenceImage(dir, { ...req, ...change })).image, label), label).toBe(true);

    const ours = parseParameters((await readTextChunks(await bytesOf(page, '[data-testid="result-image"]'))).parameters!);
    expect([ours.prompt, ours.sampler, ours.scheduleType, ours.extra?.['Clip skip'], ours.extra?.RNG]).toEqual([PROMPT, 'DPM++ 2M', 'Karras', '2', 'NV']);
    await page.close();
  });

  it('SDXL: Euler a (Schedule type: Automatic), RNG: CPU, a weighted two-chunk prompt on both encoders; its Clip skip is ignored, as in A1111', async () => {
    const page = await e2e.open(context, { model: SDXL });
    const prompt = PROMPT.split(', ').slice(0, 24).join(', ');
    const infotext = `${prompt}\nSteps: 2, Sampler: Euler a, Schedule type: Automatic, CFG scale: 1, Seed: 2718, Size: 128x128, Clip skip: 2, RNG: CPU`;
    await dropParameters(page, infotext);
    expect([await value(page, 'scheduler'), await value(page, 'rng'), await value(page, 'clip-skip')]).toEqual(['euler-a', 'cpu', '2']);
    expect(await act(page, 'generate')).toBeUndefined();
    const notices = await page.getByTestId('notice').allTextContents();
    expect(notices.some((n) => n.startsWith('Clip skip 2 is not applied: SDXL reads both text encoders’ penultimate layer'))).toBe(true);
    await expect.poll(() => page.getByTestId('clip-skip-note').textContent(), UNTIL_TEST_TIMEOUT).toMatch(/^\s*Clip skip 2 will not apply on this model\s+SDXL reads both text encoders’ penultimate layer/);

    const req = { prompt, seed: 2718, steps: 2, guidanceScale: 1, width: 128, height: 128, sampler: 'euler-a', noise: 'cpu' as const, clipSkip: 2 };
    const reference = await referenceImage(`${e2e.root}/${SDXL}`, req);
    expect(reference.steps).toBe(2);
    expectClose(await resultPixels(page), reference.image, 'sdxl');
    const ours = parseParameters((await readTextChunks(await bytesOf(page, '[data-testid="result-image"]'))).parameters!);
    expect([ours.sampler, ours.scheduleType, ours.extra?.RNG, ours.extra?.['Clip skip']]).toEqual(['Euler a', 'Uniform', 'CPU', undefined]);
    await page.close();
  });

  it('a sampler the app lacks: everything else restores and generates, and the page says which sampler it kept', async () => {
    const page = await e2e.open(context, { model: CLIP_SKIP_REPO });
    await page.getByTestId('scheduler').selectOption('euler-a');
    const infotext = `${NEGATIVE}\nSteps: 3, Sampler: DPM++ SDE, Schedule type: Karras, CFG scale: 5, Seed: 4242, Size: 128x128, Clip skip: 2, RNG: NV`;
    expect(await dropParameters(page, infotext)).toBe(
      'Settings restored from “00017-a1111.png”. This app has no sampler “DPM++ SDE” with the schedule type “Karras”: the sampler stays “Euler a”.',
    );
    expect([await value(page, 'scheduler'), await value(page, 'rng'), await value(page, 'clip-skip')]).toEqual(['euler-a', 'gpu', '2']);
    expect([await value(page, 'prompt'), await value(page, 'steps'), await value(page, 'guidance'), await value(page, 'seed')]).toEqual([NEGATIVE, '3', '5', '4242']);
    expect(await act(page, 'generate')).toBeUndefined();
    const ours = parseParameters((await readTextChunks(await bytesOf(page, '[data-testid="result-image"]'))).parameters!);
    expect([ours.sampler, ours.scheduleType, ours.seed, ours.extra?.RNG, ours.extra?.['Clip skip']]).toEqual(['Euler a', 'Uniform', 4242, 'NV', '2']);
    await page.close();
  });

  it('a UNet exported for 77 tokens: the prompt is cut there, the counter and a notice say so', async () => {
    const page = await e2e.open(context, { model: WEBNN });
    await page.getByTestId('prompt').fill(PROMPT);
    expect(await act(page, 'generate')).toBeUndefined();
    expect(await page.getByTestId('notice').allTextContents()).toContain(
      "This model's UNet takes exactly 77 tokens of text (its export fixes the shapes): only the first 75 tokens of the prompt are used.",
    );
    await expect.poll(() => page.locator('.count').textContent(), UNTIL_TEST_TIMEOUT).toMatch(/^\s*75\+\/75\s+tokens: only the first 75 are used\s*$/);
    const seed = Number(await value(page, 'seed'));
    const reference = await referenceImage(`${e2e.root}/${WEBNN}`, { prompt: PROMPT, seed });
    expectClose(await resultPixels(page), reference.image, 'webnn, cut at 77');
    await page.close();
  });
});
