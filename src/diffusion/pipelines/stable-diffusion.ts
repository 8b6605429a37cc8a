import type { ClipTokenizer } from '../clip-tokenizer.ts';
import { imageToVaeInput, vaeOutputToImage, type RgbaImage } from '../image.ts';
import { createNoise, type NoiseSource } from '../noise/index.ts';
import type { Family } from '../reference-configs.ts';
import type { Scheduler } from '../schedulers/scheduler.ts';
import { isGpuResident, type Feed, type ModelRunner, type Tensor } from '../tensor.ts';
import { encodeText, releaseConditioning, type TextConditioning } from '../text-encoding.ts';

export type { Family };

/** A loaded model: tokenizer, the ONNX components, the scheduler the repo ships, and what was read from its configs. */
export interface StableDiffusionModel {
  family: Family;
  tokenizer: ClipTokenizer;
  textEncoder: ModelRunner;
  /** SDXL: the second tokenizer and text encoder (OpenCLIP bigG), whose pooled output is `text_embeds`. */
  tokenizer2?: ClipTokenizer;
  textEncoder2?: ModelRunner;
  unet: ModelRunner;
  vaeDecoder: ModelRunner;
  /** Present when the repo has `vae_encoder/`: img2img is possible. */
  vaeEncoder?: ModelRunner;
  /** Builds a scheduler: the repo's own config, or a sampler's overrides applied to it. */
  scheduler: (samplerId?: string) => Scheduler;
  /** Latent channels (4) and the VAE's scale factor (8), read from the repo's configs. */
  latentChannels: number;
  vaeScaleFactor: number;
  /** VAE `scaling_factor` (0.18215 for SD, 0.13025 for SDXL). */
  vaeScalingFactor: number;
  /** SDXL's `force_zeros_for_empty_prompt`: with guidance, an empty negative prompt is zeros, not the encoded "". */
  forceZerosForEmptyPrompt?: boolean;
}

/** One request: a prompt and the settings people know from diffusers and A1111. */
export interface GenerateRequest {
  prompt: string;
  /** What to steer away from; used when classifier-free guidance is on. */
  negativePrompt?: string;
  /** Seed of the first image; image k of a batch uses `seed + k`, with a generator of its own (as A1111 does). */
  seed: number;
  /** Where the noise comes from: torch's CPU generator (diffusers, ComfyUI; the default) or its CUDA one (A1111's GPU/NV). */
  noise?: NoiseSource;
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
 * guidance-scale embedding; SDXL adds a second text encoder, `text_embeds` and `time_ids`.
 * A UNet exported at batch 1 (static shapes) takes guidance as two calls per step, which gives
 * what a batch of two would. An aborted `signal` stops it before the next model call.
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
  const split = guided && m.unet.inputs.sample?.dims[0] === 1;

  const h = Math.floor(req.height / m.vaeScaleFactor);
  const w = Math.floor(req.width / m.vaeScaleFactor);
  checkLatentSize(m, h, w);
  const dims = [1, m.latentChannels, h, w];
  const size = dims.reduce((a, b) => a * b);

  // 1. Prompt (and, for guidance, the negative prompt) → conditioning (in GPU memory where the runtime can).
  onStage({ stage: 'text_encoder', image: 0, images });
  const negative = m.forceZerosForEmptyPrompt && !req.negativePrompt?.trim() ? null : (req.negativePrompt ?? '');
  const prompts = guided ? [negative, req.prompt] : [req.prompt];
  const conditioning: TextConditioning[] = [];
  try {
    await timed('text_encoder', async () => {
      for (const batch of split ? prompts.map((p) => [p]) : [prompts]) conditioning.push(await encodeText(m, batch));
    });
    const extras: Record<string, Tensor> = {};
    if (lcm) extras.timestep_cond = guidanceEmbedding(req.guidanceScale, embeddingWidth(m.unet));
    // SDXL's micro-conditioning: original size, crop top-left, target size, in pixels (height first).
    if ('time_ids' in m.unet.inputs) extras.time_ids = { data: Float32Array.of(h * m.vaeScaleFactor, w * m.vaeScaleFactor, 0, 0, h * m.vaeScaleFactor, w * m.vaeScaleFactor), dims: [1, 6] };
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
      // Two-call samplers (Heun, DPM2) list `order` timesteps per step.
      start = Math.max(steps - Math.min(Math.floor(steps * strength), steps), 0) * scheduler.order;
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
      // One generator per image: the first draw starts it, each stochastic step takes the next (diffusers' and A1111's order).
      const source = req.noise ?? 'cpu';
      const rng = createNoise(source, seed);
      if (init && source === 'cpu') rng.randn(size); // diffusers draws the VAE posterior sample first (our encoder has sampled)
      const noise = rng.randn(size);
      let latents = init ? scheduler.addNoise(init, noise, start) : noise.map((v) => v * scheduler.initNoiseSigma);

      // 2. Denoise: one UNet call per step (a batch of two, unconditional and conditional, with guidance).
      const steps = scheduler.timesteps.length;
      for (let i = start; i < steps; i++) {
        onStage({ stage: 'unet', image: k, images, step: i - start, steps: steps - start });
        const input = scheduler.scaleModelInput(latents, i);
        const pred = await timed('unet', () => predictNoise(m.unet, conditioning, { data: input, dims }, scheduler.timesteps[i]!, extras));
        const eps = guided ? applyGuidance(pred, size, req.guidanceScale) : pred;
        latents = scheduler.step(eps, i, latents, scheduler.stochastic ? rng.randn(size) : undefined);
        onStage({ stage: 'unet', image: k, images, step: i - start + 1, steps: steps - start, latents: { data: latents, dims } });
      }

      // 3. Latents → pixels.
      onStage({ stage: 'vae_decoder', image: k, images });
      const scaled = latents.map((v) => v / m.vaeScalingFactor);
      const decoded = await timed('vae_decoder', () => m.vaeDecoder.run({ latent_sample: { data: scaled, dims } }));
      results.push({ image: vaeOutputToImage(decoded.sample ?? Object.values(decoded)[0]), seed });
    }
    // The steps asked for, less those img2img skips (PNDM makes one UNet call more than its steps).
    const fromGpu = conditioning.some((c) => isGpuResident(c.context)) ? ['encoder_hidden_states'] : [];
    return { images: results, timings, steps: Math.max(1, Math.round(req.steps)) - start / scheduler.order, gpuResidentInputs: fromGpu };
  } finally {
    conditioning.forEach(releaseConditioning);
  }
}

/**
 * ε for `sample` `[1, C, h, w]` at timestep `t`, for every item of every conditioning in turn: one
 * UNet call per conditioning, each the batch of its prompts (the latents repeated to match).
 */
async function predictNoise(unet: ModelRunner, conditioning: TextConditioning[], sample: Tensor, t: number, extras: Record<string, Tensor>): Promise<Float32Array> {
  const preds: Float32Array[] = [];
  for (const c of conditioning) {
    const n = c.context.dims[0]!;
    const feeds: Record<string, Feed> = {
      sample: { data: repeat(sample.data as Float32Array, n), dims: [n, ...sample.dims.slice(1)] },
      timestep: { data: Float32Array.of(t), dims: [1] },
      encoder_hidden_states: c.context,
    };
    if (c.pooled) feeds.text_embeds = c.pooled;
    for (const [name, e] of Object.entries(extras)) feeds[name] = { data: repeat(e.data as Float32Array, n), dims: [n, ...e.dims.slice(1)] };
    const out = await unet.run(feeds);
    preds.push((out.out_sample ?? Object.values(out)[0]).data as Float32Array);
  }
  if (preds.length === 1) return preds[0]!;
  const all = new Float32Array(preds.reduce((s, p) => s + p.length, 0));
  preds.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  return all;
}

/** A UNet exported for one latent size (static shapes) makes only that image size: say so instead of failing inside onnxruntime. */
function checkLatentSize(m: StableDiffusionModel, h: number, w: number): void {
  const [, , fh, fw] = m.unet.inputs.sample?.dims ?? [];
  const fixedH = typeof fh === 'number' ? fh : h;
  const fixedW = typeof fw === 'number' ? fw : w;
  if (fixedH !== h || fixedW !== w) {
    const f = m.vaeScaleFactor;
    throw new Error(`This model's UNet is exported for ${fixedW * f}×${fixedH * f} images only (static shapes); ${w * f}×${h * f} was asked for.`);
  }
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
  if (n === 1) return data;
  const out = new Float32Array(data.length * n);
  for (let i = 0; i < n; i++) out.set(data, i * data.length);
  return out;
}
