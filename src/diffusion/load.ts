import { ClipTokenizer } from './clip-tokenizer.ts';
import { guardFinite, type Recovery } from './nan-recovery.ts';
import type { Family, StableDiffusionModel } from './pipelines/stable-diffusion.ts';
import { createScheduler, samplerConfig } from './schedulers/index.ts';
import type { SchedulerConfig } from './schedulers/scheduler.ts';
import type { ModelRunner, RunnerFactory, RunnerOptions } from './tensor.ts';

/** Read access to one snapshot of a repo (the cache, a folder on disk, a test directory). */
export interface RepoReader {
  /** Paths of every file in the snapshot. */
  files: readonly string[];
  /** The file at `path` as text (configs, vocabulary); rejects when it cannot be read. */
  readText(path: string): Promise<string>;
  /** The whole file at `path` in memory (an ONNX model); rejects when it cannot be read. */
  readBytes(path: string): Promise<Uint8Array>;
  /** The file as onnxruntime takes models and external data; a `Blob` avoids copying it (browsers). Defaults to `readBytes`. */
  readData?(path: string): Promise<Uint8Array | Blob>;
}

export type { RunnerFactory };

/** The ONNX components of a Stable Diffusion repo; `vae_encoder` is optional (img2img). */
export const COMPONENTS = ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'] as const;
const REQUIRED_COMPONENTS = ['text_encoder', 'unet', 'vae_decoder'] as const;
const TOKENIZER_FILES = ['tokenizer/vocab.json', 'tokenizer/merges.txt'];
const DIRS = ['tokenizer/', 'scheduler/', ...COMPONENTS.map((c) => `${c}/`)];

/** The component's ONNX file: `model.onnx`, else the only `.onnx` file in its folder. */
export function componentModelPath(files: readonly string[], component: string): string | undefined {
  if (files.includes(`${component}/model.onnx`)) return `${component}/model.onnx`;
  const onnx = files.filter((p) => p.startsWith(`${component}/`) && p.endsWith('.onnx') && !p.slice(component.length + 1).includes('/'));
  return onnx.length === 1 ? onnx[0] : undefined;
}

/** Why a repo's file list cannot be run by this app, or undefined when it can. */
export function missingFiles(files: readonly string[]): string[] {
  return [
    ...TOKENIZER_FILES.filter((f) => !files.includes(f)),
    ...REQUIRED_COMPONENTS.filter((c) => !componentModelPath(files, c)).map((c) => `${c}/model.onnx`),
  ];
}

/** Throws one clear message when a repo's file list lacks what the pipeline needs; `what` names the repo in it. */
export function requireRunnable(files: readonly string[], what = 'This repo'): void {
  const missing = missingFiles(files);
  if (missing.length) throw new Error(`${what} is not a Stable Diffusion ONNX model this app can run: it has no ${missing.join(', ')}.`);
}

/** The files of a repo the pipeline uses: configs, tokenizer, scheduler and every file of the ONNX components (their external data too). */
export function pipelineFiles(paths: readonly string[]): string[] {
  return paths.filter((p) => p === 'model_index.json' || DIRS.some((c) => p.startsWith(c)));
}

/** Defaults for the settings people know, from the repo. */
export interface ModelDefaults {
  steps: number;
  guidanceScale: number;
  /** Image size the model was made for, in pixels (UNet `sample_size` × VAE scale factor). */
  size: number;
}

/** What the repo is, read from its configs and the UNet's inputs. */
export interface ModelDescription {
  family: Family;
  defaults: ModelDefaults;
  /** The scheduler config the repo ships (with defaults filled in). */
  schedulerConfig: SchedulerConfig;
  /** `epsilon` or `v_prediction`. */
  predictionType: string;
  /** Whether the repo has a VAE encoder, so img2img works. */
  img2img: boolean;
  /** Milliseconds it took to open each component (read its files, create its session). */
  loadMs: Record<string, number>;
}

/** How to load: progress, remembered per-component settings, and what to try when a stage gives NaN. */
export interface LoadOptions {
  /** Called before each component is opened (`text_encoder`, `unet`, …), for progress. */
  onComponent?: (component: string) => void;
  /** Settings remembered for this model on this device (from an earlier recovery), per component. */
  overrides?: Record<string, RunnerOptions>;
  /** Keep the text encoder's output in GPU memory for the UNet (WebGPU; default true). */
  gpuResident?: boolean;
  /** Settings to retry a stage with when it gives NaN/Infinity, in order. */
  fallbacks?: RunnerOptions[];
  /** Called when a stage gave NaN and a fallback worked: tell the user, and remember `options`. */
  onRecovered?: (r: Recovery) => void;
}

/**
 * Opens a Stable Diffusion ONNX repo (SD-Turbo, SD 1.x/2.x, LCM; any dtype, one file or
 * external data): tokenizer, scheduler, and each component one at a time. Throws one clear
 * message when the repo lacks something the pipeline needs.
 */
export async function loadStableDiffusion(
  repo: RepoReader,
  createRunner: RunnerFactory,
  opts: LoadOptions = {},
): Promise<StableDiffusionModel & { description: ModelDescription }> {
  requireRunnable(repo.files);
  const tokenizer = ClipTokenizer.fromFiles(
    await repo.readText('tokenizer/vocab.json'),
    await repo.readText('tokenizer/merges.txt'),
    repo.files.includes('tokenizer/tokenizer_config.json') ? await repo.readText('tokenizer/tokenizer_config.json') : undefined,
  );
  const index = await readJson(repo, 'model_index.json');
  const schedulerConfig: SchedulerConfig = { _class_name: 'EulerDiscreteScheduler', ...(await readJson(repo, 'scheduler/scheduler_config.json')) };
  createScheduler(schedulerConfig); // fails now, with the class name, if the repo's scheduler is unknown
  const unetConfig = await readJson(repo, 'unet/config.json');
  const vaeConfig = await readJson(repo, 'vae_decoder/config.json');

  const loadMs: Record<string, number> = {};
  const load = async (component: string): Promise<ModelRunner> => {
    opts.onComponent?.(component);
    const t0 = performance.now();
    const path = componentModelPath(repo.files, component)!;
    const dir = path.slice(0, path.lastIndexOf('/') + 1);
    const read = (file: string) => (repo.readData ?? repo.readBytes).call(repo, file);
    const readExternal = async (location: string) => {
      const file = dir + location;
      if (!repo.files.includes(file)) throw new Error(`The ${component} model stores its weights in ${location}, which the repo does not have.`);
      return read(file);
    };
    // The prompt's embeddings are fed to every UNet call: they may stay in GPU memory.
    const base: RunnerOptions = component === 'text_encoder' ? { gpuResident: opts.gpuResident ?? true } : {};
    const open = async (options?: RunnerOptions) => createRunner(component, { model: await read(path), readExternal }, { ...base, ...options });
    const runner = await open(opts.overrides?.[component]);
    loadMs[component] = Math.round(performance.now() - t0);
    return guardFinite(component, runner, open, opts.fallbacks ?? [], opts.onRecovered);
  };
  // One at a time: sessions compete for memory while they initialise.
  const textEncoder = await load('text_encoder');
  const unet = await load('unet');
  const vaeDecoder = await load('vae_decoder');
  const vaeEncoder = componentModelPath(repo.files, 'vae_encoder') ? await load('vae_encoder') : undefined;

  const blocks = Array.isArray(vaeConfig.block_out_channels) ? vaeConfig.block_out_channels.length : 4;
  const vaeScaleFactor = 2 ** (blocks - 1);
  const family = detectFamily(index, schedulerConfig, unet);
  const description: ModelDescription = {
    family,
    defaults: { ...FAMILY_DEFAULTS[family], size: sampleSize(unetConfig, unet) * vaeScaleFactor },
    schedulerConfig,
    predictionType: String(schedulerConfig.prediction_type ?? 'epsilon'),
    img2img: !!vaeEncoder,
    loadMs,
  };
  return {
    family,
    tokenizer,
    textEncoder,
    unet,
    vaeDecoder,
    vaeEncoder,
    scheduler: (sampler) => createScheduler(sampler ? samplerConfig(schedulerConfig, sampler) : schedulerConfig),
    latentChannels: vaeConfig.latent_channels ?? unetConfig.in_channels ?? 4,
    vaeScaleFactor,
    vaeScalingFactor: vaeConfig.scaling_factor ?? 0.18215,
    description,
  };
}

/** Settings each family is made for: SD-Turbo 1 step without guidance, SD 25 steps at 7.5, LCM 4 steps at 8 (embedded). */
export const FAMILY_DEFAULTS: Record<Family, Omit<ModelDefaults, 'size'>> = {
  'sd-turbo': { steps: 1, guidanceScale: 0 },
  'stable-diffusion': { steps: 25, guidanceScale: 7.5 },
  lcm: { steps: 4, guidanceScale: 8 },
};

/**
 * LCM when the UNet takes a guidance embedding or the repo says so; SD-Turbo when the repo
 * ships Euler with trailing spacing (how stabilityai/sd-turbo is configured) or no
 * model_index.json at all (the ORT web exports); plain Stable Diffusion otherwise.
 */
export function detectFamily(index: Record<string, any>, scheduler: SchedulerConfig, unet: ModelRunner): Family {
  if ('timestep_cond' in unet.inputs || scheduler._class_name === 'LCMScheduler' || /LatentConsistency/.test(index._class_name ?? '')) return 'lcm';
  if (!index._class_name || (scheduler._class_name === 'EulerDiscreteScheduler' && scheduler.timestep_spacing === 'trailing')) return 'sd-turbo';
  return 'stable-diffusion';
}

function sampleSize(unetConfig: Record<string, any>, unet: ModelRunner): number {
  if (typeof unetConfig.sample_size === 'number') return unetConfig.sample_size;
  const h = unet.inputs.sample?.dims[2];
  return typeof h === 'number' ? h : 64;
}

async function readJson(repo: RepoReader, path: string): Promise<Record<string, any>> {
  return repo.files.includes(path) ? JSON.parse(await repo.readText(path)) : {};
}
