import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIP_MERGES, clipVocab, readClipBpe } from './clip-vocab.ts';
import { DataType, float, GraphBuilder, tensor } from './onnx-writer.ts';
import { ensureTinyModel, TINY, TINY_MODEL_FILES, writeTinyModel } from './tiny-model.ts';

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

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).replaceAll('\\', '/'));
}

/** Deterministic N(0,1) noise (mulberry32 + Box-Muller), so the test sees the same latents every run. */
function randn(count: number, seed: number): Float32Array {
  let a = seed;
  const uniform = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

function stats(values: Float32Array) {
  let sum = 0;
  let sq = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  for (const v of values) sq += (v - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length), finite: values.every(Number.isFinite) };
}

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

  it('writes byte-identical files for the same seed', async () => {
    const again = join(root, 'b/sd-turbo-tiny');
    await writeTinyModel(again);
    for (const file of TINY_MODEL_FILES) expect(await sha256(join(again, file)), file).toBe(await sha256(join(repo, file)));
  });

  it('declares the real input/output names, dtypes and symbolic dimensions', () => {
    const shapes = (metadata: readonly ort.InferenceSession.ValueMetadata[]) =>
      Object.fromEntries(metadata.map((m) => [m.name, m.isTensor ? [m.type, ...m.shape] : []]));
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

  // Enough of CLIP's tokenizer for prompts whose words are whole tokens.
  async function tokenize(prompt: string): Promise<Int32Array> {
    const vocab: Record<string, number> = JSON.parse(await readFile(join(repo, 'tokenizer/vocab.json'), 'utf8'));
    const words = prompt.split(' ').map((w) => vocab[`${w}</w>`] ?? Number.NaN);
    expect(words.every(Number.isInteger), `every word of "${prompt}" is one token`).toBe(true);
    const ids = new Int32Array(77); // padded with '!' = 0, as SD-2's tokenizer does
    ids.set([vocab['<|startoftext|>']!, ...words, vocab['<|endoftext|>']!]);
    return ids;
  }

  // The SD-Turbo one-step math of DESIGN.md, on 16x16 latents (a 128x128 picture).
  async function generate(prompt: string) {
    const ids = await tokenize(prompt);
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
    const meanAbsDiff = cat.image.reduce((sum, v, i) => sum + Math.abs(v - dog.image[i]!), 0) / cat.image.length;
    console.log(`mean |cat − dog| per pixel: ${meanAbsDiff.toFixed(3)}`);
    expect(meanAbsDiff).toBeGreaterThan(0.05);
  });

  it('gives each item of a batch what it gives alone', async () => {
    const ids = new Int32Array([...(await tokenize('a photo of a cat')), ...(await tokenize('a red dog'))]);
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
