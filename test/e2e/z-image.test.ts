// Z-Image-Turbo (webnn/Z-Image-Turbo) in the studio, on its two stand-ins: the re-export
// (tiny/z-image-turbo: .onnx_data + .onnx_data_1 shards, fp16 I/O, 4-D latents, a chat template)
// and the layout the WebNN demo loads (tiny/z-image-turbo-demo: fp32 I/O, 5-D latents). Each
// image made in Chromium equals the Node reference (the same pipeline on onnxruntime's wasm
// backend in Node); the page hides what the model does not take, keeps PNG parameters and history
// as for every model, cuts a long prompt with a notice, and, asked to save memory, runs the text
// encoder in a worker of its own that it ends after each prompt.
//
// What runs where: the pipeline's logic is the same on every backend, so most tests run on the
// CPU backend (wasm). WebGPU here is SwiftShader, which has no shader-f16: the fp16-I/O re-export
// cannot run there (the page says so and offers the CPU), the fp32-I/O demo layout can (its tiny
// graphs compute in float32 inside; the real ones compute in fp16 and need shader-f16).
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../../src/diffusion/index.ts';
import { parseParameters } from '../../src/ui/a1111-parameters.ts';
import { readTextChunks } from '../../src/ui/png-text-chunks.ts';
import { FAMILIES } from '../../tools/tiny-model/tiny-model.ts';
import { act } from '../support/app-driver.ts';
import { confirmHub, UNTIL_TEST_TIMEOUT, useE2e } from '../support/e2e.ts';
import { allResultPixels, expectClose } from '../support/pixels.ts';
import { referenceFlowMatchImages } from '../support/reference-flow-match.ts';
import { bytesOf } from '../support/studio.ts';

const REEXPORT = FAMILIES['z-image-turbo'].repo;
const DEMO = FAMILIES['z-image-turbo-demo'].repo;
const PROMPT = 'a photo of a cat';

const e2e = useE2e({ params: { backend: 'wasm' } });
let context: BrowserContext;
beforeAll(async () => {
  context = await e2e.newContext();
});

interface Settings {
  seed: number;
  steps: number;
  size: number;
  prompt?: string;
}

/** Fills the form, generates, and returns the image's pixels (fails on an error message). */
async function generateIn(page: Page, s: Settings) {
  await page.getByTestId('steps').fill(String(s.steps));
  await page.getByTestId('width').fill(String(s.size));
  await page.getByTestId('height').fill(String(s.size));
  const error = await act(page, 'generate', { prompt: s.prompt ?? PROMPT, seed: s.seed });
  if (error) throw new Error(`the app reported: ${error}`);
  const [image] = await allResultPixels(page);
  return image!;
}

/** The Node reference for the same settings (guidance 0, as the page sends for this model). */
async function reference(repo: string, s: Settings) {
  const req: Partial<GenerateRequest> & { prompt: string; seed: number } = { prompt: s.prompt ?? PROMPT, seed: s.seed, steps: s.steps, width: s.size, height: s.size, guidanceScale: 0 };
  return (await referenceFlowMatchImages(`${e2e.root}/${repo}`, req)).images[0]!.image;
}


/** The transformer's milliseconds per step of the last image, from the result line. */
async function perStep(page: Page, steps: number): Promise<string> {
  const info = ((await page.getByTestId('result-info').textContent()) ?? '').replace(/\s+/g, ' ');
  const m = /transformer ([\d.]+) (ms|s)/.exec(info);
  expect(m, info).not.toBeNull();
  return `${((Number(m![1]) * (m![2] === 's' ? 1000 : 1)) / steps).toFixed(1)} ms/step`;
}

describe('the re-export (fp16 I/O, sharded external data, a chat template) on the CPU backend', () => {
  let page: Page;
  let first: Awaited<ReturnType<typeof generateIn>>;
  const s: Settings = { seed: 42, steps: 4, size: 128 };
  beforeAll(async () => {
    page = await e2e.open(context, { model: REEXPORT });
  });

  it('matches the Node reference; the form offers no negative prompt, guidance, sampler or start image', async () => {
    await page.getByTestId('settings-not-applying').waitFor({ timeout: 0 }); // the model card says which pipeline runs it
    for (const id of ['negative-prompt', 'guidance', 'scheduler', 'init-image', 'strength']) expect(await page.getByTestId(id).count(), id).toBe(0);
    first = await generateIn(page, s);
    expectClose(first, await reference(REEXPORT, s), 'z-image-turbo on wasm');
    console.log(`z-image-turbo on wasm, 128²: ${await perStep(page, s.steps)}`);
    expect(await page.getByTestId('model-family').textContent()).toBe('z-image');
  });

  it('its PNG carries A1111 parameters and it joins the history, as for every model', async () => {
    const png = await bytesOf(page, '[data-testid="result-image"]');
    const p = parseParameters((await readTextChunks(png)).parameters!);
    expect(p).toMatchObject({ prompt: PROMPT, steps: 4, sampler: 'Euler', cfgScale: 0, seed: 42, width: 128, height: 128, model: REEXPORT });
    expect(p.negativePrompt).toBeUndefined();
    await expect.poll(() => page.getByTestId('history-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-seed'))), UNTIL_TEST_TIMEOUT).toEqual(['42']);
  });

  it("shows the transformer's steps, the time left and a preview of its 16-channel latents while denoising", async () => {
    await page.getByTestId('steps').fill('12');
    const seen = page.evaluate(
      () =>
        new Promise<{ statuses: string[]; eta: boolean; preview?: string }>((done) => {
          const seen = { statuses: [] as string[], eta: false, preview: undefined as string | undefined };
          const watch = new MutationObserver(() => {
            const status = document.querySelector('[role="status"]')?.textContent?.trim();
            if (status && seen.statuses.at(-1) !== status) seen.statuses.push(status);
            seen.eta ||= !!document.querySelector('[data-testid="eta"]');
            const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="preview"]');
            if (canvas && canvas.width) seen.preview = `${canvas.width}×${canvas.height}`;
            if (document.querySelector('[data-testid="result-image"]') && !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement).disabled && seen.preview) {
              watch.disconnect();
              done(seen);
            }
          });
          watch.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        }),
    );
    await page.getByTestId('width').fill('128');
    await page.getByTestId('height').fill('128');
    expect(await act(page, 'generate', { prompt: PROMPT, seed: 3 })).toBeUndefined();
    const { statuses, eta, preview } = await seen;
    expect(statuses.some((s) => /^Denoising: step \d+ of 12…/.test(s)), statuses.join(' | ')).toBe(true);
    expect(eta).toBe(true);
    expect(preview).toBe('16×16'); // one pixel per latent: 128 px / 8, drawn from all 16 channels
    await page.getByTestId('steps').fill(String(s.steps));
  });

  it('gives the same image for the same seed after a reload (the cached model is opened again, nothing downloaded)', async () => {
    e2e.hub.clearLog();
    await page.reload();
    await page.locator('[data-testid="model-state"][data-state="ready"]').waitFor({ timeout: 0 });
    const again = await generateIn(page, s);
    expect(again.data).toEqual(first.data);
    expect(e2e.hub.log.filter((r) => r.server === 'cdn' || r.url.includes('/resolve-cache/'))).toEqual([]);
  });

  it('cuts a prompt over 512 tokens after its chat template, says so on the page, and still makes the image', async () => {
    const long = Array.from({ length: 300 }, (_, i) => `cat${i % 9} dog`).join(', ');
    await generateIn(page, { seed: 5, steps: 1, size: 64, prompt: long });
    const notices = await page.getByTestId('notice').allTextContents();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^The prompt is \d+ tokens with its chat template, more than the text encoder's 512: the last \d+ were cut off\.$/);
  });
});

describe('the re-export on WebGPU without shader-f16 (SwiftShader)', () => {
  it('gets the plain message instead of a shader error, and “Run on the CPU instead” makes the image', async () => {
    const page = await e2e.open(context, { model: REEXPORT, backend: 'webgpu' });
    const s: Settings = { seed: 7, steps: 2, size: 64 };
    await page.getByTestId('steps').fill(String(s.steps));
    await page.getByTestId('width').fill(String(s.size));
    await page.getByTestId('height').fill(String(s.size));
    const error = await act(page, 'generate', { prompt: PROMPT, seed: s.seed });
    expect(error).toContain("This model uses 16-bit floats (float16, in its text_encoder), which this GPU's WebGPU does not offer (no “shader-f16”).");
    await page.getByTestId('run-on-cpu').click();
    await page.getByTestId('error').waitFor({ state: 'detached', timeout: 0 }); // the retry has started
    await page.waitForFunction(
      () => !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement).disabled && !!document.querySelector('[data-testid="result-image"], [data-testid="error"]'),
      undefined,
      { timeout: 0, polling: 100 },
    );
    expect(await page.getByTestId('error').count()).toBe(0);
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    expectClose((await allResultPixels(page))[0]!, await reference(REEXPORT, s), 'z-image-turbo, WebGPU refused, then CPU');
    await page.close();
  });
});

describe("the demo's layout (fp32 I/O, 5-D latents, no chat template)", () => {
  it('on WebGPU: matches the Node reference', async () => {
    const page = await e2e.open(context, { model: DEMO, backend: 'webgpu' });
    const s: Settings = { seed: 11, steps: 3, size: 128 };
    expectClose(await generateIn(page, s), await reference(DEMO, s), 'z-image-turbo-demo on WebGPU');
    expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
    console.log(`z-image-turbo-demo on WebGPU (SwiftShader), 128², first image: ${await perStep(page, s.steps)}`);
    await generateIn(page, { ...s, seed: 12 });
    console.log(`z-image-turbo-demo on WebGPU (SwiftShader), 128², next image: ${await perStep(page, s.steps)}`);
    await page.close();
  });

  it('on the CPU: matches the Node reference', async () => {
    const page = await e2e.open(context, { model: DEMO });
    const s: Settings = { seed: 13, steps: 8, size: 128 };
    expectClose(await generateIn(page, s), await reference(DEMO, s), 'z-image-turbo-demo on wasm');
    console.log(`z-image-turbo-demo on wasm, 128²: ${await perStep(page, s.steps)}`);
    await page.close();
  });
});

describe('memory saving (?memory=save): a worker per component, the text encoder closed after each prompt', () => {
  it('makes the same image, says what it loads where and why, and reopens the text encoder only for a new prompt', async () => {
    const fresh = await e2e.newContext(); // its own profile: the model is opened, not warmed up from an earlier test's cache
    const page = await fresh.newPage();
    const statuses: string[] = [];
    await page.exposeFunction('recordStatus', (text: string) => statuses.push(text));
    await page.addInitScript(() => {
      const record = (window as unknown as { recordStatus: (t: string) => void }).recordStatus;
      new MutationObserver(() => {
        const text = document.querySelector('[role="status"]')?.textContent;
        if (text) record(text);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const started: Worker[] = [];
    page.on('worker', (w) => w.url().includes('session-worker') && started.push(w));
    const running = () => page.workers().filter((w) => w.url().includes('session-worker')).length;
    await page.goto(e2e.url({ model: REEXPORT, memory: 'save' }));
    await confirmHub(page);

    const s: Settings = { seed: 21, steps: 3, size: 64 };
    expectClose(await generateIn(page, s), await reference(REEXPORT, s), 'z-image-turbo with memory saving');
    const said = statuses.join('\n');
    expect(said).toMatch(/Loading the text encoder \(\d+ KB\) on wasm in a worker of its own: memory saving was asked for…/);
    expect(said).toMatch(/Loading the transformer \(\d+ KB\) on wasm in a worker of its own: memory saving was asked for…/);
    expect(said).toContain('Loading the text encoder again for the new prompt (it was closed to make room for the transformer)…');
    expect(await page.getByTestId('memory-plan').textContent()).toMatch(
      /^Memory: 3 onnxruntime workers, one each for the text encoder \(\d+ KB\), the transformer \(\d+ KB\), the vae decoder \(\d+ KB\); the text encoder \(\d+ KB\) is closed once the prompt is encoded and reopened for a new prompt: memory saving was asked for\.$/,
    );
    // Opened at load to check it and closed, opened for the prompt and closed: transformer and VAE stay.
    expect(started).toHaveLength(4);
    await expect.poll(running, UNTIL_TEST_TIMEOUT).toBe(2);

    statuses.length = 0;
    await generateIn(page, { ...s, seed: 22 }); // the same prompt: its encoding is reused
    expect(statuses).toContain('Prompt unchanged: reusing its encoding (the text encoder does not run again).');
    expect(started).toHaveLength(4);

    await generateIn(page, { ...s, prompt: 'a red dog in the snow' }); // a new prompt: one more worker, ended again
    expect(started).toHaveLength(5);
    await expect.poll(running, UNTIL_TEST_TIMEOUT).toBe(2);
  });

  it('without it, the tiny model fits one WebAssembly memory: one worker, the text encoder kept', async () => {
    const fresh = await e2e.newContext();
    const page = await fresh.newPage();
    const started: Worker[] = [];
    page.on('worker', (w) => w.url().includes('session-worker') && started.push(w));
    await page.goto(e2e.url({ model: REEXPORT }));
    await confirmHub(page);
    await generateIn(page, { seed: 1, steps: 1, size: 64 });
    await generateIn(page, { seed: 1, steps: 1, size: 64, prompt: 'another prompt' });
    expect(started).toHaveLength(1);
    expect(await page.getByTestId('memory-plan').count()).toBe(0);
  });
});
