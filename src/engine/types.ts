import type { RgbaImage, Stage } from '../diffusion/index.ts';
import type { Backend } from '../runtime/session.ts';
export type { BackendChoice } from '../runtime/backend.ts';
export type { NetworkEntry } from './network-log.ts';
export type { StorageKind } from './storage-choice.ts';
export type { CachedRepo, CachedRevision, CachedFile } from '../cache/inventory.ts';
export type { WhoAmI } from '../hub/whoami.ts';

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
  | { kind: 'stage'; stage: Stage; step?: number; steps?: number };

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
  /** Image size the model was made for, in pixels. */
  defaultSize: number;
}

/** What to draw, and with which seed and number of steps; the size defaults to the model's own. */
export interface GenerateOptions {
  prompt: string;
  /** Currently ignored: SD-Turbo runs without classifier-free guidance, so there is nothing to steer away from. */
  negativePrompt?: string;
  seed: number;
  /** Denoising steps; the engine rounds this and clamps it to 1–8 (SD-Turbo is made for 1–4). */
  steps: number;
  /** Defaults to the model's own size. */
  width?: number;
  height?: number;
}

/** One generated image, with the settings actually used (seed, clamped step count, backend) and how long it took. */
export interface GeneratedImage {
  image: RgbaImage;
  seed: number;
  steps: number;
  backend: Backend;
  /** The model that made it (commit, files, whether the cached copy was used offline). */
  model: PreparedModel;
  /** Milliseconds: per stage, plus model loading when this call had to load it. */
  timings: Record<Stage | 'load' | 'total', number>;
}
