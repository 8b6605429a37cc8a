import { truncationNotice, type ChatTokenizer } from '../chat-tokenizer.ts';
import type { ComponentHandle, EmbeddingCache } from '../component-handle.ts';
import { vaeOutputToImage, type RgbaImage } from '../image.ts';
import { createNoise } from '../noise/index.ts';
import { flowMatchMu } from '../schedulers/flow-match-euler-discrete.ts';
import type { Scheduler } from '../schedulers/scheduler.ts';
import type { ModelRunner, Tensor } from '../tensor.ts';
import type { GenerateRequest } from './stable-diffusion.ts';

/** Which flow-matching transformer a repo holds. */
export type FlowMatchFamily = 'z-image';

/** A loaded flow-matching transformer model (Z-Image-Turbo): what the pipeline runs, and the numbers it needs. */
export interface FlowMatchTransformerModel {
  family: FlowMatchFamily;
  tokenizer: ChatTokenizer;
  /** Opened when a prompt must be encoded; may be closed in between (see `releaseTextEncoder`). */
  textEncoder: ComponentHandle;
  /** Close the text encoder right after each encoding, to give its memory to the transformer. */
  releaseTextEncoder: boolean;
  /** Encodings of recent prompts: a prompt seen before never reaches the text encoder. */
  embeddings: EmbeddingCache;
  transformer: ModelRunner;
  vaeDecoder: ModelRunner;
  /** A fresh flow-match scheduler from the repo's config (or the reference one). */
  scheduler: () => Scheduler;
  /** The σs a run of `steps` starts from, before the scheduler's shift (Z-Image: linspace(1, 1/steps, steps)). */
  sigmas: (steps: number) => number[];
  /** 16 for Z-Image's VAE. */
  latentChannels: number;
  /** Pixels per latent (8). */
  vaeScaleFactor: number;
  /** Latents per transformer patch side (2): image sides are multiples of vaeScaleFactor × patchSize. */
  patchSize: number;
  /** The decoder's input is latents / scaling + shift (Flux's VAE: 0.3611, 0.1159). */
  vaeScalingFactor: number;
  vaeShiftFactor: number;
  /** The text encoder's token limit (512), counted after templating. */
  maxSequenceLength: number;
}

/** The pipeline's stages, in order, as named in progress events and timings. */
export type FlowMatchStage = 'text_encoder' | 'transformer' | 'vae_decoder';

/** Progress: which stage is starting (or, for the transformer, which step is done), for which image. */
export interface FlowMatchStageEvent {
  stage: FlowMatchStage;
  image: number;
  images: number;
  step?: number;
  steps?: number;
  /** After a transformer step: the latents `[1, C, h, w]`, for a live preview. */
  latents?: Tensor;
  /** Text encoder: the prompt's encoding was cached, so the text encoder did not run. */
  reused?: boolean;
}

/** The images with their seeds, what the user should be told, and how long each stage took. */
export interface FlowMatchResult {
  images: { image: RgbaImage; seed: number }[];
  /** Milliseconds per stage, summed over steps and images. */
  timings: Record<FlowMatchStage, number>;
  /** The steps run per image. */
  steps: number;
  /** Always empty: the embeddings cross between workers as plain arrays (see the SD pipeline's `gpuResidentInputs`). */
  gpuResidentInputs: string[];
  /** Things that did not stop the work but change it (a prompt cut at the token limit, settings that do not apply). */
  notices: string[];
  /** The size made, in pixels (rounded down to whole transformer patches). */
  width: number;
  height: number;
}

/**
 * Z-Image's pipeline, as diffusers' ZImagePipeline: the prompt through the chat template and the
 * text encoder (once per prompt), seeded noise `[1, 16, H/8, W/8]`, σs `linspace(1, 1/N, N)`
 * shifted by the scheduler, each step the transformer at timestep (1000 − t)/1000 with its output
 * negated into an Euler step, then the VAE on latents / scaling + shift. Guidance and the negative
 * prompt do not apply to the distilled Turbo model and are ignored with a notice. An aborted
 * `signal` stops it before the next model call.
 */
export async function generateFlowMatch(
  m: FlowMatchTransformerModel,
  req: GenerateRequest,
  onStage: (e: FlowMatchStageEvent) => void = () => {},
  signal?: AbortSignal,
): Promise<FlowMatchResult> {
  const timings: Record<FlowMatchStage, number> = { text_encoder: 0, transformer: 0, vae_decoder: 0 };
  const timed = async <T>(stage: FlowMatchStage, fn: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    const t0 = performance.now();
    const out = await fn();
    timings[stage] += performance.now() - t0;
    return out;
  };
  if (req.initImage) throw new Error('This model cannot start from an image (img2img is not part of its pipeline).');
  const notices = ignoredSettings(req);
  const images = Math.max(1, Math.floor(req.batch ?? 1));
  const block = m.vaeScaleFactor * m.patchSize;
  const width = Math.floor(req.width / block) * block;
  const height = Math.floor(req.height / block) * block;
  if (width < block || height < block) throw new RangeError(`The image must be at least ${block}×${block} pixels for this model, not ${req.width}×${req.height}.`);

  // 1. Prompt → embeddings [1, S, D], once for the whole batch.
  onStage({ stage: 'text_encoder', image: 0, images });
  const prompt = m.tokenizer.encodePrompt(req.prompt, m.maxSequenceLength);
  if (prompt.truncated) notices.push(truncationNotice(prompt));
  let context = m.embeddings.get(prompt.ids);
  if (context) onStage({ stage: 'text_encoder', image: 0, images, reused: true });
  else {
    context = await timed('text_encoder', () => encode(m, prompt.ids));
    m.embeddings.set(prompt.ids, context);
  }
  if (m.releaseTextEncoder) await m.textEncoder.release();

  const h = height / m.vaeScaleFactor;
  const w = width / m.vaeScaleFactor;
  const size = m.latentChannels * h * w;
  const dims = [1, m.latentChannels, h, w];
  // The transformer declares [1, C, h, w] (re-export) or [1, C, frames = 1, h, w] (the demo's export): the same values.
  const inputDims = m.transformer.inputs.hidden_states?.dims.length === 5 ? [1, m.latentChannels, 1, h, w] : dims;
  const output = Object.keys(m.transformer.outputs)[0]!;
  const steps = Math.max(1, Math.round(req.steps));

  const results: FlowMatchResult['images'] = [];
  for (let k = 0; k < images; k++) {
    const seed = req.seed + k;
    const scheduler = m.scheduler();
    // Dynamic shifting (Flux, SD3) takes mu from the patch count; Z-Image's config leaves it off, as diffusers then ignores mu.
    const mu = scheduler.config.use_dynamic_shifting ? flowMatchMu(scheduler.config, (h / m.patchSize) * (w / m.patchSize)) : undefined;
    scheduler.setTimesteps(steps, { sigmas: m.sigmas(steps), mu });
    let latents = createNoise(req.noise ?? 'cpu', seed).randn(size);

    // 2. Denoise: one transformer call per step; the model's output is the negated velocity.
    for (let i = 0; i < scheduler.timesteps.length; i++) {
      onStage({ stage: 'transformer', image: k, images, step: i, steps });
      const t = Math.fround(Math.fround(1000 - scheduler.timesteps[i]!) / 1000);
      const out = await timed('transformer', () =>
        m.transformer.run({
          hidden_states: { data: latents, dims: inputDims },
          timestep: { data: Float32Array.of(t), dims: [1] },
          encoder_hidden_states: context,
        }),
      );
      const pred = out[output]!.data as Float32Array;
      if (pred.length !== size) throw new Error(`The transformer gave ${pred.length} values, expected ${size} (${dims.join('×')}).`);
      latents = scheduler.step(pred.map((v) => -v), i, latents);
      onStage({ stage: 'transformer', image: k, images, step: i + 1, steps, latents: { data: latents, dims } });
    }

    // 3. Latents → pixels.
    onStage({ stage: 'vae_decoder', image: k, images });
    const scaled = latents.map((v) => v / m.vaeScalingFactor + m.vaeShiftFactor);
    const decoded = await timed('vae_decoder', () => m.vaeDecoder.run({ latent_sample: { data: scaled, dims } }));
    results.push({ image: vaeOutputToImage(decoded.sample ?? Object.values(decoded)[0]!), seed });
  }
  return { images: results, timings, steps, gpuResidentInputs: [], notices, width, height };
}

/** The text encoder's hidden states for the ids: `encoder_hidden_states` (re-export), `encoder_hidden_state` (the demo's), else its first output. */
async function encode(m: FlowMatchTransformerModel, ids: number[]): Promise<Tensor> {
  const encoder = await m.textEncoder.get();
  const feeds: Record<string, Tensor> = { input_ids: { data: BigInt64Array.from(ids, BigInt), dims: [1, ids.length] } };
  // Not padded, so every token is attended to (diffusers keeps only the unmasked rows).
  if ('attention_mask' in encoder.inputs) feeds.attention_mask = { data: new BigInt64Array(ids.length).fill(1n), dims: [1, ids.length] };
  const out = await encoder.run(feeds);
  const name = ['encoder_hidden_states', 'encoder_hidden_state'].find((n) => n in out) ?? Object.keys(encoder.outputs)[0]!;
  const hidden = out[name]!;
  const width = hidden.dims.at(-1)!;
  return { data: hidden.data, dims: [1, ids.length, width] };
}

function ignoredSettings(req: GenerateRequest): string[] {
  const ignored: string[] = [];
  if (req.guidanceScale > 0) ignored.push(`guidance (${req.guidanceScale})`);
  if (req.negativePrompt?.trim()) ignored.push('the negative prompt');
  if (req.sampler) ignored.push(`the sampler (${req.sampler})`);
  return ignored.length ? [`This model is distilled to run without guidance, with its own flow-matching Euler sampler: ${ignored.join(', ')} ignored.`] : [];
}
