import type { ModelDefaults, ModelFamily, PipelineKind, PipelineStage, RgbaImage, UnsupportedSetting } from '../diffusion/index.ts';
import type { Backend } from '../runtime/index.ts';
export type { Backend, BackendChoice } from '../runtime/index.ts';
export type { NetworkEntry } from './network-log.ts';
export type { StorageKind } from './storage-choice.ts';
export type { CachedRepo, CachedRevision, CachedFile } from '../cache/index.ts';
export type { WhoAmI } from '../hub/index.ts';

/** What the engine needs to know to find a model. */
export interface ModelSource {
  /** Hub base URL (`https://huggingface.co` for real users). */
  hubUrl: string;
  /** Repo id, `org/name`. */
  model: string;
  /** Branch, tag, commit or `refs/pr/N`. */
  revision: string;
  /**
   * A Hugging Face token for this call only, used only for requests to `hubUrl`. Usually left
   * out: `Engine.signIn` keeps the token for the Hub.
   */
  token?: string;
  /** Like `HF_HUB_OFFLINE`: make no network request at all, use the cached commit. */
  offline?: boolean;
  /** `auto` = WebGPU when available, else wasm. */
  backend?: Backend | 'auto';
  /**
   * On WebGPU, keep the prompt's embeddings in GPU memory for every UNet call (default). `false`
   * copies them through the CPU like the other tensors: the same pixels, for comparison.
   */
  gpuResident?: boolean;
  /**
   * `auto` (default): a model larger than one WebAssembly memory (4 GB) gets an onnxruntime worker
   * per big component, and Z-Image's text encoder is closed once the prompt is encoded. `save`
   * does that for any model, for a machine short of memory.
   */
  memory?: 'auto' | 'save';
}

/** How far one file's download has got, in bytes; part of a `download` event. `done` once the file is complete in the cache. */
export interface FileProgress {
  path: string;
  loaded: number;
  total: number;
  done: boolean;
}

/** Progress sent back to the page while preparing or generating. */
export type EngineEvent =
  | { kind: 'status'; message: string }
  | { kind: 'download'; files: FileProgress[]; loaded: number; total: number }
  | {
      kind: 'stage';
      stage: PipelineStage;
      step?: number;
      steps?: number;
      image?: number;
      images?: number;
      /** After some denoising steps (throttled, always the last): the latents `[1, C, h, w]` (C = 4, or 16 for Z-Image), for a live preview. */
      latents?: { dims: number[]; data: Float32Array };
    }
  /** Something the user should know that did not stop the work (e.g. a stage rerun after giving NaN). */
  | { kind: 'notice'; message: string };

/** What a model is, before downloading it. */
export interface ModelCard {
  model: string;
  revision: string;
  commit: string;
  license?: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
  /** Bytes of the files the pipeline needs. */
  totalBytes: number;
  /** Whether all of them are already in the cache. */
  cached: boolean;
  /** The model's page on the Hub (license, access requests). */
  modelUrl: string;
  /** Which pipeline runs it, from its file list. */
  pipeline: PipelineKind;
  /** The settings it does not take (hidden for it): Z-Image-Turbo takes no negative prompt, guidance, sampler or start image. */
  unsupported: UnsupportedSetting[];
}

/** The model's files, complete in the cache. */
export interface DownloadedModel {
  model: string;
  revision: string;
  commit: string;
  /** True when the Hub could not be reached and the cached commit was used. */
  offline: boolean;
  /** Each file, and where it comes from: `cache`, `download` (just now), `folder “name” (…)`. */
  files: { path: string; size: number; source: string }[];
  /** Bytes downloaded by this call (0 on a warm start). */
  downloadedBytes: number;
}

/** The model, cached and with its sessions open. */
export interface PreparedModel extends DownloadedModel {
  backend: Backend;
  /** Why WebGPU is not in use, in words for the user. */
  fallbackReason?: string;
  license?: string;
  gated: false | 'auto' | 'manual';
  /** SD-Turbo, Stable Diffusion (1.x/2.x), LCM, SDXL or Z-Image, read from the repo. */
  family: ModelFamily;
  /** Which pipeline runs it: Stable Diffusion's UNet, or the flow-matching transformer (Z-Image-Turbo). */
  pipeline: PipelineKind;
  /** The settings it does not take; `GenerateOptions` ignores them for it. */
  unsupported: UnsupportedSetting[];
  /** What the repo did not say and what was used instead (its family's reference configuration), one sentence each. */
  assumed: string[];
  /**
   * Where its sessions live: components by onnxruntime worker, those closed after each use (their
   * worker ended), and why, in words (undefined when everything shares one worker).
   */
  memory: { workers: string[][]; releaseAfterUse: string[]; summary?: string };
  /** Steps, guidance and image size the model is made for. */
  defaults: ModelDefaults;
  /** The scheduler class the repo ships (`PNDMScheduler`, …). */
  scheduler: string;
  /** `epsilon`, `v_prediction` or `flow`. */
  predictionType: string;
  /** Whether the repo has a VAE encoder, so `GenerateOptions.initImage` works. */
  img2img: boolean;
  /** Components that are run with other settings because the default ones gave NaN, in words. */
  recoveries: string[];
  /** Milliseconds to open each component, and to make the warm-up image (when there was one). */
  loadMs: Record<string, number>;
}

/**
 * What to draw, and how; everything but the prompt and seed defaults to what the model is made for.
 * Settings a model does not take (`PreparedModel.unsupported`: Z-Image-Turbo's negative prompt,
 * guidance, sampler and start image) are ignored for it.
 */
export interface GenerateOptions {
  prompt: string;
  /** What to steer away from; used when guidance is on (guidance scale > 1, not SD-Turbo or LCM). */
  negativePrompt?: string;
  /** Seed of the first image; image k of a batch uses `seed + k`. */
  seed: number;
  /** Denoising steps (1–150); the model's default when left out or 0. */
  steps?: number;
  /** Classifier-free guidance scale; ≤ 1 turns it off. LCM embeds it instead. */
  guidanceScale?: number;
  /** A sampler id from `diffusion.SAMPLERS` (`euler`, `euler-a`, `dpmpp-2m`, …); the repo's own scheduler when left out. */
  sampler?: string;
  /** In pixels, rounded down to a multiple of 8 (16 for Z-Image); the model's own size when left out. */
  width?: number;
  height?: number;
  /** Number of images (1–8), seeds `seed` … `seed + batch − 1`. */
  batch?: number;
  /** img2img: the picture to start from (needs a repo with `vae_encoder/`). */
  initImage?: RgbaImage;
  /** img2img: how much to change the picture, 0–1 (default 0.6). */
  strength?: number;
}

/** The generated images (one, or a batch), with the settings actually used (after defaults and clamping) and how long it took. */
export interface GeneratedImages {
  /** Every image of the batch, with its seed: `images[0]` is the first. */
  images: { image: RgbaImage; seed: number }[];
  /** Steps run per image (fewer than asked for img2img at strength < 1). */
  steps: number;
  guidanceScale: number;
  /** The sampler id, or the repo's scheduler class when the repo's own was used. */
  sampler: string;
  width: number;
  height: number;
  backend: Backend;
  /**
   * UNet inputs fed from GPU memory rather than copied from the CPU at every step
   * (`encoder_hidden_states` on WebGPU). The UNet's output is read back at every step: the
   * sampler runs in JavaScript.
   */
  gpuResidentInputs: string[];
  /** The model that made it (commit, files, whether the cached copy was used offline). */
  model: PreparedModel;
  /** Milliseconds: per stage, plus model loading when this call had to load it. */
  timings: Partial<Record<PipelineStage, number>> & Record<'load' | 'total', number>;
}
