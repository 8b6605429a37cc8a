import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIP_MERGES, clipVocab, readClipBpe } from '../../tools/tiny-model/clip-vocab.ts';
import { toHalfBits } from '../../src/runtime/float16.ts';
import { DataType, float, Float16Data, GraphBuilder, tensor } from '../../tools/tiny-model/onnx-writer.ts';
import { Q4_BLOCK, quantizeQ4 } from '../../tools/tiny-model/layers.ts';
import {
  ensureTinyModel,
  FAMILIES,
  type FamilyId,
  familySpec,
  TANH_PRE_ACTIVATION,
  TINY,
  TINY_MODEL_FILES,
  tinyModelFiles,
  vaeDecoderGraph,
  writeTinyModel,
} from '../../tools/tiny-model/tiny-model.ts';
import {
  componentOf,
  floatsOf,
  guidanceEmbedding,
  listFiles,
  meanAbsDiff,
  openRepo,
  randn,
  sha256,
  signature,
  stats,
  tensorAs,
  tokenize,
} from './tiny-model-support.ts';
import { EXPECTED } from './tiny-model-expected.ts';

ort.env.wasm.numThreads = 1;

describe('onnx-writer', () => {
  it('writes float, floats and tensor attributes that onnxruntime reads back', async () => {
    const g = new GraphBuilder('attributes');
    const x = g.input('x', DataType.FLOAT, ['n']);
    const a = g.node('Constant', [], { value_floats: float([1, 2, 3]) });
    const b = g.node('Constant', [], { value: tensor([3], Float32Array.of(10, 20, 30)) });
    g.node('LeakyRelu', [g.node('Add', [g.node('Add', [a, b]), x])], { alpha: float(0.5) }, 'y');
    g.output('y', DataType.FLOAT, ['n']);
    const session = await ort.InferenceSession.create(g.toModel());
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-100, 0, 1), [3]) });
    expect(Array.from(y!.data as Float32Array)).toEqual([-44.5, 22, 34]);
    await session.release();
  });

  it('writes float16 initializers that onnxruntime reads as the rounded values', async () => {
    const values = [1 / 3, -1234.5678, 2 ** -20, 70000];
    const g = new GraphBuilder('half');
    const x = g.input('x', DataType.FLOAT16, [4]);
    g.node('Add', [x, g.init('w', [4], Float16Data.from(values))], {}, 'y');
    g.output('y', DataType.FLOAT16, [4]);
    const session = await ort.InferenceSession.create(g.toModel());
    const { y } = await session.run({ x: tensorAs('float16', [0, 0, 0, 0], [4]) });
    expect(y!.type).toBe('float16');
    expect(Array.from(y!.data as Uint16Array)).toEqual(values.map(toHalfBits));
    expect(Array.from(floatsOf(y!))).toEqual([0.333251953125, -1235, 2 ** -20, Number.POSITIVE_INFINITY]); // halves are 1 apart at 1024-2048
    await session.release();
  });

  it('writes initializers to an external data file that onnxruntime loads under its location', async () => {
    const g = new GraphBuilder('external');
    const x = g.input('x', DataType.FLOAT, ['n', 300]);
    const w = g.init('w', [300, 2], Float32Array.from({ length: 600 }, (_, i) => i % 7)); // 2400 bytes: outside
    const b = g.init('b', [2], Float32Array.of(0.5, -0.5)); // 8 bytes: stays inside
    g.node('Add', [g.node('MatMul', [x, w]), b], {}, 'y');
    g.output('y', DataType.FLOAT, ['n', 2]);
    const { model, data } = g.toModelWithExternalData('weights.pb');
    expect(data.length).toBe(2400);
    expect(new TextDecoder().decode(model)).toContain('weights.pb');

    const ones = new ort.Tensor('float32', new Float32Array(300).fill(1), [1, 300]);
    const session = await ort.InferenceSession.create(model, { externalData: [{ path: 'weights.pb', data }] });
    const inline = await ort.InferenceSession.create(g.toModel());
    expect((await session.run({ x: ones })).y!.data).toEqual((await inline.run({ x: ones })).y!.data);
    await Promise.all([session.release(), inline.release()]);
    await expect(ort.InferenceSession.create(model)).rejects.toThrow();

    // Offsets are aligned: a second tensor starts at the next multiple of 4096.
    g.init('unused', [300], new Float32Array(300).fill(2));
    const aligned = g.toModelWithExternalData('model.onnx_data').data;
    expect(aligned.length).toBe(4096 + 1200);
    expect(new Float32Array(aligned.buffer, 4096, 300).every((v) => v === 2)).toBe(true);
  });

  it('splits external data into shards (location, location_1, …) that onnxruntime loads together', async () => {
    const g = new GraphBuilder('shards');
    const x = g.input('x', DataType.FLOAT, [1, 100]);
    let y = x;
    for (let i = 0; i < 6; i++) y = g.node('MatMul', [y, g.init(`w${i}`, [100, 100], Float32Array.from({ length: 10000 }, (_, k) => ((k * (i + 3)) % 11) / 100))]);
    g.node('Identity', [y], {}, 'y');
    g.output('y', DataType.FLOAT, [1, 100]);
    const dir = await mkdtemp(join(tmpdir(), 'shards-'));
    await g.writeModelWithExternalData(join(dir, 'model.onnx'), join(dir, 'model.onnx_data'), 'model.onnx_data', { shards: 3 });
    const names = ['model.onnx_data', 'model.onnx_data_1', 'model.onnx_data_2'];
    expect((await readdir(dir)).sort()).toEqual(['model.onnx', ...names]);
    const data = await Promise.all(names.map(async (n) => ({ path: n, data: await readFile(join(dir, n)) })));
    expect(data.every((d) => d.data.length >= 40000)).toBe(true); // each holds whole tensors
    const model = await readFile(join(dir, 'model.onnx'));
    const ones = new ort.Tensor('float32', new Float32Array(100).fill(1), [1, 100]);
    const sharded = await ort.InferenceSession.create(model, { externalData: data });
    const inline = await ort.InferenceSession.create(g.toModel());
    expect((await sharded.run({ x: ones })).y!.data).toEqual((await inline.run({ x: ones })).y!.data);
    await Promise.all([sharded.release(), inline.release()]);
    await expect(ort.InferenceSession.create(model, { externalData: data.slice(0, 2) })).rejects.toThrow();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes int4 weights as onnxruntime-web runs them: MatMulNBits and GatherBlockQuantized (com.microsoft), low nibble first, zero point 8', async () => {
    const [K, N, V] = [40, 6, 5]; // K is no whole number of blocks: the last block is padded
    const weights = randn(N * K, 11); // MatMulNBits keeps W transposed: N rows of K
    const q = quantizeQ4(weights, N, K);
    for (let i = 0; i < weights.length; i++) expect(Math.abs(q.dequantized[i]! - weights[i]!)).toBeLessThanOrEqual(q.scales[Math.floor(i / K) * q.blocks + Math.floor((i % K) / Q4_BLOCK)]! / 2 + 1e-6);
    const table = randn(V * 32, 12);
    const t = quantizeQ4(table, V, 32);
    const g = new GraphBuilder('q4');
    const x = g.input('x', DataType.FLOAT, [2, K]);
    const ids = g.input('ids', DataType.INT32, [1, 3]);
    const b = g.init('B', [N, q.blocks, Q4_BLOCK / 2], q.packed);
    g.node('MatMulNBits', [x, b, g.init('scales', [N * q.blocks], q.scales)], { K, N, bits: 4, block_size: Q4_BLOCK }, 'y', 'com.microsoft');
    g.node('GatherBlockQuantized', [g.init('T', [V, 16], t.packed), ids, g.init('T_scales', [V, 2], t.scales)], { gather_axis: 0, quantize_axis: 1, block_size: Q4_BLOCK, bits: 4 }, 'e', 'com.microsoft');
    g.output('y', DataType.FLOAT, [2, N]);
    g.output('e', DataType.FLOAT, [1, 3, 32]);
    const session = await ort.InferenceSession.create(g.toModel());
    const input = randn(2 * K, 13);
    const out = await session.run({ x: new ort.Tensor('float32', input, [2, K]), ids: new ort.Tensor('int32', Int32Array.of(4, 0, 2), [1, 3]) });
    const expectedY = Array.from({ length: 2 * N }, (_, i) => {
      const [r, n] = [Math.floor(i / N), i % N];
      let sum = 0;
      for (let k = 0; k < K; k++) sum += input[r * K + k]! * q.dequantized[n * K + k]!;
      return sum;
    });
    Array.from(out.y!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expectedY[i]!, 4));
    const rows = [4, 0, 2].flatMap((r) => Array.from(t.dequantized.subarray(r * 32, (r + 1) * 32)));
    Array.from(out.e!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(rows[i]!, 6));
    await session.release();
  });
});

describe('clipVocab', () => {
  const bpe = readClipBpe();

  it('rebuilds the real CLIP vocabulary', () => {
    const { vocab, merges } = clipVocab(bpe);
    expect(merges).toHaveLength(CLIP_MERGES);
    expect(Object.keys(vocab)).toHaveLength(49408);
    expect(vocab['!']).toBe(0);
    expect(vocab['a</w>']).toBe(320);
    expect(vocab['photo</w>']).toBe(1125);
    expect(vocab['cat</w>']).toBe(2368);
    expect(vocab['<|startoftext|>']).toBe(49406);
    expect(vocab['<|endoftext|>']).toBe(49407);
  });

  it('builds a tiny vocabulary with the same ids and the specials last', () => {
    const { vocab, merges } = clipVocab(bpe, 2000);
    expect(merges).toHaveLength(2000);
    expect(Object.keys(vocab)).toHaveLength(512 + 2000 + 2);
    expect(vocab['cat</w>']).toBe(2368);
    expect(vocab['<|startoftext|>']).toBe(2512);
    expect(vocab['<|endoftext|>']).toBe(2513);
  });
});

describe('tiny SD-Turbo', () => {
  let root: string;
  let repo: string;
  const session: Record<string, ort.InferenceSession> = {};

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tiny-model-'));
    repo = join(root, 'a/sd-turbo-tiny');
    const start = performance.now();
    await writeTinyModel(repo);
    console.log(`tiny model generated in ${Math.round(performance.now() - start)} ms`);
    for (const name of ['text_encoder', 'unet', 'vae_decoder']) {
      session[name] = await ort.InferenceSession.create(await readFile(join(repo, name, 'model.onnx')));
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(session).map((s) => s.release()));
    await rm(root, { recursive: true, force: true });
  });

  it('holds the files of a real repo and nothing else', async () => {
    expect((await listFiles(repo)).sort()).toEqual([...TINY_MODEL_FILES].sort());
    const sizes = new Map<string, number>();
    for (const model of ['text_encoder', 'unet', 'vae_decoder']) sizes.set(model, (await stat(join(repo, model, 'model.onnx'))).size);
    console.log(`model.onnx sizes (MB): ${[...sizes].map(([m, size]) => `${m} ${(size / 1e6).toFixed(2)}`).join(', ')}`);
    expect(sizes.get('unet')).toBeGreaterThan(25e6);
    expect(sizes.get('unet')).toBeLessThan(50e6);

    const tiny = clipVocab(readClipBpe(), TINY.merges);
    expect(JSON.parse(await readFile(join(repo, 'tokenizer/vocab.json'), 'utf8'))).toEqual(tiny.vocab);
    const merges = (await readFile(join(repo, 'tokenizer/merges.txt'), 'utf8')).split('\n');
    expect(merges.slice(0, 3)).toEqual(['#version: 0.2', ...tiny.merges.slice(0, 2)]);
    expect(merges).toHaveLength(1 + TINY.merges + 1); // ends with a newline
    const tokenizer = JSON.parse(await readFile(join(repo, 'tokenizer/tokenizer_config.json'), 'utf8'));
    expect(tokenizer).toMatchObject({ model_max_length: 77, pad_token: '!' });
    const scheduler = JSON.parse(await readFile(join(repo, 'scheduler/scheduler_config.json'), 'utf8'));
    expect(scheduler).toMatchObject({ _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'trailing' });
  });

  it('writes the same bytes as every earlier generator v1 (the 35 MB download tests rely on them)', async () => {
    // If this changes on purpose, bump GENERATOR_VERSION and update the digest.
    const lines = [];
    for (const file of [...TINY_MODEL_FILES].sort()) lines.push(`${file}\0${await sha256(join(repo, file))}\n`);
    const digest = createHash('sha256').update(lines.join('')).digest('hex');
    expect(digest).toBe('a9eb99962a8595a93043e9aad0968b9ca31c13139008b78bb148853e240a980d');
  });

  it('writes byte-identical files for the same seed', async () => {
    const again = join(root, 'b/sd-turbo-tiny');
    await writeTinyModel(again);
    for (const file of TINY_MODEL_FILES) expect(await sha256(join(again, file)), file).toBe(await sha256(join(repo, file)));
  });

  it('declares the real input/output names, dtypes and symbolic dimensions', () => {
    const shapes = signature;
    expect(shapes(session.text_encoder!.inputMetadata)).toEqual({ input_ids: ['int32', 'batch_size', 'sequence_length'] });
    expect(shapes(session.text_encoder!.outputMetadata)).toEqual({
      last_hidden_state: ['float32', 'batch_size', 'sequence_length', TINY.hidden],
    });
    expect(shapes(session.unet!.inputMetadata)).toEqual({
      sample: ['float32', 'batch_size', 'num_channels', 'height', 'width'],
      timestep: ['int64', 'steps'],
      encoder_hidden_states: ['float32', 'batch_size', 'sequence_length', TINY.hidden],
    });
    expect(shapes(session.unet!.outputMetadata)).toEqual({ out_sample: ['float32', 'batch_size', 4, 'height', 'width'] });
    expect(shapes(session.vae_decoder!.inputMetadata)).toEqual({
      latent_sample: ['float32', 'batch_size', 'num_channels_latent', 'height_latent', 'width_latent'],
    });
    expect(shapes(session.vae_decoder!.outputMetadata)).toEqual({ sample: ['float32', 'batch_size', 3, 'height', 'width'] });
  });

  // The SD-Turbo one-step math of DESIGN.md, on 16x16 latents (a 128x128 picture).
  async function generate(prompt: string) {
    const ids = await tokenize(repo, prompt);
    const sigma = 14.6146;
    const latents = randn(4 * 16 * 16, 1).map((v) => v * sigma);
    const times: string[] = [];
    const timed = async <T>(name: string, run: () => Promise<T>) => {
      const start = performance.now();
      const result = await run();
      times.push(`${name} ${(performance.now() - start).toFixed(0)} ms`);
      return result;
    };

    const text = await timed('text_encoder', () =>
      session.text_encoder!.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) }),
    );
    const hidden = text.last_hidden_state as ort.Tensor;
    const unet = await timed('unet', () =>
      session.unet!.run({
        sample: new ort.Tensor('float32', latents.map((v) => v / Math.sqrt(sigma ** 2 + 1)), [1, 4, 16, 16]),
        timestep: new ort.Tensor('int64', [999n], [1]),
        encoder_hidden_states: hidden,
      }),
    );
    const eps = (unet.out_sample as ort.Tensor).data as Float32Array;
    const x0 = latents.map((v, i) => v - sigma * eps[i]!);
    const vae = await timed('vae_decoder', () =>
      session.vae_decoder!.run({ latent_sample: new ort.Tensor('float32', x0.map((v) => v / 0.18215), [1, 4, 16, 16]) }),
    );
    const sample = vae.sample as ort.Tensor;
    console.log(`"${prompt}" (wasm, 1 thread): ${times.join(', ')}`);
    expect(sample.dims).toEqual([1, 3, 128, 128]);
    const raw = sample.data as Float32Array;
    const image = raw.map((v) => Math.min(1, Math.max(0, v / 2 + 0.5)));
    return { hidden: hidden.data as Float32Array, eps, raw, image };
  }

  it('turns a prompt into a varied picture that depends on the prompt', async () => {
    const cat = await generate('a photo of a cat');
    const dog = await generate('a red dog');
    for (const run of [cat, dog]) {
      for (const values of [run.hidden, run.eps, run.raw]) expect(stats(values).finite).toBe(true);
      expect(stats(run.raw).std).toBeLessThan(1);
      expect(run.raw.filter((v) => Math.abs(v) < 1.5).length / run.raw.length).toBeGreaterThan(0.95);
      expect(stats(run.image).std).toBeGreaterThan(0.1);
      expect(run.image.filter((v) => v === 0 || v === 1).length / run.image.length).toBeLessThan(0.2);
    }
    const diff = meanAbsDiff(cat.image, dog.image);
    console.log(`mean |cat − dog| per pixel: ${diff.toFixed(3)}`);
    expect(diff).toBeGreaterThan(0.05);
  });

  it('gives each item of a batch what it gives alone', async () => {
    const ids = new Int32Array([...(await tokenize(repo, 'a photo of a cat')), ...(await tokenize(repo, 'a red dog'))]);
    const text = await session.text_encoder!.run({ input_ids: new ort.Tensor('int32', ids, [2, 77]) });
    const hidden = (text.last_hidden_state as ort.Tensor).data as Float32Array;
    const sample = randn(2 * 4 * 16 * 16, 3);
    const feeds = (batch: number, offset: number) => ({
      sample: new ort.Tensor('float32', sample.slice(offset * 1024, (offset + batch) * 1024), [batch, 4, 16, 16]),
      timestep: new ort.Tensor('int64', [999n], [1]),
      encoder_hidden_states: new ort.Tensor('float32', hidden.slice(offset * 77 * 64, (offset + batch) * 77 * 64), [batch, 77, 64]),
    });
    const both = (await session.unet!.run(feeds(2, 0))).out_sample!.data as Float32Array;
    const second = (await session.unet!.run(feeds(1, 1))).out_sample!.data as Float32Array;
    const diff = second.reduce((max, v, i) => Math.max(max, Math.abs(v - both[1024 + i]!)), 0);
    expect(diff).toBeLessThan(1e-4);
  });

  it('ensureTinyModel generates once, then reuses the repo', async () => {
    const hubRoot = join(root, 'hub-root');
    const dir = await ensureTinyModel(hubRoot, 'tiny/sd-turbo-tiny');
    expect(dir).toBe(join(hubRoot, 'tiny/sd-turbo-tiny'));
    const { mtimeMs } = await stat(join(dir, 'unet/model.onnx'));
    expect(await ensureTinyModel(hubRoot, 'tiny/sd-turbo-tiny')).toBe(dir);
    expect((await stat(join(dir, 'unet/model.onnx'))).mtimeMs).toBe(mtimeMs);
    expect((await listFiles(dir)).sort()).toEqual([...TINY_MODEL_FILES].sort());
    expect(await readdir(hubRoot)).toEqual(expect.arrayContaining(['.tiny--sd-turbo-tiny.stamp', 'tiny']));
  });
});

const clamp01 = (v: number) => Math.min(1, Math.max(0, v / 2 + 0.5));

describe.each(Object.keys(FAMILIES) as FamilyId[])('the %s stand-in', (family) => {
  const expected = EXPECTED[family];
  let dir: string;
  let sessions: Record<string, ort.InferenceSession>;
  const typeOf = (model: string, input: string) => {
    const meta = sessions[model]!.inputMetadata.find((m) => m.name === input);
    return meta?.isTensor ? meta.type : undefined;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `tiny-${family}-`));
    await writeTinyModel(dir, { family });
    sessions = await openRepo(dir, expected.files);
  });

  afterAll(async () => {
    await Promise.all(Object.values(sessions ?? {}).map((s) => s.release()));
    await rm(dir, { recursive: true, force: true });
  });

  it("holds the real repo's files, small unless it is the download-sized default", async () => {
    expect((await listFiles(dir)).sort()).toEqual([...expected.files].sort());
    expect([...tinyModelFiles(family)].sort()).toEqual([...expected.files].sort());
    const sizes = await Promise.all(expected.files.map(async (f) => (await stat(join(dir, f))).size));
    const total = sizes.reduce((a, b) => a + b, 0);
    console.log(`${family}: ${total} bytes (${expected.files.filter((f) => /onnx|\.pb/.test(f)).map((f) => `${f} ${sizes[expected.files.indexOf(f)]}`).join(', ')})`);
    if (family !== 'sd-turbo') expect(total).toBeLessThan(expected.maxBytes ?? 5e6);
  });

  it('declares the real input/output names, dtypes and symbolic dimensions', () => {
    for (const [model, { inputs, outputs }] of Object.entries(expected.models)) {
      const session = sessions[componentOf(model)]!;
      expect(signature(session.inputMetadata), `${model} inputs`).toEqual(inputs);
      expect(signature(session.outputMetadata), `${model} outputs`).toEqual(outputs);
    }
  });

  it('ships the configs of the real repo, and only those', async () => {
    const read = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8'));
    expect(expected.files.includes('model_index.json')).toBe(expected.modelIndex !== undefined);
    if (expected.modelIndex) expect((await read('model_index.json'))._class_name).toBe(expected.modelIndex);
    if (expected.scheduler) expect(await read('scheduler/scheduler_config.json')).toMatchObject(expected.scheduler);
    expect(expected.files.includes('tokenizer/tokenizer_config.json')).toBe(expected.padToken !== undefined);
    if (expected.padToken) expect(await read('tokenizer/tokenizer_config.json')).toMatchObject({ model_max_length: expected.modelMaxLength ?? 77, pad_token: expected.padToken });
    if (expected.files.includes('tokenizer_2/tokenizer_config.json')) expect(await read('tokenizer_2/tokenizer_config.json')).toMatchObject({ pad_token: '!' });
    if (!expected.files.includes('unet/config.json')) return;
    const hidden = expected.models[expected.files.find((f) => f.startsWith('text_encoder/model'))!]!.outputs.last_hidden_state!.at(-1);
    expect(await read('text_encoder/config.json')).toMatchObject({ hidden_size: hidden });
    const context = expected.models[expected.files.find((f) => f.startsWith('unet/model'))!]!.inputs.encoder_hidden_states!.at(-1); // both encoders side by side in SDXL
    expect(await read('unet/config.json')).toMatchObject({ sample_size: expected.sampleSize, cross_attention_dim: context });
    expect(await read('vae_decoder/config.json')).toMatchObject({ sample_size: 8 * expected.sampleSize, block_out_channels: [8, 8, 16, 32] });
  });

  it('cannot load its external-data models without their data file', async () => {
    for (const [model, data] of Object.entries(expected.external)) {
      const location = data.slice(data.lastIndexOf('/') + 1);
      expect(new TextDecoder().decode(await readFile(join(dir, model))), model).toContain(location);
      await expect(ort.InferenceSession.create(await readFile(join(dir, model))), model).rejects.toThrow();
    }
  });

  // SD-Turbo's one-step math on each family's own dtypes: enough to see what the image
  // depends on (the tiny weights are random, so the scheduler hardly matters here).
  async function picture(prompt: string, seed: number, timestep: number, guidance = 8) {
    const size = expected.sampleSize;
    const ids = await tokenize(dir, prompt);
    const text = await sessions.text_encoder!.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) });
    const sigma = 14.6146;
    const latents = randn(4 * size * size, seed).map((v) => v * sigma);
    const feeds: Record<string, ort.Tensor> = {
      sample: tensorAs(typeOf('unet', 'sample')!, latents.map((v) => v / Math.sqrt(sigma ** 2 + 1)), [1, 4, size, size]),
      timestep: tensorAs(typeOf('unet', 'timestep')!, [timestep], [1]),
      encoder_hidden_states: text.last_hidden_state!,
    };
    const condType = typeOf('unet', 'timestep_cond');
    if (condType) feeds.timestep_cond = tensorAs(condType, guidanceEmbedding(guidance), [1, 256]);
    const eps = floatsOf((await sessions.unet!.run(feeds)).out_sample!);
    const x0 = latents.map((v, i) => (v - sigma * eps[i]!) / 0.18215);
    const { sample } = await sessions.vae_decoder!.run({ latent_sample: tensorAs(typeOf('vae_decoder', 'latent_sample')!, x0, [1, 4, size, size]) });
    expect(sample!.dims).toEqual([1, 3, 8 * size, 8 * size]);
    const raw = floatsOf(sample!);
    return { eps, raw, image: raw.map(clamp01) };
  }

  // Families with one text encoder and a slow tokenizer; the others run through the pipeline in test/diffusion/real-layouts.test.ts.
  const simple = expected.files.includes('tokenizer/vocab.json') && expected.files.includes('tokenizer/tokenizer_config.json') && !expected.files.some((f) => f.startsWith('text_encoder_2'));
  it.runIf(simple)('runs on the wasm backend into a picture that depends on the prompt, the seed and the timestep', async () => {
    const start = performance.now();
    const base = await picture('a photo of a cat', 1, 999);
    const changed: Record<string, Awaited<ReturnType<typeof picture>>> = {
      prompt: await picture('a red dog', 1, 999),
      seed: await picture('a photo of a cat', 2, 999),
      timestep: await picture('a photo of a cat', 1, 500),
    };
    if (typeOf('unet', 'timestep_cond')) changed.timestep_cond = await picture('a photo of a cat', 1, 999, 2);
    const diffs = Object.entries(changed).map(([what, run]) => [what, meanAbsDiff(base.image, run.image)] as const);
    console.log(`${family}: 5 pictures in ${Math.round(performance.now() - start)} ms; mean |Δ| per pixel when changing ${diffs.map(([w, d]) => `${w} ${d.toFixed(3)}`).join(', ')}`);
    for (const [what, diff] of diffs) expect(diff, what).toBeGreaterThan(0.02);
    for (const values of [base.eps, base.raw]) expect(stats(values).finite).toBe(true);
    expect(stats(base.image).std).toBeGreaterThan(0.1);
    if (family === 'tanh-vae') return; // saturated on purpose
    expect(base.image.filter((v) => v === 0 || v === 1).length / base.image.length).toBeLessThan(0.2);
  });

  it.runIf(expected.files.includes('vae_encoder/model.onnx'))('encodes a picture to latents at 1/8 the size, deterministically', async () => {
    const size = 8 * expected.sampleSize;
    const type = typeOf('vae_encoder', 'sample')!;
    const image = randn(3 * size * size, 7).map((v) => Math.tanh(v));
    const encode = async () => (await sessions.vae_encoder!.run({ sample: tensorAs(type, image, [1, 3, size, size]) })).latent_sample!;
    const [a, b] = [await encode(), await encode()];
    expect(a.dims).toEqual([1, 4, size / 8, size / 8]);
    expect(a.type).toBe(type);
    expect(floatsOf(a)).toEqual(floatsOf(b));
    expect(stats(floatsOf(a)).finite).toBe(true);
    expect(stats(floatsOf(a)).std).toBeGreaterThan(0.01);
  });
});

describe('family details', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tiny-details-'));
    for (const family of ['sd-turbo-fp16', 'tanh-vae', 'lcm', 'sd15'] as const) await writeTinyModel(join(root, family), { family });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('sd-turbo-fp16 stores float16 weights: its text encoder is half the size of the fp32 one', async () => {
    // tanh-vae has sd-turbo's fp32 text encoder.
    const size = async (repo: string) => (await stat(join(root, repo, 'text_encoder/model.onnx'))).size;
    expect((await size('sd-turbo-fp16')) / (await size('tanh-vae'))).toBeLessThan(0.55);
  });

  it("tanh-vae's last conv feeds Tanh pre-activations far beyond ±45 on a typical latent", async () => {
    const spec = familySpec('tanh-vae');
    const graph = vaeDecoderGraph(0, spec.vaeDecoder.opts);
    const shipped = await readFile(join(root, 'tanh-vae', 'vae_decoder/model.onnx'));
    expect(Buffer.from(graph.toModel()).equals(shipped)).toBe(true); // the graph inspected is the one shipped
    graph.output(TANH_PRE_ACTIVATION, DataType.FLOAT);
    const session = await ort.InferenceSession.create(graph.toModel());
    const latent = randn(4 * 16 * 16, 3).map((v) => v * 5); // x0 / 0.18215 is about this size
    const out = await session.run({ latent_sample: new ort.Tensor('float32', latent, [1, 4, 16, 16]) });
    const pre = Array.from(out[TANH_PRE_ACTIVATION]!.data as Float32Array, Math.abs).sort((a, b) => a - b);
    const sample = out.sample!.data as Float32Array;
    console.log(`tanh pre-activation |x|: median ${pre[pre.length >> 1]!.toFixed(0)}, max ${pre.at(-1)!.toFixed(0)}, ${((100 * pre.filter((v) => v > 45).length) / pre.length).toFixed(0)}% beyond 45`);
    expect(pre.at(-1)).toBeGreaterThan(200);
    expect(pre[pre.length >> 1]).toBeGreaterThan(45);
    expect(sample.every((v) => Math.abs(v) <= 1 + 1e-6)).toBe(true); // onnxruntime's Tanh may pass ±1 by an ulp
    await session.release();
  });

  it('lcm: timestep_cond changes the UNet output, and a batch takes one timestep', async () => {
    const { unet } = await openRepo(join(root, 'lcm'), tinyModelFiles('lcm'));
    const hidden = randn(2 * 77 * 96, 5);
    const sample = randn(2 * 4 * 16 * 16, 6);
    const run = async (items: number[], guidances: number[]) =>
      (
        await unet!.run({
          sample: new ort.Tensor('float32', Float32Array.from(items.flatMap((i) => Array.from(sample.subarray(i * 1024, (i + 1) * 1024)))), [items.length, 4, 16, 16]),
          timestep: new ort.Tensor('float32', [759], [1]),
          encoder_hidden_states: new ort.Tensor('float32', Float32Array.from(items.flatMap((i) => Array.from(hidden.subarray(i * 77 * 96, (i + 1) * 77 * 96)))), [items.length, 77, 96]),
          timestep_cond: new ort.Tensor('float32', Float32Array.from(guidances.flatMap((g) => Array.from(guidanceEmbedding(g)))), [guidances.length, 256]),
        })
      ).out_sample!.data as Float32Array;
    const [w8, w2] = [await run([0], [8]), await run([0], [2])];
    console.log(`lcm: mean |Δ out_sample| between guidance 8 and 2: ${meanAbsDiff(w8, w2).toFixed(4)}`);
    expect(meanAbsDiff(w8, w2)).toBeGreaterThan(0.01);
    const both = await run([0, 1], [8, 2]);
    expect(meanAbsDiff(both.subarray(0, 1024), w8)).toBeLessThan(1e-4);
    expect(meanAbsDiff(both.subarray(1024), await run([1], [2]))).toBeLessThan(1e-4);
    await unet!.release();
  });

  it('sd15: a batch of two with one float16 timestep gives each item what it gives alone', async () => {
    const { unet } = await openRepo(join(root, 'sd15'), tinyModelFiles('sd15'));
    const sample = randn(2 * 1024, 8);
    const hidden = randn(2 * 77 * 96, 9);
    const run = async (from: number, count: number) =>
      floatsOf(
        (
          await unet!.run({
            sample: tensorAs('float16', sample.subarray(from * 1024, (from + count) * 1024), [count, 4, 16, 16]),
            timestep: tensorAs('float16', [981], [1]),
            encoder_hidden_states: tensorAs('float16', hidden.subarray(from * 77 * 96, (from + count) * 77 * 96), [count, 77, 96]),
          })
        ).out_sample!,
      );
    const both = await run(0, 2);
    expect(meanAbsDiff(both.subarray(1024), await run(1, 1))).toBeLessThan(2e-3); // float16 rounding
    await unet!.release();
  });

  it('ensureTinyModel puts a family at its own repo id, stamps the family, and leaves nothing of another family', async () => {
    const hubRoot = join(root, 'hub-root');
    const dir = await ensureTinyModel(hubRoot, undefined, { family: 'lcm' });
    expect(dir).toBe(join(hubRoot, FAMILIES.lcm.repo));
    expect(await readFile(join(hubRoot, '.tiny--lcm-dreamshaper-onnx.stamp'), 'utf8')).toMatch(/^tiny-model v1 family lcm seed 0 sources [0-9a-f]{16}\n$/);
    const { mtimeMs } = await stat(join(dir, 'unet/model.onnx_data'));
    expect(await ensureTinyModel(hubRoot, undefined, { family: 'lcm' })).toBe(dir);
    expect((await stat(join(dir, 'unet/model.onnx_data'))).mtimeMs).toBe(mtimeMs);

    await ensureTinyModel(hubRoot, FAMILIES.lcm.repo, { family: 'sd15' });
    expect((await listFiles(dir)).sort()).toEqual([...tinyModelFiles('sd15')].sort());
    expect(await readdir(hubRoot)).toEqual(expect.arrayContaining(['.tiny--lcm-dreamshaper-onnx.stamp', 'tiny']));
  });
});
