// Opening a Stable Diffusion ONNX repo: its layout and variant (repo-layout.ts), its configs
// (checked, config-checks.ts), its components one at a time, its tokenizers (tokenizer-files.ts),
// and, where the repo says nothing, its family's reference configuration (reference-configs.ts).
// The description says what was read, what was assumed and why.
import type { ClipTokenizer } from './clip-tokenizer.ts';
import { configBoolean, configInteger, configIntegers, configPositive, configSampleSize, ConfigError } from './config-checks.ts';
import { guardFinite, type Recovery } from './nan-recovery.ts';
import type { StableDiffusionModel } from './pipelines/stable-diffusion.ts';
import { architectureOf, chooseReference, familyOf, stepsFromName, type Family, type UnetSignature } from './reference-configs.ts';
import { describeLayout, missingFiles, pipelineKind, variantById, type Component, type ModelVariant } from './repo-layout.ts';
import { createScheduler, samplerConfig } from './schedulers/index.ts';
import type { SchedulerConfig } from './schedulers/scheduler.ts';
import type { ModelRunner, RunnerFactory, RunnerOptions } from './tensor.ts';
import { openTokenizer } from './tokenizer-files.ts';
import { freeDimensionOverrides, type PinnedShape, type ShapeFacts } from './free-dimensions.ts';
import { clipSkipSupport, type ClipSkipSupport } from './text-layers.ts';



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

/** Defaults for the settings people know, from the repo. */
export interface ModelDefaults {
  steps: number;
  guidanceScale: number;
  /** Image size the model was made for, in pixels (UNet `sample_size` × VAE scale factor). */
  size: number;
}

/** What the repo is, read from its configs and sessions, and what had to be assumed. */
export interface ModelDescription {
  family: Family;
  defaults: ModelDefaults;
  /** The scheduler config the repo ships (with defaults filled in), or its family's reference one. */
  schedulerConfig: SchedulerConfig;
  /** `epsilon` or `v_prediction`. */
  predictionType: string;
  /** Whether the repo has a VAE encoder, so img2img works. */
  img2img: boolean;
  /** Milliseconds it took to open each component (read its files, create its session). */
  loadMs: Record<string, number>;
  /** `folders` (diffusers, optimum) or `flat` (one `onnx/` folder of `<component>_model_<variant>.onnx`). */
  layout: 'folders' | 'flat';
  /** The variant opened: its name suffix (`''`, `q4f16`, …) and label. */
  variant: { id: string; label: string };
  /** The reference configuration that filled gaps, when the repo lacked configs. */
  reference?: { id: string; name: string; source: string };
  /** For the page, one sentence per assumption: what the repo did not say, what was used instead, and why. Empty when it said everything. */
  assumed: string[];
  /** Where each tokenizer came from (`tokenizer/tokenizer.json`, the shipped CLIP tokenizer, …). */
  tokenizers: string[];
  /** The only image size the model makes, when its UNet's latent size is fixed (static shapes, or pinned by `pinShape`). */
  fixedSize?: { width: number; height: number };
  /** The UNet's fixed batch size, when it has one (1: guidance runs as two UNet calls per step). */
  fixedBatch?: number;
  /** How far A1111's Clip skip goes on this model, and why not (further). */
  clipSkip: ClipSkipSupport;
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
  /** The repo's id (`org/name`): its name helps pick the reference configuration when the repo ships none. */
  repoId?: string;
  /** The variant to open (an id of `describeLayout(files).variants`, e.g. from `chooseVariant`); the first when left out. */
  variant?: string;
  /**
   * Pins symbolic dimensions (onnxruntime's freeDimensionOverrides) to batch 1, 77 tokens and
   * this image size, as WebNN wants; `'default'` pins the size the model is made for (the UNet
   * config's sample_size, else its family's reference, read before the UNet opens).
   */
  pinShape?: PinnedShape | 'default';
}

/** Throws one clear message when a repo's file list (of `variant`) lacks what the pipeline needs; `what` names the repo in it. */
export function requireRunnable(files: readonly string[], what = 'This repo', variant?: string): void {
  const missing = missingFiles(files, variant);
  const kind = pipelineKind(files) === 'flow-match-transformer' ? 'flow-matching transformer' : 'Stable Diffusion ONNX';
  if (missing.length) throw new Error(`${what} is not a ${kind} model this app can run: it has no ${missing.join(', ')}.`);
}

/** A loaded model and its description. */
export type LoadedModel = StableDiffusionModel & { description: ModelDescription };

/**
 * Opens a Stable Diffusion ONNX repo (SD-Turbo, SD 1.x/2.x, LCM, SDXL; any dtype, one file or
 * external data, folders or a flat `onnx/` folder): configs, each component one at a time,
 * tokenizers, scheduler. Throws one clear message when the repo lacks something the pipeline
 * needs or a config holds a value it cannot use.
 */
export async function loadStableDiffusion(repo: RepoReader, createRunner: RunnerFactory, opts: LoadOptions = {}): Promise<LoadedModel> {
  requireRunnable(repo.files, 'This repo', opts.variant);
  const layout = describeLayout(repo.files);
  const variant = variantById(layout, opts.variant);
  const index = await readJson(repo, 'model_index.json');
  const schedulerFile = await readJson(repo, 'scheduler/scheduler_config.json');
  const unetConfig = await readJson(repo, 'unet/config.json');
  const vaeConfig = await readJson(repo, 'vae_decoder/config.json');
  const vae = checkedVaeConfig(vaeConfig, 'vae_decoder/config.json');
  const unetSampleSize = configSampleSize(unetConfig, 'unet/config.json');
  const unetChannels = configInteger(unetConfig, 'unet/config.json', 'in_channels', 1, 64);
  const forceZeros = configBoolean(index, 'model_index.json', 'force_zeros_for_empty_prompt');

  const loadMs: Record<string, number> = {};
  const vaeScaleFactor = 2 ** ((vae.blocks ?? 4) - 1);
  const latent: ShapeFacts = { channels: vae.channels ?? unetChannels ?? 4, scale: vaeScaleFactor };
  let pin = opts.pinShape === 'default' ? undefined : opts.pinShape;
  const pinned = () => (opts.pinShape ? (pin ?? TEXT_ONLY_PIN) : undefined);
  const open = (component: Component) => openComponent(repo, variant, component, createRunner, opts, loadMs, latent, pinned());
  // One at a time: sessions compete for memory while they initialise.
  const textEncoder = await open('text_encoder');
  const textEncoder2 = variant.models.text_encoder_2 ? await open('text_encoder_2') : undefined;
  const pooled = textEncoder2?.outputs.text_embeds?.dims[1];
  if (typeof pooled === 'number') latent.pooledWidth = pooled;
  if (opts.pinShape === 'default') {
    // The UNet's size must be pinned before it opens: its config's, else its family's, guessed
    // from the text encoders (an LCM, told apart only by the UNet's timestep_cond, ships a config).
    const size = (unetSampleSize ?? chooseReference(textSignature(textEncoder, textEncoder2), opts.repoId ?? '').reference.sampleSize) * vaeScaleFactor;
    pin = { width: size, height: size };
  }
  const unet = await open('unet');

  const width = unet.inputs.encoder_hidden_states?.dims[2];
  const signature = { inputs: Object.keys(unet.inputs), textWidth: typeof width === 'number' ? width : undefined };
  const { reference, because } = chooseReference(signature, opts.repoId ?? '');
  const assumed: string[] = [];
  const hasScheduler = repo.files.includes('scheduler/scheduler_config.json');
  // The repo's own scheduler wins; without one, its family's (see reference-configs.ts for why this table exists).
  const schedulerConfig: SchedulerConfig = hasScheduler ? { _class_name: 'EulerDiscreteScheduler', ...schedulerFile } : { ...reference.scheduler };
  createScheduler(schedulerConfig); // fails now, with the class name, if the repo's scheduler is unknown
  if (!hasScheduler) assumed.push(`No scheduler/scheduler_config.json: using ${reference.name}'s (${reference.source}: ${describeScheduler(reference.scheduler)}), because ${because}.`);
  const family = hasScheduler ? familyOf(architectureOf(signature).architecture, schedulerConfig, String(index._class_name ?? '')) : reference.family;

  const tokenizers: string[] = [];
  const tokenizer = await tokenizerOf(repo, 'tokenizer', reference.padTokens[0], tokenizers, assumed);
  const tokenizer2 = textEncoder2 ? await tokenizerOf(repo, 'tokenizer_2', reference.padTokens[1] ?? '!', tokenizers, assumed) : undefined;

  const vaeDecoder = await open('vae_decoder');
  const vaeEncoder = variant.models.vae_encoder ? await open('vae_encoder') : undefined;

  const vaeScalingFactor = vae.scaling ?? reference.vaeScalingFactor;
  if (vae.scaling === undefined) assumed.push(`No VAE scaling_factor in vae_decoder/config.json: using ${reference.name}'s ${reference.vaeScalingFactor}.`);
  const fixed = fixedLatents(unet, pin, vaeScaleFactor);
  const sampleSize = fixed?.height ?? unetSampleSize ?? reference.sampleSize;
  if (unetSampleSize === undefined && !fixed) assumed.push(`No sample_size in unet/config.json: making ${reference.sampleSize * vaeScaleFactor} px images by default, as ${reference.name} does.`);
  const batchDim = unet.inputs.sample?.dims[0];
  const textDim = unet.inputs.encoder_hidden_states?.dims[1];
  // Distilled models are made for a step count their name often gives (SDXL-Lightning's "4step").
  const named = family === 'sd-turbo' || family === 'sdxl-turbo' ? stepsFromName(opts.repoId) : undefined;
  const steps = named ?? (hasScheduler ? FAMILY_DEFAULTS[family].steps : reference.steps);
  const description: ModelDescription = {
    family,
    defaults: { steps, guidanceScale: hasScheduler ? FAMILY_DEFAULTS[family].guidanceScale : reference.guidanceScale, size: sampleSize * vaeScaleFactor },
    schedulerConfig,
    predictionType: String(schedulerConfig.prediction_type ?? 'epsilon'),
    img2img: !!vaeEncoder,
    loadMs,
    layout: layout.kind,
    variant: { id: variant.id, label: variant.label },
    reference: assumed.length ? { id: reference.id, name: reference.name, source: reference.source } : undefined,
    assumed,
    tokenizers,
    fixedSize: fixed && { width: fixed.width * vaeScaleFactor, height: fixed.height * vaeScaleFactor },
    fixedBatch: typeof batchDim === 'number' ? batchDim : pin ? 1 : undefined,
    clipSkip: clipSkipSupport({ tokenizer, textEncoder, textEncoder2 }),
  };
  const latentChannels = vae.channels ?? unetChannels ?? numberOr(unet.inputs.sample?.dims[1], 4);
  return {
    family,
    tokenizer,
    textEncoder,
    tokenizer2,
    textEncoder2,
    unet,
    vaeDecoder,
    vaeEncoder,
    scheduler: (sampler) => createScheduler(sampler ? samplerConfig(schedulerConfig, sampler) : schedulerConfig),
    latentChannels,
    vaeScaleFactor,
    vaeScalingFactor,
    forceZerosForEmptyPrompt: textEncoder2 ? (forceZeros ?? true) : undefined,
    fixedTextLength: typeof textDim === 'number' ? textDim : opts.pinShape ? tokenizer.maxLength : undefined,
    description,
  };
}

/** Settings each family is made for when the repo ships a scheduler: Turbo 1 step without guidance, SD 25 steps at 7.5, LCM 4 steps at 8 (embedded), SDXL 25 at 5. */
export const FAMILY_DEFAULTS: Record<Family, Omit<ModelDefaults, 'size'>> = {
  'sd-turbo': { steps: 1, guidanceScale: 0 },
  'stable-diffusion': { steps: 25, guidanceScale: 7.5 },
  lcm: { steps: 4, guidanceScale: 8 },
  'sdxl-turbo': { steps: 1, guidanceScale: 0 },
  sdxl: { steps: 25, guidanceScale: 5 },
};

/** Opens one component of the variant, with its external data, remembered settings and the NaN guard. */
async function openComponent(
  repo: RepoReader,
  variant: ModelVariant,
  component: Component,
  createRunner: RunnerFactory,
  opts: LoadOptions,
  loadMs: Record<string, number>,
  latent: ShapeFacts,
  pin: PinnedShape | undefined,
): Promise<ModelRunner> {
  opts.onComponent?.(component);
  const t0 = performance.now();
  const path = variant.models[component]!;
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  const read = (file: string) => (repo.readData ?? repo.readBytes).call(repo, file);
  const readExternal = async (location: string) => {
    const file = dir + location;
    if (!repo.files.includes(file)) throw new Error(`The ${component} model stores its weights in ${location}, which the repo does not have.`);
    return read(file);
  };
  // The prompt's embeddings are fed to every UNet call: they may stay in GPU memory.
  const base: RunnerOptions = component === 'text_encoder' && !variant.models.text_encoder_2 ? { gpuResident: opts.gpuResident ?? true } : {};
  if (pin) base.freeDimensionOverrides = freeDimensionOverrides(component, pin, latent);
  const reopen = async (options?: RunnerOptions) => createRunner(component, { model: await read(path), readExternal }, { ...base, ...options });
  const runner = await reopen(opts.overrides?.[component]);
  loadMs[component] = Math.round(performance.now() - t0);
  return guardFinite(component, runner, reopen, opts.fallbacks ?? [], opts.onRecovered);
}

async function tokenizerOf(repo: RepoReader, dir: 'tokenizer' | 'tokenizer_2', pad: string, sources: string[], assumed: string[]): Promise<ClipTokenizer> {
  const opened = await openTokenizer(repo, dir, pad);
  sources.push(opened.source);
  if (opened.assumed) assumed.push(opened.assumed);
  return opened.tokenizer;
}

/** The VAE config's numbers, checked: block count (the scale factor is 2^(n−1)), latent channels, scaling factor. */
function checkedVaeConfig(config: Record<string, unknown>, file: string) {
  const blocks = configIntegers(config, file, 'block_out_channels', 8, 1, 8192)?.length;
  return { blocks, channels: configInteger(config, file, 'latent_channels', 1, 64), scaling: configPositive(config, file, 'scaling_factor', 100) };
}

/** Text encoders' pins do not depend on the image size: what they are opened with before the size is known. */
const TEXT_ONLY_PIN: PinnedShape = { width: 512, height: 512 };

/** What the text encoders say of the UNet to come: SDXL when there are two, else the first one's width. */
function textSignature(textEncoder: ModelRunner, textEncoder2: ModelRunner | undefined): UnetSignature {
  if (textEncoder2) return { inputs: ['text_embeds', 'time_ids'], textWidth: 2048 };
  const width = Object.values(textEncoder.outputs).map((o) => o.dims[2]).find((d) => typeof d === 'number');
  return { inputs: [], textWidth: typeof width === 'number' ? width : undefined };
}

/** The UNet's latent size when fixed by the export (numbers in its `sample` dims) or pinned. */
function fixedLatents(unet: ModelRunner, pin: PinnedShape | undefined, vaeScaleFactor: number): { width: number; height: number } | undefined {
  const [, , h, w] = unet.inputs.sample?.dims ?? [];
  if (typeof h === 'number' && typeof w === 'number') return { width: w, height: h };
  return pin && { width: Math.floor(pin.width / vaeScaleFactor), height: Math.floor(pin.height / vaeScaleFactor) };
}

function describeScheduler(c: SchedulerConfig): string {
  return `${c._class_name}, ${c.beta_schedule} ${c.beta_start}–${c.beta_end}, ${c.timestep_spacing ?? 'leading'} spacing, ${c.num_train_timesteps} training steps`;
}

const numberOr = (v: unknown, fallback: number) => (typeof v === 'number' && v >= 1 && v <= 64 ? v : fallback);

async function readJson(repo: RepoReader, path: string): Promise<Record<string, any>> {
  if (!repo.files.includes(path)) return {};
  let value: unknown;
  try {
    value = JSON.parse(await repo.readText(path));
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path} must hold a JSON object.`);
  return value as Record<string, any>;
}

