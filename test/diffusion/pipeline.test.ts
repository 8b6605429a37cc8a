import { describe, expect, it } from 'vitest';
import {
  ClipTokenizer, createScheduler, generate, guidanceEmbedding, createNoise,
  isGpuResident, type GpuResidentTensor, type Feed, type ModelRunner, type SchedulerConfig, type StableDiffusionModel, type Tensor, type ValueInfo,
} from '../../src/diffusion/index.ts';
import { clipVocab, readClipBpe } from '../../tools/tiny-model/clip-vocab.ts';

/** A runner that records what it was fed and answers with a function of it. */
function recording(inputs: string[], output: string, fn: (feeds: Record<string, Tensor>) => Tensor, dims: Record<string, ValueInfo['dims']> = {}) {
  const calls: Record<string, Tensor>[] = [];
  const runner: ModelRunner = {
    inputs: Object.fromEntries(inputs.map((n) => [n, { type: 'float32', dims: dims[n] ?? [] }])),
    outputs: { [output]: { type: 'float32', dims: [] } },
    run: async (feeds) => {
      calls.push(feeds as Record<string, Tensor>); // these fakes never make GPU tensors
      return { [output]: fn(feeds as Record<string, Tensor>) };
    },
    release: async () => {},
  };
  return { runner, calls };
}

const { vocab, merges } = clipVocab(readClipBpe(), 500);
const tokenizer = new ClipTokenizer(vocab, merges);
const f32 = (t: Tensor) => t.data as Float32Array;

/** Text encoder: hidden state = the token ids, so prompts are told apart in the UNet's input. */
const textEncoder = () => recording(['input_ids'], 'last_hidden_state', (f) => ({ data: Float32Array.from(f.input_ids.data as Int32Array), dims: [1, 77, 1] }));
/** VAE: repeats latent channel 0 into RGB at 8× size, scaled down. */
const vae = () =>
  recording(['latent_sample'], 'sample', (f) => {
    const [, , h, w] = f.latent_sample.dims;
    const out = new Float32Array(3 * 64 * h * w);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 8 * h; y++) for (let x = 0; x < 8 * w; x++) {
      out[c * 64 * h * w + y * 8 * w + x] = f32(f.latent_sample)[Math.floor(y / 8) * w + Math.floor(x / 8)] / 100;
    }
    return { data: out, dims: [1, 3, 8 * h, 8 * w] };
  });

function model(unet: ModelRunner, scheduler: SchedulerConfig, extra: Partial<StableDiffusionModel> = {}) {
  const text = textEncoder();
  const decoder = vae();
  const m: StableDiffusionModel = {
    family: 'stable-diffusion',
    tokenizer,
    textEncoder: text.runner,
    unet,
    vaeDecoder: decoder.runner,
    scheduler: () => createScheduler(scheduler),
    latentChannels: 4,
    vaeScaleFactor: 8,
    vaeScalingFactor: 0.18215,
    ...extra,
  };
  return { m, text, decoder };
}

const BETAS = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' };
const TURBO = { _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'trailing', ...BETAS };
const SD = { _class_name: 'PNDMScheduler', skip_prk_steps: true, steps_offset: 1, set_alpha_to_one: false, ...BETAS };

describe('one Stable Diffusion pipeline', () => {
  it('SD-Turbo: noise·σ, scaled UNet input at t=999, x0 = x − σ·ε, VAE input x0/0.18215', async () => {
    const eps = 0.25;
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length).fill(eps), dims: f.sample.dims }));
    const { m, text, decoder } = model(unet.runner, TURBO);
    const result = await generate(m, { prompt: 'a cat', seed: 5, steps: 1, guidanceScale: 0, width: 32, height: 16 });
    const sigma = 14.6146;
    const noise = createNoise('cpu', 5).randn(4 * 2 * 4); // torch.randn((1, 4, 2, 4), generator=manual_seed(5))
    expect(text.calls).toHaveLength(1); // no guidance: no negative prompt encoded
    const call = unet.calls[0];
    expect(call.sample.dims).toEqual([1, 4, 2, 4]);
    expect(Array.from(call.timestep.data as Float32Array)).toEqual([999]);
    noise.forEach((n, i) => expect(f32(call.sample)[i]).toBeCloseTo((n * sigma) / Math.sqrt(sigma * sigma + 1), 3));
    const vaeIn = f32(decoder.calls[0].latent_sample);
    noise.forEach((n, i) => expect(vaeIn[i]).toBeCloseTo((n * sigma - sigma * eps) / 0.18215, 1));
    const img = result.images[0].image;
    expect([img.width, img.height, img.data.length]).toEqual([32, 16, 32 * 16 * 4]);
    expect(img.data[0]).toBe(Math.round(Math.min(1, Math.max(0, vaeIn[0] / 100 / 2 + 0.5)) * 255));
  });

  it('guidance: a batch of two (negative prompt first), ε = ε_u + g·(ε_t − ε_u)', async () => {
    // ε depends on the text: the mean of the hidden states of each batch item.
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => {
      const [b] = f.sample.dims;
      const per = f.sample.data.length / b;
      const out = new Float32Array(f.sample.data.length);
      for (let k = 0; k < b; k++) {
        const ctx = f32(f.encoder_hidden_states).slice(k * 77, (k + 1) * 77);
        out.fill(ctx.reduce((a, v) => a + v, 0) / 77 / 1e5, k * per, (k + 1) * per);
      }
      return { data: out, dims: f.sample.dims };
    });
    const { m, text } = model(unet.runner, SD);
    await generate(m, { prompt: 'a cat', negativePrompt: 'blurry', seed: 1, steps: 2, guidanceScale: 7.5, width: 16, height: 16 });
    expect(text.calls.map((c) => Array.from(c.input_ids.data as Int32Array).slice(0, 3))).toEqual([
      Array.from(tokenizer.encode('blurry').slice(0, 3)),
      Array.from(tokenizer.encode('a cat').slice(0, 3)),
    ]);
    expect(unet.calls[0].sample.dims).toEqual([2, 4, 2, 2]);
    expect(unet.calls[0].encoder_hidden_states.dims).toEqual([2, 77, 1]);
    const ctx = f32(unet.calls[0].encoder_hidden_states);
    expect(ctx[1]).toBe(tokenizer.encode('blurry')[1]); // unconditional (negative) first
    expect(ctx[77 + 1]).toBe(tokenizer.encode('a cat')[1]);
    // PNDM with skip_prk runs 3 UNet calls for 2 steps (the repeated timestep).
    const pndm = createScheduler(SD);
    pndm.setTimesteps(2);
    expect(pndm.timesteps).toHaveLength(3);
    expect(unet.calls.map((c) => (c.timestep.data as Float32Array)[0])).toEqual(pndm.timesteps);
  });

  it('guidance ≤ 1 runs a batch of one and ignores the negative prompt', async () => {
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length), dims: f.sample.dims }));
    const { m, text } = model(unet.runner, SD);
    await generate(m, { prompt: 'a', negativePrompt: 'b', seed: 1, steps: 1, guidanceScale: 1, width: 16, height: 16 });
    expect(text.calls).toHaveLength(1);
    expect(unet.calls[0].sample.dims[0]).toBe(1);
  });

  it('LCM: no negative batch; timestep_cond is the guidance-scale embedding of g − 1', async () => {
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states', 'timestep_cond'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length), dims: f.sample.dims }), { timestep_cond: ['batch', 256] });
    const { m, text } = model(unet.runner, { _class_name: 'LCMScheduler', original_inference_steps: 50, steps_offset: 1, set_alpha_to_one: true, ...BETAS });
    await generate(m, { prompt: 'a', seed: 1, steps: 4, guidanceScale: 8, width: 16, height: 16 });
    expect(text.calls).toHaveLength(1);
    expect(unet.calls).toHaveLength(4);
    const cond = unet.calls[0].timestep_cond;
    expect(cond.dims).toEqual([1, 256]);
    // diffusers: w·1000 times exp(−ln(10000)/(half−1)·i), sin then cos.
    expect(f32(cond)[0]).toBeCloseTo(Math.sin(7000), 5);
    expect(f32(cond)[128]).toBeCloseTo(Math.cos(7000), 5);
    expect(f32(cond)[127]).toBeCloseTo(Math.sin(7000 * 1e-4), 5);
    expect(guidanceEmbedding(8, 256).data).toEqual(cond.data);
  });

  it('a batch of N uses seeds seed…seed+N−1 and gives different images', async () => {
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length), dims: f.sample.dims }));
    const { m } = model(unet.runner, TURBO);
    const out = await generate(m, { prompt: 'a', seed: 7, steps: 1, guidanceScale: 0, width: 16, height: 16, batch: 3 });
    expect(out.images.map((i) => i.seed)).toEqual([7, 8, 9]);
    const single = await generate(m, { prompt: 'a', seed: 8, steps: 1, guidanceScale: 0, width: 16, height: 16 });
    expect(out.images[1].image.data).toEqual(single.images[0].image.data);
    expect(out.images[0].image.data).not.toEqual(out.images[1].image.data);
  });

  it('img2img: encodes the image, scales by the VAE factor, starts at step ⌊steps·(1−strength)⌋ from noised latents', async () => {
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length), dims: f.sample.dims }));
    const encoder = recording(['sample'], 'latent_sample', (f) => ({ data: new Float32Array(4 * 4).fill(f32(f.sample)[0]), dims: [1, 4, 2, 2] }));
    const { m } = model(unet.runner, { _class_name: 'DDIMScheduler', steps_offset: 1, set_alpha_to_one: false, ...BETAS }, { vaeEncoder: encoder.runner });
    const white = { width: 16, height: 16, data: new Uint8ClampedArray(16 * 16 * 4).fill(255) };
    const out = await generate(m, { prompt: 'a', seed: 3, steps: 10, guidanceScale: 0, width: 16, height: 16, initImage: white, strength: 0.5 });
    expect(f32(encoder.calls[0].sample)[0]).toBe(1); // white → +1
    expect(out.steps).toBe(5);
    expect(unet.calls).toHaveLength(5);
    const s = createScheduler({ _class_name: 'DDIMScheduler', steps_offset: 1, set_alpha_to_one: false, ...BETAS });
    s.setTimesteps(10);
    expect((unet.calls[0].timestep.data as Float32Array)[0]).toBe(s.timesteps[5]);
    const rng = createNoise('cpu', 3);
    rng.randn(16); // diffusers' first draw is the VAE posterior sample, its second the noise
    const expected = s.addNoise(new Float32Array(16).fill(0.18215), rng.randn(16), 5);
    f32(unet.calls[0].sample).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  it('Heun: 2·steps − 1 UNet calls at the scheduler\'s timesteps; img2img skips whole steps (two calls each)', async () => {
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length).fill(0.1), dims: f.sample.dims }));
    const encoder = recording(['sample'], 'latent_sample', () => ({ data: new Float32Array(4 * 4), dims: [1, 4, 2, 2] }));
    const heun = { _class_name: 'HeunDiscreteScheduler', ...BETAS };
    const { m } = model(unet.runner, heun, { vaeEncoder: encoder.runner });
    const s = createScheduler(heun);
    s.setTimesteps(4);
    const txt2img = await generate(m, { prompt: 'a', seed: 1, steps: 4, guidanceScale: 0, width: 16, height: 16 });
    expect(txt2img.steps).toBe(4);
    expect(unet.calls.map((c) => (c.timestep.data as Float32Array)[0])).toEqual(s.timesteps.map(Math.fround));
    expect(unet.calls).toHaveLength(7);

    unet.calls.length = 0;
    const white = { width: 16, height: 16, data: new Uint8ClampedArray(16 * 16 * 4).fill(255) };
    const img2img = await generate(m, { prompt: 'a', seed: 1, steps: 4, guidanceScale: 0, width: 16, height: 16, initImage: white, strength: 0.5 });
    expect(img2img.steps).toBe(2);
    // Steps 2 and 3 of 4: a whole Heun step (two calls) and the last lone Euler call.
    expect(unet.calls.map((c) => (c.timestep.data as Float32Array)[0])).toEqual(s.timesteps.slice(4).map(Math.fround));
  });

  it('stops before the next model call when cancelled', async () => {
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length), dims: f.sample.dims }));
    const { m } = model(unet.runner, TURBO);
    const controller = new AbortController();
    controller.abort();
    await expect(generate(m, { prompt: 'x', seed: 1, steps: 1, guidanceScale: 0, width: 16, height: 16 }, undefined, controller.signal)).rejects.toThrow();
    expect(unet.calls).toHaveLength(0);
  });
});

describe('noise: one torch generator per image, drawn in diffusers\' order', () => {
  const zeros = () => recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => ({ data: new Float32Array(f.sample.data.length), dims: f.sample.dims }));
  const EULER_A = { _class_name: 'EulerAncestralDiscreteScheduler', ...BETAS };

  for (const source of ['cpu', 'gpu'] as const) {
    it(`${source}: the initial latents are the first draw of seed+k's generator, every Euler a step takes the next`, async () => {
      const unet = zeros();
      const { m } = model(unet.runner, EULER_A);
      await generate(m, { prompt: 'a', seed: 11, steps: 3, guidanceScale: 0, width: 16, height: 16, batch: 2, noise: source });
      expect(unet.calls).toHaveLength(6);
      for (let k = 0; k < 2; k++) {
        const rng = createNoise(source, 11 + k);
        const s = createScheduler(EULER_A);
        s.setTimesteps(3);
        let latents: Float32Array = rng.randn(16).map((v) => v * s.initNoiseSigma);
        for (let i = 0; i < 3; i++) {
          const expected = s.scaleModelInput(latents, i);
          f32(unet.calls[3 * k + i].sample).forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
          latents = s.step(new Float32Array(16), i, latents, rng.randn(16));
        }
      }
    });
  }

  it("gpu img2img: the noise is the generator's first draw (A1111 samples the VAE elsewhere)", async () => {
    const unet = zeros();
    const encoder = recording(['sample'], 'latent_sample', () => ({ data: new Float32Array(4 * 4).fill(1), dims: [1, 4, 2, 2] }));
    const ddim = { _class_name: 'DDIMScheduler', steps_offset: 1, set_alpha_to_one: false, ...BETAS };
    const { m } = model(unet.runner, ddim, { vaeEncoder: encoder.runner });
    const white = { width: 16, height: 16, data: new Uint8ClampedArray(16 * 16 * 4).fill(255) };
    await generate(m, { prompt: 'a', seed: 3, steps: 10, guidanceScale: 0, width: 16, height: 16, initImage: white, strength: 0.5, noise: 'gpu' });
    const s = createScheduler(ddim);
    s.setTimesteps(10);
    const expected = s.addNoise(new Float32Array(16).fill(0.18215), createNoise('gpu', 3).randn(16), 5);
    f32(unet.calls[0].sample).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });
});

describe('prompt embeddings kept in GPU memory', () => {
  /** A text encoder whose runGpuResident gives a stand-in GPU tensor (its handle holds the values). */
  function deviceTextEncoder(batchDim: number | string) {
    const plain = textEncoder();
    const made: { t: GpuResidentTensor; disposed: number }[] = [];
    const text = { calls: plain.calls, runner: { ...plain.runner, inputs: { input_ids: { type: 'int32', dims: [batchDim, 77] } } } as ModelRunner };
    text.runner.runGpuResident = async (feeds, output) => {
      const [b, n] = feeds.input_ids.dims;
      const cpu: Tensor = { data: Float32Array.from((feeds.input_ids as Tensor).data as Int32Array), dims: [b, n, 1] };
      text.calls.push(feeds as Record<string, Tensor>);
      const entry = { t: undefined as unknown as GpuResidentTensor, disposed: 0 };
      entry.t = { dims: cpu.dims, handle: cpu, read: async () => cpu, dispose: () => void entry.disposed++ };
      made.push(entry);
      expect(output).toBe('last_hidden_state');
      return entry.t;
    };
    return { text, made };
  }
  /** A UNet that takes the embeddings from a GPU tensor's handle, as a runtime would, and records what it got. */
  const unetTakingDevice = () => {
    const got: Feed[] = [];
    const unet = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', (f) => {
      const ctx = (isGpuResident(f.encoder_hidden_states as Feed) ? (f.encoder_hidden_states as unknown as GpuResidentTensor).handle : f.encoder_hidden_states) as Tensor;
      got.push(f.encoder_hidden_states);
      const [b] = f.sample.dims;
      const per = f.sample.data.length / b;
      const out = new Float32Array(f.sample.data.length);
      for (let k = 0; k < b; k++) out.fill(f32(ctx).slice(k * 77, (k + 1) * 77).reduce((a, v) => a + v, 0) / 77 / 1e5, k * per, (k + 1) * per);
      return { data: out, dims: f.sample.dims };
    });
    return { unet, got };
  };
  const request = { prompt: 'a cat', negativePrompt: 'blurry', seed: 3, steps: 3, guidanceScale: 7.5, width: 16, height: 16, batch: 2 };

  it('encodes [negative, prompt] in one call, feeds that one GPU tensor to every UNet call, disposes it once, and gives the same images', async () => {
    const onGpu = unetTakingDevice();
    const { m } = model(onGpu.unet.runner, SD);
    const { text, made } = deviceTextEncoder('batch');
    const result = await generate({ ...m, textEncoder: text.runner }, request);
    expect(text.calls).toHaveLength(1);
    expect(text.calls[0].input_ids.dims).toEqual([2, 77]);
    expect(made).toHaveLength(1);
    expect(onGpu.got).toHaveLength(2 * 4); // 2 images × PNDM's 4 UNet calls for 3 steps
    for (const g of onGpu.got) expect(g).toBe(made[0].t);
    expect(made[0].disposed).toBe(1);

    const onCpu = unetTakingDevice();
    const plain = await generate(model(onCpu.unet.runner, SD).m, request);
    expect(onCpu.got.every((g) => !isGpuResident(g))).toBe(true);
    expect(result.images.map((i) => Array.from(i.image.data))).toEqual(plain.images.map((i) => Array.from(i.image.data)));
  });

  it('frees the GPU tensor when generation fails part-way', async () => {
    const failing = recording(['sample', 'timestep', 'encoder_hidden_states'], 'out_sample', () => {
      throw new Error('device lost');
    });
    const { m } = model(failing.runner, TURBO);
    const { text, made } = deviceTextEncoder('batch');
    await expect(generate({ ...m, textEncoder: text.runner }, { ...request, guidanceScale: 0 })).rejects.toThrow('device lost');
    expect(made.map((e) => e.disposed)).toEqual([1]);
  });

  it('a text encoder fixed at batch 1 encodes the two prompts separately, through the CPU', async () => {
    const onGpu = unetTakingDevice();
    const { m } = model(onGpu.unet.runner, SD);
    const { text, made } = deviceTextEncoder(1);
    await generate({ ...m, textEncoder: text.runner }, request);
    expect(made).toHaveLength(0);
    expect(text.calls.map((c) => c.input_ids.dims)).toEqual([[1, 77], [1, 77]]);
    expect(onGpu.got[0].dims).toEqual([2, 77, 1]);
  });
});
