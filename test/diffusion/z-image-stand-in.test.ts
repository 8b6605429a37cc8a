// The Z-Image-Turbo stand-ins (both layouts of webnn/Z-Image-Turbo) through the app's own loader
// and pipeline, on onnxruntime-web's wasm backend in Node: the reference the browser must match.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFlowMatch, pipelineFiles, type FlowMatchResult } from '../../src/diffusion/index.ts';
import { ensureTinyModel, FAMILIES, tinyModelFiles, type ZImageFamilyId } from '../../tools/tiny-model/tiny-model.ts';
import { referenceFlowMatchModel } from '../support/reference-flow-match.ts';

const ROOT = '.cache/hub-root';
const FAMILY_IDS: ZImageFamilyId[] = ['z-image-turbo', 'z-image-turbo-demo'];
const dirs = {} as Record<ZImageFamilyId, string>;
const models = {} as Record<ZImageFamilyId, Awaited<ReturnType<typeof referenceFlowMatchModel>>>;
const REQ = { prompt: 'a photo of a cat', seed: 42, steps: 8, guidanceScale: 0, width: 256, height: 256 };

beforeAll(async () => {
  for (const id of FAMILY_IDS) {
    dirs[id] = await ensureTinyModel(ROOT, FAMILIES[id].repo, { family: id });
    models[id] = await referenceFlowMatchModel(dirs[id]);
  }
});
afterAll(async () => {
  for (const m of Object.values(models)) for (const r of [m.transformer, m.vaeDecoder]) await r.release(), await m.textEncoder.release();
});

const pixels = (r: FlowMatchResult) => r.images[0]!.image.data;
/** Mean and largest difference per channel value, alpha left out, in 0–255 steps. */
function diff(a: Uint8ClampedArray, b: Uint8ClampedArray) {
  let sum = 0;
  let max = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    max = Math.max(max, d);
    n++;
  }
  return { mean: sum / n, max };
}
function spread(a: Uint8ClampedArray) {
  const values = a.filter((_, i) => i % 4 !== 3);
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { mean, std, clipped: values.filter((v) => v === 0 || v === 255).length / values.length };
}

describe.each(FAMILY_IDS)('the %s stand-in in Node', (family) => {
  it('is read as the real repo is: its tokenizer.json and template, its graphs with every shard, no helper graph, no config', () => {
    const m = models[family];
    const reexport = family === 'z-image-turbo';
    expect(m.description).toMatchObject({
      family: 'z-image',
      latentRank: reexport ? 4 : 5,
      chatTemplate: reexport ? 'tokenizer_config.json' : 'built-in ChatML',
      defaults: { steps: 8, guidanceScale: 0, size: 1024 },
    });
    expect(m.description.assumed).toHaveLength(reexport ? 2 : 3);
    const wanted = pipelineFiles(tinyModelFiles(family));
    expect(wanted.some((f) => /scheduler_step|vae_pre_process|sc_prep|safety_checker/.test(f))).toBe(false);
    expect(wanted.filter((f) => f.includes('_data'))).toEqual(
      reexport
        ? ['onnx/text_encoder_model_q4f16.onnx_data', 'onnx/text_encoder_model_q4f16.onnx_data_1', 'onnx/transformer_model_q4f16.onnx_data', 'onnx/transformer_model_q4f16.onnx_data_1']
        : ['onnx/text_encoder_model_q4f16.onnx_data', 'onnx/transformer_model_q4f16.onnx_data'],
    );
  });

  it('makes the same image from the same seed, another from another seed or prompt, and a picture rather than flat or clipped colour', async () => {
    const m = models[family];
    const a = await generateFlowMatch(m, REQ);
    const t0 = performance.now();
    const again = await generateFlowMatch(m, { ...REQ, prompt: `${REQ.prompt}.` }); // warm, and a prompt to encode
    const ms = performance.now() - t0;
    expect(pixels(await generateFlowMatch(m, REQ))).toEqual(pixels(a));
    const seed = await generateFlowMatch(m, { ...REQ, seed: 43 });
    const prompt = await generateFlowMatch(m, { ...REQ, prompt: 'a red dog in the snow' });
    expect(diff(pixels(a), pixels(seed)).mean).toBeGreaterThan(5);
    expect(diff(pixels(a), pixels(prompt)).mean).toBeGreaterThan(2);
    const s = spread(pixels(a));
    expect(s.std).toBeGreaterThan(30);
    expect(s.clipped).toBeLessThan(0.05);
    console.log(
      `${family}: 256² warm in ${Math.round(ms)} ms (text encoder ${again.timings.text_encoder.toFixed(1)} ms, transformer ${(again.timings.transformer / 8).toFixed(1)} ms/step, VAE ${again.timings.vae_decoder.toFixed(1)} ms); mean ${s.mean.toFixed(0)}, std ${s.std.toFixed(0)}`,
    );
  });

  it('cuts a prompt over 512 tokens with a notice, and still makes the image', async () => {
    const long = Array.from({ length: 300 }, (_, i) => `cat${i % 9} dog`).join(', ');
    const r = await generateFlowMatch(models[family], { ...REQ, prompt: long, steps: 2, width: 64, height: 64 });
    expect(r.notices).toHaveLength(1);
    expect(r.notices[0]).toMatch(/^The prompt is \d+ tokens with its chat template, more than the text encoder's 512: the last \d+ were cut off\.$/);
    expect(r.images).toHaveLength(1);
  });
});

describe('the Z-Image stand-ins together', () => {
  it('give the same picture in both layouts (fp16 I/O against fp32, 4-D against 5-D latents), up to fp16 rounding', async () => {
    const [a, b] = await Promise.all(FAMILY_IDS.map((id) => generateFlowMatch(models[id], { ...REQ, width: 128, height: 128 })));
    const d = diff(pixels(a!), pixels(b!));
    console.log(`re-export vs demo layout: mean ${d.mean.toFixed(3)}, max ${d.max} (of 255)`);
    expect(d.mean).toBeLessThan(1);
    expect(d.max).toBeLessThan(24);
  });

  it('have a text encoder that reads attention_mask and a transformer that needs the pipeline’s conventions', async () => {
    const dir = dirs['z-image-turbo-demo'];
    const session = (f: string) => readFile(join(dir, f)).then(async (bytes) => {
      const data = await readFile(join(dir, `${f}_data`));
      return ort.InferenceSession.create(bytes, { externalData: [{ path: `${f.slice(5)}_data`, data }] });
    });
    const text = await session('onnx/text_encoder_model_q4f16.onnx');
    const ids = new ort.Tensor('int64', BigInt64Array.from([5n, 80n, 300n, 2n]), [1, 4]);
    const run = async (mask: bigint[]) => (await text.run({ input_ids: ids, attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask), [1, 4]) })).encoder_hidden_state!.data as Float32Array;
    const [all, masked] = [await run([1n, 1n, 1n, 1n]), await run([1n, 0n, 1n, 1n])];
    expect(all.slice(0, 80)).toEqual(masked.slice(0, 80)); // causal: token 0 never sees token 1
    expect(all.slice(3 * 80).some((v, i) => Math.abs(v - masked[3 * 80 + i]!) > 1e-3)).toBe(true);
    await text.release();

    // The transformer's output is shaped as Z-Image's raw output on a straight flow, (c − x)/σ with σ = 1 − t
    // (the timestep the pipeline feeds): times σ, plus x, it is a bounded estimate c of the clean latents.
    const transformer = await session('onnx/transformer_model_q4f16.onnx');
    const x = Float32Array.from({ length: 16 * 4 * 4 }, (_, i) => 3 * Math.sin(i));
    for (const t of [0, 0.5, 0.9]) {
      const { unified_results: out } = await transformer.run({
        hidden_states: new ort.Tensor('float32', x, [1, 16, 1, 4, 4]),
        timestep: new ort.Tensor('float32', Float32Array.of(t), [1]),
        encoder_hidden_states: new ort.Tensor('float32', new Float32Array(3 * 80).fill(0.5), [1, 3, 80]),
      });
      expect(out!.dims).toEqual([16, 1, 4, 4]);
      const estimate = Array.from(out!.data as Float32Array, (v, i) => v * (1 - t) + x[i]!);
      expect(Math.max(...estimate.map(Math.abs)), `t = ${t}`).toBeLessThan(10);
      expect(Math.max(...Array.from(out!.data as Float32Array, Math.abs)), `t = ${t}`).toBeGreaterThan(0.5 / (1 - t));
    }
    await transformer.release();
  });
});
