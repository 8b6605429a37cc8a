// Opens a flow-matching transformer repo (webnn/Z-Image-Turbo): its tokenizer and chat template,
// its three graphs, and the numbers the pipeline needs, from the repo's configs where it has them
// and otherwise from Z-Image-Turbo's own (diffusers' Tongyi-MAI/Z-Image-Turbo configs), saying
// which were assumed. What the sessions declare (latent rank, output names, widths) is checked
// against those numbers, so a mismatch is one clear message instead of a failed run.
import { ChatTokenizer } from './chat-tokenizer.ts';
import { EmbeddingCache, reopenableComponent } from './component-handle.ts';
import { guardFinite } from './nan-recovery.ts';
import { requireRunnable, type LoadOptions, type ModelDefaults, type RepoReader } from './load.ts';
import { describeLayout, variantById } from './repo-layout.ts';
import type { FlowMatchFamily, FlowMatchTransformerModel } from './pipelines/flow-match-transformer.ts';
import { createScheduler } from './schedulers/index.ts';
import type { SchedulerConfig } from './schedulers/scheduler.ts';
import type { ModelRunner, RunnerFactory, RunnerOptions } from './tensor.ts';

/**
 * Z-Image-Turbo's configuration, for repos that do not carry it (no loader of webnn/Z-Image-Turbo
 * reads a config; these are Tongyi-MAI/Z-Image-Turbo's): FlowMatchEulerDiscrete with shift 3 and no
 * dynamic shifting; Flux's 16-channel VAE (scaling 0.3611, shift 0.1159, 4 blocks = 8×); 512 tokens;
 * 8 steps without guidance at 1024² (diffusers' documented Turbo settings).
 */
export const Z_IMAGE_TURBO_REFERENCE = {
  scheduler: { _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift: 3, use_dynamic_shifting: false } satisfies SchedulerConfig,
  vae: { latent_channels: 16, scaling_factor: 0.3611, shift_factor: 0.1159, block_out_channels: [128, 256, 512, 512] },
  maxSequenceLength: 512,
  patchSize: 2,
  defaults: { steps: 8, guidanceScale: 0, size: 1024 } satisfies ModelDefaults,
} as const;

/** The ONNX components of a flow-matching transformer repo, in the order they are opened. */
export type FlowMatchComponent = 'text_encoder' | 'transformer' | 'vae_decoder';

/** The page's settings that a flow-matching Turbo model does not take (hidden for it). */
export type UnsupportedSetting = 'negativePrompt' | 'guidance' | 'sampler' | 'img2img';

/**
 * What Z-Image-Turbo does not take: it is distilled to run without guidance (so no negative
 * prompt), with its own flow-matching Euler sampler, and its pipeline has no VAE encoder.
 */
export const FLOW_MATCH_UNSUPPORTED: readonly UnsupportedSetting[] = ['negativePrompt', 'guidance', 'sampler', 'img2img'];

/** What a flow-matching repo is, for the engine and the page. */
export interface FlowMatchDescription {
  family: FlowMatchFamily;
  /** The pipeline that runs it. */
  pipeline: 'flow-match-transformer';
  defaults: ModelDefaults;
  /** The scheduler config used: the repo's, or the reference one. */
  schedulerConfig: SchedulerConfig;
  /** The transformer predicts a (negated) flow velocity. */
  predictionType: 'flow';
  /** No VAE encoder in the pipeline. */
  img2img: false;
  /** The page's settings that do not apply (hidden for this model). */
  unsupported: UnsupportedSetting[];
  /** `folders` (diffusers) or `flat` (one `onnx/` folder of `<component>_model_<variant>.onnx`, as webnn/Z-Image-Turbo). */
  layout: 'folders' | 'flat';
  /** The variant opened: its name suffix (`q4f16`, …) and label. */
  variant: { id: string; label: string };
  /** The graph each component opened. */
  files: Record<FlowMatchComponent, string>;
  /** `[1, C, h, w]` (4) or `[1, C, 1, h, w]` (5, the demo's export), as the transformer declares it. */
  latentRank: 4 | 5;
  /** The text encoder's token limit, counted after the chat template. */
  maxSequenceLength: number;
  /** Where the chat template came from. */
  chatTemplate: string;
  /** In words: every number taken from the reference configuration because the repo has no config for it. */
  assumed: string[];
  /** The reference configuration that filled the gaps, when one did (as Stable Diffusion's description says it). */
  reference?: { id: string; name: string; source: string };
  /** Where the tokenizer came from. */
  tokenizers: string[];
  /** The only image size the model makes, when its transformer's latent size is fixed by the export. */
  fixedSize?: { width: number; height: number };
  /** The transformer's fixed batch size, when it has one (1 in the re-export: a batch runs image by image). */
  fixedBatch?: number;
  /** Milliseconds it took to open each component (the text encoder's first opening). */
  loadMs: Record<string, number>;
}

/** How to load: the Stable Diffusion loader's options, plus what to do with the text encoder between prompts. */
export interface FlowMatchLoadOptions extends LoadOptions {
  /**
   * Close the text encoder after each new prompt's encoding and reopen it (from the cached files)
   * for the next new prompt; it is opened once at load to check it, then closed. For when the
   * text encoder and the transformer do not fit in memory together. Default false.
   */
  releaseTextEncoder?: boolean;
}

/**
 * Opens a flow-matching transformer repo (Z-Image-Turbo, either layout of webnn/Z-Image-Turbo):
 * tokenizer, scheduler, and the text encoder, transformer and VAE decoder one at a time. Throws
 * one clear message when the repo lacks something or its parts do not fit together.
 */
export async function loadFlowMatchTransformer(
  repo: RepoReader,
  createRunner: RunnerFactory,
  opts: FlowMatchLoadOptions = {},
): Promise<FlowMatchTransformerModel & { description: FlowMatchDescription }> {
  requireRunnable(repo.files, 'This repo', opts.variant);
  const layout = describeLayout(repo.files);
  const variant = variantById(layout, opts.variant);
  const models = variant.models as Record<FlowMatchComponent, string>;
  const assumed: string[] = [];
  const text = (p: string) => (repo.files.includes(p) ? repo.readText(p) : Promise.resolve(undefined));
  const tokenizer = ChatTokenizer.fromFiles((await text('tokenizer/tokenizer.json'))!, await text('tokenizer/tokenizer_config.json'), await text('tokenizer/chat_template.jinja'));
  if (tokenizer.templateSource === 'built-in ChatML') assumed.push('chat template: ChatML (the tokenizer has none), one user message with the generation prompt');

  const schedulerConfig = await schedulerConfigOf(repo, assumed);
  const vae = await vaeConfigOf(repo, assumed);
  const index = await readJson(repo, 'model_index.json');
  if (index._class_name && index._class_name !== 'ZImagePipeline') assumed.push(`model_index.json names ${index._class_name}; run as Z-Image`);

  const loadMs: Record<string, number> = {};
  const open = async (component: FlowMatchComponent, options?: RunnerOptions): Promise<ModelRunner> => {
    const path = models[component];
    const dir = path.slice(0, path.lastIndexOf('/') + 1);
    const read = (file: string) => (repo.readData ?? repo.readBytes).call(repo, file);
    const readExternal = async (location: string) => {
      const file = dir + location;
      if (!repo.files.includes(file)) throw new Error(`The ${component} model stores its weights in ${location}, which the repo does not have.`);
      return read(file);
    };
    return createRunner(component, { model: await read(path), readExternal }, options);
  };
  const load = async (component: FlowMatchComponent): Promise<ModelRunner> => {
    opts.onComponent?.(component);
    const t0 = performance.now();
    const reopen = (options: RunnerOptions) => open(component, options);
    const runner = await open(component, opts.overrides?.[component]);
    loadMs[component] ??= Math.round(performance.now() - t0);
    return guardFinite(component, runner, reopen, opts.fallbacks ?? [], opts.onRecovered);
  };

  // One at a time: sessions compete for memory while they initialise. The text encoder goes first
  // so that, when it is to be released, it is checked and closed before the transformer opens.
  const firstEncoder = await load('text_encoder');
  const encoderInfo = { inputs: firstEncoder.inputs, outputs: firstEncoder.outputs };
  const releaseTextEncoder = opts.releaseTextEncoder ?? false;
  if (releaseTextEncoder) await firstEncoder.release();
  const textEncoder = reopenableComponent('text_encoder', () => load('text_encoder'), releaseTextEncoder ? undefined : firstEncoder);
  const transformer = await load('transformer');
  const vaeDecoder = await load('vae_decoder');

  const latentRank = checkSignatures(encoderInfo, transformer, vaeDecoder, vae.latent_channels);
  const fixed = staticSize(transformer, vae.scaleFactor);
  const batch = transformer.inputs.hidden_states!.dims[0];
  const description: FlowMatchDescription = {
    family: 'z-image',
    pipeline: 'flow-match-transformer',
    defaults: { ...Z_IMAGE_TURBO_REFERENCE.defaults, size: fixed ?? Z_IMAGE_TURBO_REFERENCE.defaults.size },
    schedulerConfig,
    predictionType: 'flow',
    img2img: false,
    unsupported: [...FLOW_MATCH_UNSUPPORTED],
    layout: layout.kind,
    variant: { id: variant.id, label: variant.label },
    files: { text_encoder: models.text_encoder, transformer: models.transformer, vae_decoder: models.vae_decoder },
    latentRank,
    maxSequenceLength: Z_IMAGE_TURBO_REFERENCE.maxSequenceLength,
    chatTemplate: tokenizer.templateSource,
    assumed,
    reference: assumed.length ? { id: 'z-image-turbo', name: 'Z-Image-Turbo', source: 'Tongyi-MAI/Z-Image-Turbo' } : undefined,
    tokenizers: ['tokenizer/tokenizer.json'],
    fixedSize: fixed ? { width: fixed, height: fixed } : undefined,
    fixedBatch: typeof batch === 'number' ? batch : undefined,
    loadMs,
  };
  return {
    family: 'z-image',
    tokenizer,
    textEncoder,
    releaseTextEncoder,
    embeddings: new EmbeddingCache(),
    transformer,
    vaeDecoder,
    scheduler: () => createScheduler(schedulerConfig),
    sigmas: zImageSigmas,
    latentChannels: vae.latent_channels,
    vaeScaleFactor: vae.scaleFactor,
    patchSize: Z_IMAGE_TURBO_REFERENCE.patchSize,
    vaeScalingFactor: vae.scaling_factor,
    vaeShiftFactor: vae.shift_factor,
    maxSequenceLength: Z_IMAGE_TURBO_REFERENCE.maxSequenceLength,
    description,
  };
}

/**
 * Z-Image's σs before the shift: `torch.linspace(1, 1/steps, steps)` (diffusers'
 * get_default_z_image_sigmas) to the last bit, as torch's CPU kernel computes it in float32: the
 * first half counted up from 1, the rest down from 1/steps, one fused multiply-add each, except
 * that runs of 16 go through its 8-wide vector path (a base, then base + lane·step). Checked
 * against torch 1.13 for 1 to 60 steps (test/diffusion/fixtures/z-image-sigmas.json).
 */
export function zImageSigmas(steps: number): number[] {
  const f = Math.fround;
  if (steps === 1) return [1];
  const end = f(1 / steps);
  const step = f(f(end - 1) / (steps - 1));
  const half = Math.floor(steps / 2);
  const at = (i: number) => (i < half ? f(1 + step * i) : f(end - step * (steps - i - 1))); // step·i is exact in float64: one rounding, as an FMA
  const out: number[] = [];
  let i = 0;
  for (; i + 16 <= steps; i += 16) {
    for (const start of [i, i + 8]) {
      const base = at(start);
      for (let lane = 0; lane < 8; lane++) out.push(f(base + f(lane * step)));
    }
  }
  for (; i < steps; i++) out.push(at(i));
  return out;
}

async function schedulerConfigOf(repo: RepoReader, assumed: string[]): Promise<SchedulerConfig> {
  const own = await readJson(repo, 'scheduler/scheduler_config.json');
  if (!Object.keys(own).length) {
    assumed.push('scheduler: FlowMatchEulerDiscrete, shift 3, 1000 training steps (the repo has no scheduler_config.json)');
    return { ...Z_IMAGE_TURBO_REFERENCE.scheduler };
  }
  const config: SchedulerConfig = { _class_name: 'FlowMatchEulerDiscreteScheduler', ...own };
  if (config._class_name !== 'FlowMatchEulerDiscreteScheduler') {
    throw new Error(`scheduler/scheduler_config.json names ${config._class_name}; a flow-matching transformer needs FlowMatchEulerDiscreteScheduler.`);
  }
  createScheduler(config); // range-checks every field now, naming it
  return config;
}

/** The VAE's numbers: its config (vae/ as diffusers, or vae_decoder/) where there is one, each number checked; the reference ones otherwise. */
async function vaeConfigOf(repo: RepoReader, assumed: string[]) {
  const path = ['vae/config.json', 'vae_decoder/config.json'].find((p) => repo.files.includes(p));
  const own = path ? await readJson(repo, path) : {};
  const ref = Z_IMAGE_TURBO_REFERENCE.vae;
  const taken: string[] = [];
  const pick = <K extends keyof typeof ref>(key: K, ok: (v: unknown) => boolean, what: string): (typeof ref)[K] => {
    if (own[key] === undefined || own[key] === null) return taken.push(`${key} ${JSON.stringify(ref[key])}`), ref[key];
    if (!ok(own[key])) throw new RangeError(`${path}: ${key} must be ${what}, not ${JSON.stringify(own[key])}.`);
    return own[key];
  };
  const latent_channels = pick('latent_channels', (v) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 256, 'a whole number from 1 to 256');
  const scaling_factor = pick('scaling_factor', (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a number above 0');
  const shift_factor = pick('shift_factor', (v) => typeof v === 'number' && Number.isFinite(v), 'a finite number');
  const blocks = pick('block_out_channels', (v) => Array.isArray(v) && v.length >= 1 && v.length <= 8, 'a list of 1 to 8 widths');
  if (taken.length) assumed.push(`VAE: ${taken.join(', ')} (${path ? `not in ${path}` : 'the repo has no VAE config'})`);
  return { latent_channels, scaling_factor, shift_factor, scaleFactor: 2 ** (blocks.length - 1) };
}

type Signature = Pick<ModelRunner, 'inputs' | 'outputs'>;

/** Checks the three graphs fit each other and the VAE config; returns the transformer's latent rank. */
function checkSignatures(encoder: Signature, transformer: Signature, vae: Signature, channels: number): 4 | 5 {
  const need = (what: string, s: Signature, names: string[]) => {
    const lacking = names.filter((n) => !(n in s.inputs));
    if (lacking.length) throw new Error(`The ${what} has no input ${lacking.join(', ')} (it takes ${Object.keys(s.inputs).join(', ')}).`);
  };
  need('text encoder', encoder, ['input_ids']);
  need('transformer', transformer, ['hidden_states', 'timestep', 'encoder_hidden_states']);
  need('VAE decoder', vae, ['latent_sample']);
  const latents = transformer.inputs.hidden_states!.dims;
  if (latents.length !== 4 && latents.length !== 5) throw new Error(`The transformer's hidden_states has ${latents.length} dimensions; expected [1, C, h, w] or [1, C, 1, h, w].`);
  const declared = [latents[1], vae.inputs.latent_sample!.dims[1]];
  for (const c of declared) if (typeof c === 'number' && c !== channels) throw new Error(`The graphs take ${c} latent channels but the VAE config says ${channels}.`);
  const out = Object.keys(encoder.outputs);
  const hidden = encoder.outputs[['encoder_hidden_states', 'encoder_hidden_state'].find((n) => out.includes(n)) ?? out[0]!];
  const textWidth = hidden?.dims.at(-1);
  const contextWidth = transformer.inputs.encoder_hidden_states!.dims.at(-1);
  if (typeof textWidth === 'number' && typeof contextWidth === 'number' && textWidth !== contextWidth) {
    throw new Error(`The text encoder gives ${textWidth}-wide embeddings but the transformer takes ${contextWidth}.`);
  }
  return latents.length as 4 | 5;
}

/** The image size a graph with fixed latent dims was exported for, in pixels. */
function staticSize(transformer: ModelRunner, scaleFactor: number): number | undefined {
  const dims = transformer.inputs.hidden_states!.dims;
  const [h, w] = dims.slice(-2);
  return typeof h === 'number' && h === w ? h * scaleFactor : undefined;
}

async function readJson(repo: RepoReader, path: string): Promise<Record<string, any>> {
  if (!repo.files.includes(path)) return {};
  try {
    return JSON.parse(await repo.readText(path));
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}
