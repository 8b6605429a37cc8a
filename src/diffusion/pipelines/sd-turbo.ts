import type { ClipTokenizer } from '../clip-tokenizer.ts';
import { vaeOutputToImage, type RgbaImage } from '../image.ts';
import { SeededRandom } from '../rng.ts';
import type { EulerDiscreteScheduler } from '../schedulers/euler-discrete.ts';
import type { ModelRunner } from '../tensor.ts';

/** Everything `generateSdTurbo` needs, as `loadSdTurbo` returns it: tokenizer, the three models, scheduler and sizes. */
export interface SdTurboModels {
  tokenizer: ClipTokenizer;
  textEncoder: ModelRunner;
  unet: ModelRunner;
  vaeDecoder: ModelRunner;
  scheduler: EulerDiscreteScheduler;
  /** Latent channels (4) and the VAE's scale factor (8), read from the repo's configs. */
  latentChannels: number;
  vaeScaleFactor: number;
  /** VAE `scaling_factor` (0.18215 for SD 2.x). */
  vaeScalingFactor: number;
}

/** One image to make. `width` and `height` are in pixels and are rounded down to a multiple of the VAE scale factor (8 for SD). */
export interface GenerateRequest {
  prompt: string;
  seed: number;
  /** 1–4 for SD-Turbo. */
  steps: number;
  width: number;
  height: number;
}

/** The pipeline's stages, in order, as named in progress events and timings. */
export type Stage = 'text_encoder' | 'unet' | 'vae_decoder';

/** The image, the seed it came from, and how long each stage took. */
export interface GenerateResult {
  image: RgbaImage;
  seed: number;
  /** Milliseconds per stage (UNet summed over steps). */
  timings: Record<Stage, number>;
}

/**
 * SD-Turbo (adversarially distilled SD 2.1): no classifier-free guidance, 1–4 Euler steps.
 * Reads top to bottom like the paper: encode the prompt, denoise latents, decode them.
 * `onStage` is called before each stage (with the 0-based step for the UNet); an aborted
 * `signal` stops it before the next model call.
 */
export async function generateSdTurbo(
  m: SdTurboModels,
  req: GenerateRequest,
  onStage: (stage: Stage, step?: number) => void = () => {},
  signal?: AbortSignal,
): Promise<GenerateResult> {
  const timings: Record<Stage, number> = { text_encoder: 0, unet: 0, vae_decoder: 0 };
  const timed = async <T>(stage: Stage, fn: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    const t0 = performance.now();
    const out = await fn();
    timings[stage] += performance.now() - t0;
    return out;
  };

  // 1. Prompt → embeddings.
  onStage('text_encoder');
  const ids = m.tokenizer.encode(req.prompt);
  const text = await timed('text_encoder', () =>
    m.textEncoder.run({ input_ids: { data: ids, dims: [1, ids.length] } }),
  );
  const embeddings = text.last_hidden_state ?? Object.values(text)[0];

  // 2. Noise → latents, one UNet call per step.
  const h = Math.floor(req.height / m.vaeScaleFactor);
  const w = Math.floor(req.width / m.vaeScaleFactor);
  const dims = [1, m.latentChannels, h, w];
  m.scheduler.setTimesteps(req.steps);
  const sigma0 = m.scheduler.initNoiseSigma;
  let latents: Float32Array = new SeededRandom(req.seed).normals(dims.reduce((a, b) => a * b)).map((v) => v * sigma0);
  for (let i = 0; i < m.scheduler.timesteps.length; i++) {
    onStage('unet', i);
    const out = await timed('unet', () =>
      m.unet.run({
        sample: { data: m.scheduler.scaleModelInput(latents, i), dims },
        timestep: { data: BigInt64Array.of(BigInt(m.scheduler.timesteps[i])), dims: [1] },
        encoder_hidden_states: embeddings,
      }),
    );
    const eps = (out.out_sample ?? Object.values(out)[0]).data as Float32Array;
    latents = m.scheduler.step(eps, i, latents);
  }

  // 3. Latents → pixels.
  onStage('vae_decoder');
  const scaled = latents.map((v) => v / m.vaeScalingFactor);
  const decoded = await timed('vae_decoder', () => m.vaeDecoder.run({ latent_sample: { data: scaled, dims } }));
  const image = vaeOutputToImage(decoded.sample ?? Object.values(decoded)[0]);
  return { image, seed: req.seed, timings };
}
