import type { ClipSkipSupport, ModelDefaults, ModelFamily, NoiseSource, PipelineKind, PipelineStage, RgbaImage, TokenCount, UnsupportedSetting } from '../diffusion/index.ts';
import type { Backend } from '../runtime/index.ts';
export type { Backend, BackendChoice, WebnnSupport } from '../runtime/index.ts';
export type { NetworkEntry } from './network-log.ts';
export type { StorageKind } from './storage-choice.ts';
export type { CachedRepo, CachedRevision, CachedFile } from '../cache/index.ts';
export type { WhoAmI } from '../hub/index.ts';
export type { HubTrust } from './hub-gate.ts';

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
  /** `auto` = WebGPU when available, else wasm; `webnn` when the browser gives a WebNN context, else as `auto`. */
  backend?: Backend | 'auto';
  /**
   * Which of the repo's variants to download and open (an id of `ModelCard.variants`: `q4f16`,
   * `fp16`, `''` for plain names, …). Left out: the one this device's backend runs well.
   */
  variant?: string;
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

/** One way to run a repo, as its listing on the Hub shows it. */
export interface VariantInfo {
  /** The files' name suffix (`q4f16`, `qdq_q4f16`, `f16`, …), `''` for plain names (`model.onnx`, `unet_model.onnx`). */
  id: string;
  /** In words: `int4 weights (MatMulNBits), fp16`, `fp32`, `as exported` (folder layouts). */
  label: string;
  /** Bytes to download for it: its model files and external data, plus the configs and tokenizers. */
  bytes: number;
  /** Its file names say fp16 (WebGPU then needs `shader-f16`). */
  float16: boolean;
  /** The weights' precision, from the file names or (folder layouts) the UNet's size; undefined when neither says. */
  weights?: string;
  /** Whether the backend in use can run it (fp16 files on WebGPU without shader-f16 cannot). */
  runsHere: boolean;
  /** Why it does not run here, in words. */
  note?: string;
}

/** What the Hub's listing of a repo says, kept with its manifest: the model picker shows it (offline, what was kept). */
export interface ModelListing {
  /** The origin of the hub it is on (`https://huggingface.co` for the official Hub). */
  hub: string;
  /** The repo id as the hub names it (which may differ in letter case from what was typed). */
  model: string;
  commit: string;
  license?: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
  /** When the Hub listed the files (ms since epoch). */
  listedAt: number;
  /** `folders` (diffusers, optimum) or `flat` (one `onnx/` folder of `<component>_model_<variant>.onnx`). */
  layout: 'folders' | 'flat';
  /** Every variant the repo offers (folder layouts have one), with its size. */
  variants: VariantInfo[];
}

/** What a model is, before downloading it. */
export interface ModelCard extends ModelListing {
  revision: string;
  /** The variant that will be downloaded and opened: `ModelSource.variant`, else the one this device runs well. */
  variant: string;
  /** Bytes of the files that variant needs. */
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
  /** The origin of the hub its files came from; the cache keeps each hub's files apart. */
  hub: string;
  /** The repo id as the hub names it. */
  model: string;
  revision: string;
  commit: string;
  /** True when the Hub could not be reached and the cached commit was used. */
  offline: boolean;
  /** Each file, and where it comes from: `cache`, `download` (just now), `folder “name” (…)`. */
  files: { path: string; size: number; source: string }[];
  /** Bytes downloaded by this call (0 on a warm start). */
  downloadedBytes: number;
  /** The variant whose files these are (`''` for plain names; folder layouts have only that one). */
  variant: { id: string; label: string };
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
  /** How far A1111's Clip skip goes on this model (`max` 1: not at all), and why not (further). */
  clipSkip: ClipSkipSupport;
  /** `folders` (diffusers, optimum) or `flat` (one `onnx/` folder). */
  layout: 'folders' | 'flat';
  /**
   * What the repo did not say and what was used instead, one sentence each (no scheduler config:
   * its family's reference; no tokenizer: the app's CLIP tokenizer, …). Empty when it said everything.
   */
  assumed: string[];
  /** The reference configuration that filled the gaps, when one did. */
  reference?: { id: string; name: string; source: string };
  /** Where each tokenizer came from (`tokenizer/tokenizer.json`, the app's CLIP tokenizer, …). */
  tokenizers: string[];
  /**
   * The only image size the model makes here: its UNet's latent size is fixed by the export, or
   * pinned for WebNN. `GenerateOptions.width`/`height` are then ignored.
   */
  fixedSize?: { width: number; height: number };
  /** The UNet's fixed batch size, when it has one (1: guidance runs as two UNet calls per step). */
  fixedBatch?: number;
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
  /**
   * Where the random numbers come from: `cpu` (the default) is torch's CPU generator, as diffusers
   * and ComfyUI draw them; `gpu` is torch's CUDA generator, as A1111 draws them by default (its “GPU”
   * on NVIDIA cards, and its “NV” setting anywhere).
   */
  noise?: NoiseSource;
  /** A1111's Clip skip, 1–12 (1, the default, reads the last layer); where the model takes it (`PreparedModel.clipSkip`). */
  clipSkip?: number;
  /** A1111's “Pad prompt/negative prompt” (`Pad conds: True`): prompts of different lengths share one UNet batch, padded with empty chunks. */
  padPrompts?: boolean;
  /** In pixels, rounded down to a multiple of 8; (16 for Z-Image); the model's own size when left out; its fixed size when it has one. */
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
  /** The sampler as A1111 1.9+ writes it into PNGs: `DPM++ 2M` with `Schedule type: Karras` (none for samplers without one, like DDIM). */
  a1111Sampler: { sampler: string; scheduleType?: string };
  /** The random numbers used (`cpu` or `gpu`). */
  noise: NoiseSource;
  /** The Clip skip applied (1 where the model does not take the one asked for). */
  clipSkip: number;
  /** Whether the prompt and negative prompt were padded to one length (`padPrompts`, when their lengths differed). */
  paddedPrompts: boolean;
  /** What the person should know about the prompt of this image: cut to fit, Clip skip or `<lora:…>` not applied (also sent as `notice` events). */
  notices: string[];
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

/** The token counter under the prompt box (A1111's `37/75`), for the model the prompt is for. */
export interface PromptTokenCount extends TokenCount {
  /** The most tokens the model is given (750, or 75 for a UNet of fixed text length); past it the prompt is cut. */
  maxTokens: number;
}

/** What to delete from the cache: everything (no repo given), a repo of a hub, one commit of it, or one file. */
export interface CacheTarget {
  /** The hub the repo's files came from (its URL or origin, as the inventory says); default the official Hub. */
  hub?: string;
  repo?: string;
  commit?: string;
  path?: string;
}

/** What a deletion removed: complete files and their bytes (records such as refs and manifests not counted). */
export interface Deleted {
  files: number;
  bytes: number;
}
