// The real repos' layouts (issue #15), on their stand-ins, in Node (onnxruntime-web's wasm
// backend): each gives the same image as the complete layout it lacks parts of, for the same
// seed. What the app assumed is in the description.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, loadStableDiffusion, type Feed, type GenerateRequest, type LoadOptions, type ModelRunner, type RunnerFactory, type Tensor } from '../../src/diffusion/index.ts';
import { runnerFactory, type Ort } from '../../src/runtime/session.ts';
import { folderReader } from '../support/reference.ts';
import { pixelDiff } from '../support/pixels.ts';
import { completeSdTurboWebnn, completeSdxlTurboWebnn } from '../support/twins.ts';
import { ensureTinyModel, FAMILIES, type FamilyId, familySpec, type SdFamilyId } from '../../tools/tiny-model/tiny-model.ts';
import { repoParts } from '../../tools/tiny-model/repo-files.ts';

ort.env.wasm.numThreads = 1;
const ROOT = '.cache/hub-root';
const wasm = runnerFactory(ort as unknown as Ort, 'wasm');
const PROMPT = 'a photo of a cat';

/** Every UNet call's feeds, to see what reached the UNet. */
function recording(calls: Record<string, Feed>[]): RunnerFactory {
  return async (name, files, options) => {
    const runner = await wasm(name, files, options);
    if (name !== 'unet') return runner;
    const recorded: ModelRunner = { ...runner, run: (feeds) => (calls.push(feeds), runner.run(feeds)), release: () => runner.release() };
    return recorded;
  };
}

async function open(dir: string, opts: LoadOptions = {}, calls: Record<string, Feed>[] = []) {
  return loadStableDiffusion(await folderReader(dir), recording(calls), opts);
}

async function image(dir: string, req: Partial<GenerateRequest> = {}, opts: LoadOptions = {}) {
  const calls: Record<string, Feed>[] = [];
  const m = await open(dir, opts, calls);
  try {
    const out = await generate(m, { prompt: PROMPT, seed: 7, steps: 1, guidanceScale: 0, width: 128, height: 128, ...req });
    return { image: out.images[0]!.image, calls, description: m.description };
  } finally {
    for (const r of [m.textEncoder, m.textEncoder2, m.unet, m.vaeDecoder, m.vaeEncoder]) await r?.release();
  }
}

function expectSame(a: { data: ArrayLike<number> }, b: { data: ArrayLike<number> }, label: string) {
  const d = pixelDiff(a.data, b.data);
  console.log(`${label}: mean ${d.mean.map((v) => v.toFixed(3))} max ${d.max}`);
  for (const c of [0, 1, 2]) {
    expect(d.mean[c]).toBeLessThanOrEqual(1);
    expect(d.max[c]).toBeLessThanOrEqual(4);
  }
  expect(new Set(Array.from(a.data).filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(20); // a picture, not a flat colour
}

const dirs: Partial<Record<FamilyId, string>> = {};
const temp: string[] = [];
beforeAll(async () => {
  for (const id of ['sd-turbo', 'sd-turbo-bare', 'sd-turbo-tokenizer-json', 'webnn', 'sdxl', 'sdxl-turbo-webnn'] as FamilyId[]) {
    dirs[id] = await ensureTinyModel(ROOT, FAMILIES[id].repo, { family: id });
  }
}, 300_000);
afterAll(async () => {
  for (const d of temp) await rm(d, { recursive: true, force: true });
});

/** A variant of a family's stand-in written to a temporary folder. */
async function variant(family: SdFamilyId, change: (spec: ReturnType<typeof familySpec>) => ReturnType<typeof familySpec>) {
  const dir = await mkdtemp(join(tmpdir(), `${family}-variant-`));
  temp.push(dir);
  for (const part of repoParts(family, 0, change(familySpec(family)))) await part.write(dir);
  return dir;
}

describe('SD-Turbo without model_index.json, scheduler or component configs (schmuell/sd-turbo-ort-web as its loaders fetch it)', () => {
  it("runs with SD-Turbo's reference configuration: one step at t = 999, σ ≈ 14.61, and says so", async () => {
    const m = await open(dirs['sd-turbo-bare']!, { repoId: 'schmuell/sd-turbo-ort-web' });
    const s = m.scheduler();
    s.setTimesteps(1);
    expect(Array.from(s.timesteps)).toEqual([999]);
    expect(s.initNoiseSigma).toBeCloseTo(14.6146, 3);
    const d = m.description;
    expect([d.family, d.reference?.id, d.defaults.steps, d.defaults.guidanceScale, d.defaults.size]).toEqual(['sd-turbo', 'sd-turbo', 1, 0, 512]);
    expect(d.assumed.join(' ')).toMatch(/No scheduler\/scheduler_config\.json: using SD-Turbo's \(stabilityai\/sd-turbo: EulerDiscreteScheduler.*trailing.*“schmuell\/sd-turbo-ort-web” says SD-Turbo/);
    expect(m.vaeScalingFactor).toBe(0.18215);
    for (const r of [m.textEncoder, m.unet, m.vaeDecoder]) await r.release();
  });

  it('makes the image the complete layout makes for the same seed', async () => {
    const [bare, complete] = [await image(dirs['sd-turbo-bare']!), await image(dirs['sd-turbo']!)];
    expect(complete.description.assumed).toEqual([]);
    expectSame(bare.image, complete.image, 'configless vs complete SD-Turbo');
  });
});

describe('tokenizer/tokenizer.json only', () => {
  it('tokenizes as vocab.json + merges.txt do and makes the same image', async () => {
    const [json, complete] = [await image(dirs['sd-turbo-tokenizer-json']!), await image(dirs['sd-turbo']!)];
    expect(json.description.tokenizers).toEqual(['tokenizer/tokenizer.json']);
    expect(Array.from((json.calls[0]!.encoder_hidden_states as Tensor).data.slice(0, 64) as Float32Array)).toEqual(Array.from((complete.calls[0]!.encoder_hidden_states as Tensor).data.slice(0, 64) as Float32Array));
    expectSame(json.image, complete.image, 'tokenizer.json vs vocab.json');
  });
});

describe('microsoft/sd-turbo-webnn: static shapes, no configs, no tokenizer', () => {
  it('says its size and batch are fixed, uses the shipped CLIP tokenizer, and refuses another size plainly', async () => {
    const m = await open(dirs.webnn!);
    expect(m.description.fixedSize).toEqual({ width: 128, height: 128 });
    expect(m.description.fixedBatch).toBe(1);
    expect(m.description.tokenizers[0]).toMatch(/standard CLIP tokenizer shipped with the app/);
    expect(Array.from(m.tokenizer.encode(PROMPT).slice(0, 8))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 0]); // SD 2's "!" padding
    await expect(generate(m, { prompt: PROMPT, seed: 1, steps: 1, guidanceScale: 0, width: 256, height: 256 })).rejects.toThrow(/exported for 128×128 images only \(static shapes\); 256×256 was asked for/);
    for (const r of [m.textEncoder, m.unet, m.vaeDecoder]) await r.release();
  });

  it('makes the image its complete twin (configs and tokenizer added) makes', async () => {
    const twin = await completeSdTurboWebnn(dirs.webnn!);
    temp.push(twin);
    const [bare, complete] = [await image(dirs.webnn!), await image(twin)];
    expect(complete.description.assumed).toEqual([]);
    expectSame(bare.image, complete.image, 'webnn vs its complete twin');
  });

  it('runs guidance on the batch-1 UNet as two calls per step, with the result of one batch of two', async () => {
    const dynamic = await variant('webnn', (spec) => ({
      ...spec,
      text: { ...spec.text, opts: { ...spec.text.opts, ids: ['batch_size', 'sequence_length'], hiddenState: ['batch_size', 'sequence_length', 64] } },
      unet: {
        ...spec.unet,
        opts: { ...spec.unet.opts, sample: ['b', 4, 'h', 'w'], context: ['b', 's', 64], out: ['b', 4, 'h', 'w'], timestep: { ...spec.unet.opts.timestep, dims: ['t'] } },
      },
    }));
    const req = { steps: 2, guidanceScale: 3, negativePrompt: 'blurry' };
    const [fixed, batched] = [await image(dirs.webnn!, req), await image(dynamic, req)];
    expect(fixed.calls.map((c) => (c.sample as Tensor).dims[0])).toEqual([1, 1, 1, 1]);
    expect(batched.calls.map((c) => (c.sample as Tensor).dims[0])).toEqual([2, 2]);
    expectSame(fixed.image, batched.image, 'batch-1 UNet, two calls vs one batch of two');
  });
});

describe('SDXL in the diffusers layout (Cyronius/sdxl-lightning-4step-onnx-web): two encoders, tokenizer.json, sharded UNet data', () => {
  it("reads both encoders' penultimate hidden states (80 wide), text_embeds and time_ids, VAE 0.13025, Lightning's steps from its name", async () => {
    const { calls, description } = await image(dirs.sdxl!, { width: 128, height: 96 }, { repoId: 'Cyronius/sdxl-lightning-4step-onnx-web' });
    expect([description.family, description.schedulerConfig.timestep_spacing, description.defaults.steps, description.assumed]).toEqual(['sdxl-turbo', 'trailing', 4, []]);
    const feeds = calls[0]! as Record<string, Tensor>;
    expect(feeds.encoder_hidden_states!.dims).toEqual([1, 77, 80]);
    expect(feeds.text_embeds!.dims).toEqual([1, 48]);
    expect(Array.from(feeds.time_ids!.data as Float32Array)).toEqual([96, 128, 0, 0, 96, 128]);
  });

  it('its UNet output depends on text_embeds and time_ids, so both reach it', async () => {
    const calls: Record<string, Feed>[] = [];
    const m = await open(dirs.sdxl!, {}, calls);
    await generate(m, { prompt: PROMPT, seed: 3, steps: 1, guidanceScale: 0, width: 128, height: 128 });
    const feeds = calls[0]! as Record<string, Tensor>;
    const out = async (f: Record<string, Tensor>) => (await m.unet.run(f)).out_sample!.data as Float32Array;
    const base = await out(feeds);
    const changed = {
      text_embeds: await out({ ...feeds, text_embeds: { ...feeds.text_embeds!, data: (feeds.text_embeds!.data as Float32Array).map((v) => -v) } }),
      time_ids: await out({ ...feeds, time_ids: { data: Float32Array.of(1024, 1024, 0, 0, 1024, 1024), dims: [1, 6] } }),
    };
    for (const [what, o] of Object.entries(changed)) expect(meanAbs(o, base), what).toBeGreaterThan(1e-3);
    for (const r of [m.textEncoder, m.textEncoder2!, m.unet, m.vaeDecoder]) await r.release();
  });

  it('with guidance and no negative prompt, the unconditional half is zeros (force_zeros_for_empty_prompt)', async () => {
    const { calls } = await image(dirs.sdxl!, { steps: 1, guidanceScale: 4 });
    const f = calls[0]! as Record<string, Tensor>;
    expect(f.encoder_hidden_states!.dims).toEqual([2, 77, 80]);
    const [ctx, pooled] = [f.encoder_hidden_states!.data as Float32Array, f.text_embeds!.data as Float32Array];
    expect(ctx.subarray(0, 77 * 80).every((v) => v === 0)).toBe(true);
    expect(ctx.subarray(77 * 80).some((v) => v !== 0)).toBe(true);
    expect(pooled.subarray(0, 48).every((v) => v === 0) && pooled.subarray(48).some((v) => v !== 0)).toBe(true);
  });

  it('makes the image the same models make with their data in one file', async () => {
    const single = await variant('sdxl', (spec) => ({ ...spec, unet: { ...spec.unet, external: { location: 'model.onnx_data', threshold: 1024 } } }));
    const [sharded, whole] = [await image(dirs.sdxl!), await image(single)];
    expectSame(sharded.image, whole.image, 'sharded vs single external data');
  });
});

describe("webnn/sdxl-turbo's flat onnx/ folder: int4 weights, fp16 I/O, no configs or tokenizers", () => {
  it("opens the q4f16 files (no helper graph), with SDXL-Turbo's reference configuration", async () => {
    const calls: Record<string, Feed>[] = [];
    const m = await open(dirs['sdxl-turbo-webnn']!, {}, calls);
    const d = m.description;
    expect([d.layout, d.variant.id, d.family, d.reference?.id, d.schedulerConfig._class_name, d.defaults]).toEqual([
      'flat', 'q4f16', 'sdxl-turbo', 'sdxl-turbo', 'EulerAncestralDiscreteScheduler', { steps: 1, guidanceScale: 0, size: 512 },
    ]);
    expect(m.vaeScalingFactor).toBe(0.13025);
    expect(d.tokenizers).toHaveLength(2);
    expect([m.tokenizer.padToken, m.tokenizer2!.padToken]).toEqual(['<|endoftext|>', '!']);
    expect(Object.keys(m.textEncoder.outputs)).toEqual(['hidden_states.11']);
    expect(m.textEncoder2!.inputs.input_ids!.type).toBe('int64');
    await generate(m, { prompt: PROMPT, seed: 1, steps: 1, guidanceScale: 0, width: 128, height: 128 });
    const feeds = calls[0]! as Record<string, Tensor>;
    const base = (await m.unet.run(feeds)).out_sample!.data as Float32Array;
    const other = (await m.unet.run({ ...feeds, time_ids: { data: Float32Array.of(512, 512, 0, 0, 512, 512), dims: [1, 6] } })).out_sample!.data as Float32Array;
    expect(meanAbs(base, other)).toBeGreaterThan(1e-3); // time_ids reach the int4 UNet too
    for (const r of [m.textEncoder, m.textEncoder2!, m.unet, m.vaeDecoder]) await r.release();
  });

  it('makes the image its complete twin (diffusers folders, configs and tokenizers) makes', async () => {
    const twin = await completeSdxlTurboWebnn(dirs['sdxl-turbo-webnn']!);
    temp.push(twin);
    const [flat, complete] = [await image(dirs['sdxl-turbo-webnn']!), await image(twin)];
    expect(complete.description.assumed).toEqual([]);
    expectSame(flat.image, complete.image, 'flat webnn SDXL-Turbo vs its complete twin');
  });
});

describe('pinned shapes (freeDimensionOverrides, for WebNN)', () => {
  it('fix the size the session takes: the pinned size runs, another fails in onnxruntime', async () => {
    const pinned = { pinShape: { width: 128, height: 128 } };
    const m = await open(dirs['sd-turbo']!, pinned);
    expect([m.description.fixedSize, m.description.fixedBatch]).toEqual([{ width: 128, height: 128 }, 1]);
    await generate(m, { prompt: PROMPT, seed: 1, steps: 1, guidanceScale: 0, width: 128, height: 128 });
    await expect(m.unet.run({ sample: { data: new Float32Array(4 * 8 * 8), dims: [1, 4, 8, 8] }, timestep: { data: Float32Array.of(999), dims: [1] }, encoder_hidden_states: { data: new Float32Array(77 * 64), dims: [1, 77, 64] } })).rejects.toThrow(/dimension|shape/i);
    for (const r of [m.textEncoder, m.unet, m.vaeDecoder]) await r.release();
  });

  it("'default' pins the size the model is made for: its UNet config's, else its family's", async () => {
    const sizes: Record<string, unknown> = {};
    for (const id of ['sd-turbo', 'sd-turbo-bare', 'sdxl-turbo-webnn'] as FamilyId[]) {
      const m = await open(dirs[id]!, { pinShape: 'default', repoId: FAMILIES[id].standsFor });
      sizes[id] = [m.description.fixedSize, m.description.defaults.size];
      for (const r of [m.textEncoder, m.textEncoder2, m.unet, m.vaeDecoder]) await r?.release();
    }
    expect(sizes).toEqual({
      'sd-turbo': [{ width: 128, height: 128 }, 128], // unet/config.json: sample_size 16
      'sd-turbo-bare': [{ width: 512, height: 512 }, 512], // no config: SD-Turbo's 64 latents
      'sdxl-turbo-webnn': [{ width: 512, height: 512 }, 512], // two encoders, no config: SDXL-Turbo's 64
    });
  });
});

function meanAbs(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}
