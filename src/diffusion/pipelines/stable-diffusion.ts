import type { ClipTokenizer } from '../clip-tokenizer.ts';
import { imageToVaeInput, vaeOutputToImage, type RgbaImage } from '../image.ts';
import { SeededRandom } from '../rng.ts';
import type { Scheduler } from '../schedulers/scheduler.ts';
import { isGpuResident, type Feed, type ModelRunner, type Tensor } from '../tensor.ts';

/** What kind of Stable Diffusion a repo holds; it decides the defaults and small hooks of the one pipeline. */
export type Family = 'sd-turbo' | 'stable-diffusion' | 'lcm';

/** A loaded model: tokenizer, the ONNX components, the scheduler the repo ships, and what was read from its configs. */
export interface StableDiffusionModel {
  family: Family;
  tokenizer: ClipTokenizer;
  textEncoder: ModelRunner;
  unet: ModelRunner;
  vaeDecoder: ModelRunner;
  /** Present when the repo has `vae_encoder/`: img2img is possible. */
  vaeEncoder?: ModelRunner;
  /** Builds a scheduler: the repo's own config, or a sampler's overrides applied to it. */
  scheduler: (samplerId?: string) => Scheduler;
  /** Latent channels (4) and the VAE's scale factor (8), read from the repo's configs. */
  latentChannels: number;
  vaeScaleFactor: number;
  /** VAE `scaling_factor` (0.18215 for SD). */
  vaeScalingFactor: number;
}

/** One request: a prompt and the settings people know from diffusers and A1111. */
export interface GenerateRequest {
  prompt: string;
  /** What to steer away from; used when classifier-free guidance is on. */
  negativePrompt?: string;
  /** Seed of the first image; image k of a batch uses `seed + k`. */
  seed: number;
  steps: number;
  /** Classifier-free guidance scale; ≤ 1 turns guidance off (SD-Turbo). For LCM it is embedded instead. */
  guidanceScale: number;
  /** In pixels; rounded down to a multiple of the VAE scale factor (8). */
  width: number;
  height: number;
  /** How many images (default 1). */
  batch?: number;
  /** A sampler id from `SAMPLERS`; the repo's own scheduler when left out. */
  sampler?: string;
  /** img2img: the starting picture (resized to width × height) and how much to change it (0–1). */
  initImage?: RgbaImage;
  strength?: number;
}

/** The pipeline's stages, in order, as named in progress events and timings. */
export type Stage = 'text_encoder' | 'vae_encoder' | 'unet' | 'vae_decoder';

/** Progress: which stage is starting, for which image of the batch, and at which step. */
export interface StageEvent {
  stage: Stage;
  image: number;
  images: number;
  step?: number;
  steps?: number;
  /** After a UNet step: the current latents `[1, C, h, w]`, for a live preview. */
  latents?: Tensor;
}

/** The images with their seeds, and how long each stage took. */
export interface GenerateResult {
  images: { image: RgbaImage; seed: number }[];
  /** Milliseconds per stage, summed over steps and images. */
  timings: Record<Stage, number>;
  /** The steps actually run per image (fewer than asked for img2img at strength < 1). */
  steps: number;
  /** UNet inputs that came from GPU memory instead of the CPU (`encoder_hidden_states` on WebGPU). */
  gpuResidentInputs: string[];
}

/**
 * One Stable Diffusion pipeline, like diffusers': encode the prompt (and the negative prompt
 * for guidance), start from seeded noise (or a noised input image), denoise with the
 * scheduler, decode. SD-Turbo is this with guidance off and one step; LCM adds the
 * guidance-scale embedding. An aborted `signal` stops it before the next model call.
 */
export async function generate(
  m: StableDiffusionModel,
  req: GenerateRequest,
  onStage: (e: StageEvent) => void = () => {},
  signal?: AbortSignal,
): Promise<GenerateResult> {
  const timings: Record<Stage, number> = { text_encoder: 0, vae_encoder: 0, unet: 0, vae_decoder: 0 };
  const timed = async <T>(stage: Stage, fn: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    const t0 = performance.now();
    const out = await fn();
    timings[stage] += performance.now() - t0;
    return out;
  };
  const images = Math.max(1, Math.floor(req.batch ?? 1));
  const lcm = 'timestep_cond' in m.unet.inputs;
  const guided = !lcm && req.guidanceScale > 1;

  // 1. Prompt (and, for guidance, the negative prompt) → embeddings (in GPU memory where the runtime can).
  onStage({ stage: 'text_encoder', image: 0, images });
  const context = await timed('text_encoder', () => encodePrompts(m, guided ? [req.negativePrompt ?? '', req.prompt] : [req.prompt]));
  try {
    const timestepCond = lcm ? guidanceEmbedding(req.guidanceScale, embeddingWidth(m.unet)) : undefined;

    const h = Math.floor(req.height / m.vaeScaleFactor);
    const w = Math.floor(req.width / m.vaeScaleFactor);
    const dims = [1, m.latentChannels, h, w];
    const size = dims.reduce((a, b) => a * b);
    const scheduler = m.scheduler(req.sampler);
    scheduler.setTimesteps(Math.max(1, Math.round(req.steps)));

    // img2img starts part-way, from the input image's latents noised to that step (diffusers' get_timesteps).
    let init: Float32Array | undefined;
    let start = 0;
    if (req.initImage) {
      if (!m.vaeEncoder) throw new Error('This model has no VAE encoder (vae_encoder/), so it cannot start from an image.');
      const encoder = m.vaeEncoder;
      const strength = Math.min(1, Math.max(0, req.strength ?? 0.6));
      const steps = Math.max(1, Math.round(req.steps));
      start = Math.max(steps - Math.min(Math.floor(steps * strength), steps), 0);
      if (start >= scheduler.timesteps.length) {
        throw new Error(`Strength ${strength} with ${steps} steps leaves no step to run: raise the strength or the number of steps.`);
      }
      onStage({ stage: 'vae_encoder', image: 0, images });
      const pixels = imageToVaeInput(req.initImage, w * m.vaeScaleFactor, h * m.vaeScaleFactor);
      const out = await timed('vae_encoder', () => encoder.run({ sample: pixels }));
      init = (out.latent_sample ?? Object.values(out)[0]).data.slice(0, size) as Float32Array;
      init = init.map((v) => v * m.vaeScalingFactor);
    }

    const results: GenerateResult['images'] = [];
    for (let k = 0; k < images; k++) {
      const seed = req.seed + k;
      if (k > 0) scheduler.setTimesteps(Math.max(1, Math.round(req.steps))); // fresh multistep state per image
      const rng = new SeededRandom(seed);
      const noise = rng.normals(size);
      let latents = init ? scheduler.addNoise(init, noise, start) : noise.map((v) => v * scheduler.initNoiseSigma);

      // 2. Denoise: one UNet call per step (a batch of two, unconditional and conditional, with guidance).
      const steps = scheduler.timesteps.length;
      for (let i = start; i < steps; i++) {
        onStage({ stage: 'unet', image: k, images, step: i - start, steps: steps - start });
        const input = scheduler.scaleModelInput(latents, i);
        const feeds: Record<string, Feed> = {
          sample: guided ? { data: repeat(input, 2), dims: [2, ...dims.slice(1)] } : { data: input, dims },
          timestep: { data: Float32Array.of(scheduler.timesteps[i]), dims: [1] },
          encoder_hidden_states: context,
        };
        if (timestepCond) feeds.timestep_cond = timestepCond;
        const out = await timed('unet', () => m.unet.run(feeds));
        const pred = (out.out_sample ?? Object.values(out)[0]).data as Float32Array;
        const eps = guided ? applyGuidance(pred, size, req.guidanceScale) : pred;
        latents = scheduler.step(eps, i, latents, scheduler.stochastic ? rng.normals(size) : undefined);
        onStage({ stage: 'unet', image: k, images, step: i - start + 1, steps: steps - start, latents: { data: latents, dims } });
      }

      // 3. Latents → pixels.
      onStage({ stage: 'vae_decoder', image: k, images });
      const scaled = latents.map((v) => v / m.vaeScalingFactor);
      const decoded = await timed('vae_decoder', () => m.vaeDecoder.run({ latent_sample: { data: scaled, dims } }));
      results.push({ image: vaeOutputToImage(decoded.sample ?? Object.values(decoded)[0]), seed });
    }
    // The steps asked for, less those img2img skips (PNDM makes one UNet call more than its steps).
    return { images: results, timings, steps: Math.max(1, Math.round(req.steps)) - start, gpuResidentInputs: isGpuResident(context) ? ['encoder_hidden_states'] : [] };
  } finally {
    if (isGpuResident(context)) context.dispose();
  }
}

/**
 * The text encoder's hidden states for one prompt, or for [negative, prompt] as a batch of two.
 * On the GPU they stay in GPU memory, and every UNet call takes them from there (the batch of
 * two is encoded in one call then, when the text encoder takes any batch size).
 */
async function encodePrompts(m: StableDiffusionModel, prompts: string[]): Promise<Feed> {
  const ids = prompts.map((p) => m.tokenizer.encode(p));
  const output = 'last_hidden_state' in m.textEncoder.outputs ? 'last_hidden_state' : Object.keys(m.textEncoder.outputs)[0];
  const batchDim = m.textEncoder.inputs.input_ids?.dims[0];
  if (m.textEncoder.runGpuResident && (ids.length === 1 || typeof batchDim !== 'number')) {
    const data = new Int32Array(ids.length * ids[0].length);
    ids.forEach((one, i) => data.set(one, i * one.length));
    return m.textEncoder.runGpuResident({ input_ids: { data, dims: [ids.length, ids[0].length] } }, output);
  }
  const encoded: Tensor[] = [];
  for (const one of ids) encoded.push((await m.textEncoder.run({ input_ids: { data: one, dims: [1, one.length] } }))[output]);
  return encoded.length === 1 ? encoded[0] : concat(encoded);
}

/** ε = ε_uncond + g·(ε_text − ε_uncond), from a batch of two predictions. */
export function applyGuidance(pred: Float32Array, size: number, scale: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = pred[i] + scale * (pred[size + i] - pred[i]);
  return out;
}

/**
 * LCM's guidance-scale embedding (diffusers' `get_guidance_scale_embedding` of w = g − 1):
 * sinusoids of 1000·w at `dim / 2` frequencies, sines first.
 */
export function guidanceEmbedding(guidanceScale: number, dim: number): Tensor {
  const w = (guidanceScale - 1) * 1000;
  const half = dim / 2;
  const data = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const arg = w * Math.exp((-Math.log(10000) / (half - 1)) * i);
    data[i] = Math.sin(arg);
    data[half + i] = Math.cos(arg);
  }
  return { data, dims: [1, dim] };
}

function embeddingWidth(unet: ModelRunner): number {
  const d = unet.inputs.timestep_cond?.dims[1];
  return typeof d === 'number' && d > 0 ? d : 256;
}

function repeat(data: Float32Array, n: number): Float32Array {
  const out = new Float32Array(data.length * n);
  for (let i = 0; i < n; i++) out.set(data, i * data.length);
  return out;
}

/** Stacks `[1, …]` tensors along the batch axis. */
function concat(ts: Tensor[]): Tensor {
  const data = new Float32Array(ts.reduce((s, t) => s + t.data.length, 0));
  let at = 0;
  for (const t of ts) data.set(t.data as Float32Array, at), (at += t.data.length);
  return { data, dims: [ts.length, ...ts[0].dims.slice(1)] };
}
