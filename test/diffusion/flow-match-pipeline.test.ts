// The flow-matching transformer pipeline (Z-Image) with stand-in runners written in JS, so every
// convention can be checked exactly: the sign of the model's output, the timestep it is fed, the
// σ schedule, the noise, the VAE scaling, the text encoder's inputs and when it is (re)opened.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChatTokenizer } from '../../src/diffusion/chat-tokenizer.ts';
import { EmbeddingCache, reopenableComponent } from '../../src/diffusion/component-handle.ts';
import { zImageSigmas, Z_IMAGE_TURBO_REFERENCE } from '../../src/diffusion/load-flow-match.ts';
import { createNoise } from '../../src/diffusion/noise/index.ts';
import { generateFlowMatch, type FlowMatchStageEvent, type FlowMatchTransformerModel } from '../../src/diffusion/pipelines/flow-match-transformer.ts';
import { createScheduler, flowMatchMu } from '../../src/diffusion/schedulers/index.ts';
import type { SchedulerConfig } from '../../src/diffusion/schedulers/scheduler.ts';
import type { ModelRunner, Tensor, ValueInfo } from '../../src/diffusion/tensor.ts';
import { qwenTokenizer, qwenTokenizerConfig } from '../../tools/tiny-model/qwen-tokenizer.ts';

const q = qwenTokenizer();
const tokenizer = ChatTokenizer.fromFiles(q.tokenizerJson, qwenTokenizerConfig(q.added));
const WIDTH = 8; // text width of the stand-in encoder

/** A runner over a JS function, recording every call's feeds. */
function runner(inputs: Record<string, ValueInfo>, outputs: Record<string, ValueInfo>, fn: (feeds: Record<string, Tensor>) => Record<string, Tensor>) {
  const calls: Record<string, Tensor>[] = [];
  let released = 0;
  const r: ModelRunner & { calls: typeof calls; released: () => number } = {
    inputs,
    outputs,
    calls,
    released: () => released,
    async run(feeds) {
      calls.push(feeds as Record<string, Tensor>);
      return fn(feeds as Record<string, Tensor>);
    },
    async release() {
      released++;
    },
  };
  return r;
}

/** Text encoder: row i of the output is (id_i, i, 0, …): the transformer's target depends on it. */
function textEncoder(output = 'encoder_hidden_states') {
  return runner(
    { input_ids: { type: 'int64', dims: ['batch_size', 'sequence_length'] }, attention_mask: { type: 'int64', dims: ['batch_size', 'total_sequence_length'] } },
    { [output]: { type: 'float16', dims: ['batch_size', 'sequence_length', WIDTH] } },
    ({ input_ids }) => {
      const ids = input_ids!.data as BigInt64Array;
      const data = new Float32Array(ids.length * WIDTH);
      ids.forEach((id, i) => ((data[i * WIDTH] = Number(id)), (data[i * WIDTH + 1] = i)));
      return { [output]: { data, dims: [1, ids.length, WIDTH] } };
    },
  );
}

/** The clean latents the oracle steers to: a function of the prompt's embeddings (their mean). */
function target(context: Tensor, size: number): Float32Array {
  const c = context.data as Float32Array;
  const mean = c.reduce((a, b) => a + b, 0) / c.length;
  return Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + mean) * 0.8);
}

/**
 * A transformer that knows the answer: fed x at timestep t = 1 − σ, it returns (c − x)/(1 − t),
 * which is Z-Image's raw output (the negated velocity c − noise) on the straight path
 * x = (1 − σ)·c + σ·noise. Euler is exact on a straight path, so with the right sign and timestep
 * the run lands exactly on c whatever the schedule; a wrong sign diverges, and feeding σ instead
 * of 1 − σ divides by the wrong thing.
 */
function oracle(rank: 4 | 5, output = 'sample') {
  const dims = rank === 5 ? [1, 16, 'num_frames', 'height', 'width'] : [1, 16, 'height', 'width'];
  return runner(
    { hidden_states: { type: 'float16', dims }, timestep: { type: 'float16', dims: [1] }, encoder_hidden_states: { type: 'float16', dims: [1, 'seq_len', WIDTH] } },
    { [output]: { type: 'float16', dims: rank === 5 ? [16, 'num_frames', 'height', 'width'] : [1, 16, 'height', 'width'] } },
    ({ hidden_states, timestep, encoder_hidden_states }) => {
      const x = hidden_states!.data as Float32Array;
      const t = (timestep!.data as Float32Array)[0]!;
      const c = target(encoder_hidden_states!, x.length);
      const out = x.map((v, i) => (c[i]! - v) / (1 - t));
      return { [output]: { data: out, dims: rank === 5 ? hidden_states!.dims.slice(1) : hidden_states!.dims } };
    },
  );
}

/** VAE: pixel (y, x) of channel k is latent channel k at (y/8, x/8), so its input can be read back from the image. */
function vae() {
  return runner({ latent_sample: { type: 'float16', dims: ['batch_size', 16, 'latent_height', 'latent_width'] } }, { sample: { type: 'float16', dims: ['batch_size', 3, 'height', 'width'] } }, ({ latent_sample }) => {
    const [, , h, w] = latent_sample!.dims as [number, number, number, number];
    const z = latent_sample!.data as Float32Array;
    const data = new Float32Array(3 * 64 * h * w);
    for (let k = 0; k < 3; k++) for (let y = 0; y < 8 * h; y++) for (let x = 0; x < 8 * w; x++) data[(k * 8 * h + y) * 8 * w + x] = Math.tanh(z[(k * h + (y >> 3)) * w + (x >> 3)]!);
    return { sample: { data, dims: [1, 3, 8 * h, 8 * w] } };
  });
}

function model(opts: { rank?: 4 | 5; scheduler?: SchedulerConfig; releaseTextEncoder?: boolean; encoderOutput?: string; transformerOutput?: string } = {}) {
  const encoder = textEncoder(opts.encoderOutput);
  const opened: ReturnType<typeof textEncoder>[] = [];
  const handle = reopenableComponent('text_encoder', async () => {
    opened.push(encoder);
    return encoder;
  });
  const m: FlowMatchTransformerModel = {
    family: 'z-image',
    tokenizer,
    textEncoder: handle,
    releaseTextEncoder: opts.releaseTextEncoder ?? false,
    embeddings: new EmbeddingCache(),
    transformer: oracle(opts.rank ?? 4, opts.transformerOutput),
    vaeDecoder: vae(),
    scheduler: () => createScheduler(opts.scheduler ?? Z_IMAGE_TURBO_REFERENCE.scheduler),
    sigmas: zImageSigmas,
    latentChannels: 16,
    vaeScaleFactor: 8,
    patchSize: 2,
    vaeScalingFactor: 0.3611,
    vaeShiftFactor: 0.1159,
    maxSequenceLength: 512,
  };
  return { m, encoder, transformer: m.transformer as ReturnType<typeof oracle>, vae: m.vaeDecoder as ReturnType<typeof vae>, opened };
}

const REQ = { prompt: 'a photo of a cat', seed: 42, steps: 8, guidanceScale: 0, width: 64, height: 48 };

describe('generateFlowMatch', () => {
  it.each([4, 5] as const)('lands exactly on the oracle’s target with %i-D latents, and decodes latents / 0.3611 + 0.1159', async (rank) => {
    for (const steps of [1, 3, 8]) {
      const { m, transformer, vae: decoder } = model({ rank });
      const result = await generateFlowMatch(m, { ...REQ, steps });
      const context = transformer.calls[0]!.encoder_hidden_states!;
      const c = target(context, 16 * 6 * 8);
      const z = decoder.calls[0]!.latent_sample!;
      expect(z.dims).toEqual([1, 16, 6, 8]);
      const want = c.map((v) => v / 0.3611 + 0.1159);
      const worst = (z.data as Float32Array).reduce((e, v, i) => Math.max(e, Math.abs(v - want[i]!)), 0);
      expect(worst, `${steps} steps`).toBeLessThan(2e-5);
      expect(transformer.calls).toHaveLength(steps);
      for (const call of transformer.calls) expect(call.hidden_states!.dims).toEqual(rank === 5 ? [1, 16, 1, 6, 8] : [1, 16, 6, 8]);
      expect(result.images[0]!.image).toMatchObject({ width: 64, height: 48 });
      expect(result).toMatchObject({ steps, width: 64, height: 48, notices: [] });
    }
  });

  it('feeds (1000 − t)/1000 of the shifted linspace(1, 1/N, N) schedule, and starts from torch CPU noise of the seed', async () => {
    const { m, transformer } = model();
    await generateFlowMatch(m, REQ);
    const fed = transformer.calls.map((c) => (c.timestep!.data as Float32Array)[0]);
    // σ for 8 steps with shift 3 (z-image.md §5, computed with diffusers' formulas): the model gets 1 − σ.
    const sigmas = [1, 0.954545, 0.9, 0.833333, 0.75, 0.642857, 0.5, 0.3];
    fed.forEach((t, i) => expect(t).toBeCloseTo(1 - sigmas[i]!, 5));
    for (const c of transformer.calls) expect(c.timestep!.dims).toEqual([1]);
    expect(transformer.calls[0]!.hidden_states!.data).toEqual(createNoise('cpu', 42).randn(16 * 6 * 8));
  });

  it("starts each image of a batch from its own seed's noise, and encodes the prompt once", async () => {
    const { m, transformer, encoder } = model();
    const result = await generateFlowMatch(m, { ...REQ, steps: 2, batch: 3, noise: 'gpu' });
    expect(result.images.map((i) => i.seed)).toEqual([42, 43, 44]);
    for (const k of [0, 1, 2]) expect(transformer.calls[2 * k]!.hidden_states!.data).toEqual(createNoise('gpu', 42 + k).randn(16 * 6 * 8));
    expect(encoder.calls).toHaveLength(1);
  });

  it('gives the text encoder the templated ids as int64 with an all-ones mask, unpadded, and reads either output name', async () => {
    for (const output of ['encoder_hidden_states', 'encoder_hidden_state', 'last_hidden_state']) {
      const { m, encoder, transformer } = model({ encoderOutput: output });
      await generateFlowMatch(m, { ...REQ, steps: 1 });
      const { input_ids, attention_mask } = encoder.calls[0]!;
      const ids = tokenizer.encodePrompt(REQ.prompt).ids;
      expect(Array.from(input_ids!.data as BigInt64Array, Number)).toEqual(ids);
      expect(input_ids!.dims).toEqual([1, ids.length]);
      expect(Array.from(attention_mask!.data as BigInt64Array, Number)).toEqual(ids.map(() => 1));
      expect(transformer.calls[0]!.encoder_hidden_states!.dims).toEqual([1, ids.length, WIDTH]);
    }
  });

  it('cuts a prompt over 512 tokens and says so', async () => {
    const { m, encoder } = model();
    const prompt = Array.from({ length: 700 }, (_, i) => `w${i % 10}`).join(' ');
    const result = await generateFlowMatch(m, { ...REQ, prompt, steps: 1 });
    expect(encoder.calls[0]!.input_ids!.dims).toEqual([1, 512]);
    expect(result.notices).toHaveLength(1);
    expect(result.notices[0]).toMatch(/^The prompt is \d+ tokens with its chat template, more than the text encoder's 512/);
  });

  it('reuses a prompt’s encoding; with releaseTextEncoder it closes the encoder after encoding and reopens it only for a new prompt', async () => {
    const { m, encoder, opened } = model({ releaseTextEncoder: true });
    const events: FlowMatchStageEvent[] = [];
    await generateFlowMatch(m, { ...REQ, steps: 1 });
    expect([m.textEncoder.open, m.textEncoder.opens, encoder.released()]).toEqual([false, 1, 1]);
    await generateFlowMatch(m, { ...REQ, steps: 1, seed: 7, width: 32 }, (e) => events.push(e));
    expect(encoder.calls).toHaveLength(1);
    expect(opened).toHaveLength(1);
    expect(events.filter((e) => e.stage === 'text_encoder').map((e) => e.reused)).toEqual([undefined, true]);
    await generateFlowMatch(m, { ...REQ, steps: 1, prompt: 'a red dog' });
    expect([encoder.calls.length, m.textEncoder.opens, m.textEncoder.open]).toEqual([2, 2, false]);

    const kept = model();
    await generateFlowMatch(kept.m, { ...REQ, steps: 1 });
    expect([kept.m.textEncoder.open, kept.encoder.released()]).toEqual([true, 0]);
  });

  it('takes mu from the patch count when the config shifts dynamically', async () => {
    const config: SchedulerConfig = { _class_name: 'FlowMatchEulerDiscreteScheduler', use_dynamic_shifting: true, base_image_seq_len: 256, max_image_seq_len: 4096, base_shift: 0.5, max_shift: 1.15 };
    const { m, transformer } = model({ scheduler: config });
    await generateFlowMatch(m, { ...REQ, steps: 4, width: 256, height: 256 });
    const expected = createScheduler(config);
    expected.setTimesteps(4, { sigmas: zImageSigmas(4), mu: flowMatchMu(config, 16 * 16) });
    expect(transformer.calls.map((c) => (c.timestep!.data as Float32Array)[0])).toEqual(expected.timesteps.map((t) => Math.fround(Math.fround(1000 - t) / 1000)));
  });

  it('reports stages in order and stops at an aborted signal before the next model call', async () => {
    const { m, transformer } = model();
    const events: string[] = [];
    const abort = new AbortController();
    const run = generateFlowMatch(m, REQ, (e) => {
      events.push(`${e.stage}${e.step ?? ''}${e.latents ? '+' : ''}`);
      if (e.step === 2 && e.latents) abort.abort();
    }, abort.signal);
    await expect(run).rejects.toThrow(/abort/i);
    expect(events).toEqual(['text_encoder', 'transformer0', 'transformer1+', 'transformer1', 'transformer2+', 'transformer2']);
    expect(transformer.calls).toHaveLength(2);

    const done: string[] = [];
    await generateFlowMatch(model().m, { ...REQ, steps: 1 }, (e) => done.push(e.stage));
    expect(done).toEqual(['text_encoder', 'transformer', 'transformer', 'vae_decoder']);
  });

  it('rounds the size down to whole patches, refuses what cannot be made, and names the settings it ignores', async () => {
    const { m } = model();
    const result = await generateFlowMatch(m, { ...REQ, steps: 1, width: 70, height: 47, guidanceScale: 4, negativePrompt: 'blurry', sampler: 'dpmpp-2m' });
    expect(result.images[0]!.image).toMatchObject({ width: 64, height: 32 });
    expect(result.notices).toEqual(['This model is distilled to run without guidance, with its own flow-matching Euler sampler: guidance (4), the negative prompt, the sampler (dpmpp-2m) ignored.']);
    await expect(generateFlowMatch(m, { ...REQ, width: 15 })).rejects.toThrow('The image must be at least 16×16 pixels for this model, not 15×48.');
    await expect(generateFlowMatch(m, { ...REQ, initImage: { width: 1, height: 1, data: new Uint8ClampedArray(4) } })).rejects.toThrow(/cannot start from an image/);
  });
});

describe('zImageSigmas', () => {
  it("is torch.linspace(1, 1/N, N) to the last bit, as diffusers' pipeline makes it (recorded from torch for 1 to 60 steps)", () => {
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/z-image-sigmas.json', import.meta.url), 'utf8')) as { sigmas: Record<string, number[]> };
    for (const [n, sigmas] of Object.entries(fixture.sigmas)) expect(zImageSigmas(Number(n)), `${n} steps`).toEqual(sigmas);
  });
});
