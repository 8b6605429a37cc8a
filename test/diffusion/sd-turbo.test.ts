import { describe, expect, it } from 'vitest';
import { ClipTokenizer, EulerDiscreteScheduler, generateSdTurbo, loadSdTurbo, REQUIRED_FILES, SeededRandom, type ModelRunner, type Tensor } from '../../src/diffusion/index.ts';
import { mergesTxt } from '../support/clip-vocab.ts';
import { clipVocab, readClipBpe } from '../support/clip-vocab.ts';

/** A runner that records what it was fed and answers with a function of it. */
function recording(inputNames: string[], outputName: string, fn: (feeds: Record<string, Tensor>) => Tensor) {
  const calls: Record<string, Tensor>[] = [];
  const runner: ModelRunner = {
    inputNames,
    outputNames: [outputName],
    run: async (feeds) => {
      calls.push(feeds);
      return { [outputName]: fn(feeds) };
    },
  };
  return { runner, calls };
}

describe('SD-Turbo pipeline math', () => {
  const { vocab, merges } = clipVocab(readClipBpe(), 500);
  const tokenizer = new ClipTokenizer(vocab, merges);
  const eps = 0.25;
  const text = recording(['input_ids'], 'last_hidden_state', (f) => ({ data: new Float32Array(77 * 8).fill(1), dims: [1, 77, 8] }));
  const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length).fill(eps), dims: f.sample.dims }));
  // A VAE that "decodes" by repeating latent channel 0 into RGB at 8× size.
  const vae = recording(['latent_sample'], 'sample', (f) => {
    const [, , h, w] = f.latent_sample.dims;
    const out = new Float32Array(3 * 64 * h * w);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 8 * h; y++) for (let x = 0; x < 8 * w; x++) {
      out[c * 64 * h * w + y * 8 * w + x] = (f.latent_sample.data as Float32Array)[Math.floor(y / 8) * w + Math.floor(x / 8)] / 100;
    }
    return { data: out, dims: [1, 3, 8 * h, 8 * w] };
  });
  const models = {
    tokenizer,
    textEncoder: text.runner,
    unet: unet.runner,
    vaeDecoder: vae.runner,
    scheduler: new EulerDiscreteScheduler({ timestep_spacing: 'trailing' }),
    latentChannels: 4,
    vaeScaleFactor: 8,
    vaeScalingFactor: 0.18215,
  };

  it('follows the one-step math: noise·σ, scaled UNet input at t=999, x0 = x − σ·ε, VAE input x0/0.18215', async () => {
    const result = await generateSdTurbo(models, { prompt: 'a cat', seed: 5, steps: 1, width: 32, height: 16 });
    const sigma = 14.6146;
    const noise = new SeededRandom(5).normals(4 * 2 * 4);
    expect([...(text.calls[0].input_ids.data as Int32Array).slice(0, 4)]).toEqual([...tokenizer.encode('a cat').slice(0, 4)]);
    const call = unet.calls[0];
    expect(call.sample.dims).toEqual([1, 4, 2, 4]);
    expect(call.timestep.data).toEqual(BigInt64Array.of(999n));
    expect(call.encoder_hidden_states.dims).toEqual([1, 77, 8]);
    noise.forEach((n, i) => expect((call.sample.data as Float32Array)[i]).toBeCloseTo((n * sigma) / Math.sqrt(sigma * sigma + 1), 3));
    const vaeIn = vae.calls[0].latent_sample.data as Float32Array;
    noise.forEach((n, i) => expect(vaeIn[i]).toBeCloseTo((n * sigma - sigma * eps) / 0.18215, 1));
    expect(result.image.width).toBe(32);
    expect(result.image.height).toBe(16);
    expect(result.image.data.length).toBe(32 * 16 * 4);
    // First pixel: clamp(v/2 + 0.5)·255 of the latent the fake VAE copied.
    const v = Math.min(1, Math.max(0, vaeIn[0] / 100 / 2 + 0.5));
    expect(result.image.data[0]).toBe(Math.round(v * 255));
    expect(result.image.data[3]).toBe(255);
  });

  it('runs the UNet once per step and stops when cancelled', async () => {
    unet.calls.length = 0;
    await generateSdTurbo(models, { prompt: 'x', seed: 1, steps: 3, width: 16, height: 16 });
    expect(unet.calls.map((c) => Number(c.timestep.data[0]))).toEqual([999, 666, 332]);
    const controller = new AbortController();
    controller.abort();
    await expect(generateSdTurbo(models, { prompt: 'x', seed: 1, steps: 1, width: 16, height: 16 }, undefined, controller.signal)).rejects.toThrow();
  });
});

describe('loading a repo', () => {
  it('refuses a v-prediction model with a clear message instead of making garbage', async () => {
    const { vocab, merges } = clipVocab(readClipBpe(), 10);
    const texts: Record<string, string> = {
      'tokenizer/vocab.json': JSON.stringify(vocab),
      'tokenizer/merges.txt': mergesTxt(merges),
      'scheduler/scheduler_config.json': JSON.stringify({ prediction_type: 'v_prediction' }),
    };
    const repo = {
      files: [...REQUIRED_FILES, 'scheduler/scheduler_config.json'],
      readText: async (p: string) => texts[p],
      readBytes: async () => new Uint8Array(),
    };
    let sessions = 0;
    await expect(loadSdTurbo(repo, async () => (sessions++, {} as ModelRunner))).rejects.toThrow(/predicts "v_prediction"; only noise-predicting/);
    expect(sessions).toBe(0);
  });
});
