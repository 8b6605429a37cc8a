import { ClipTokenizer } from './clip-tokenizer.ts';
import type { SdTurboModels } from './pipelines/sd-turbo.ts';
import { EulerDiscreteScheduler } from './schedulers/euler-discrete.ts';
import type { ModelRunner } from './tensor.ts';

/** Read access to one snapshot of a repo (the cache, a folder on disk, a test directory). */
export interface RepoReader {
  /** Paths of every file in the snapshot. */
  files: readonly string[];
  /** The file at `path` as text (configs, vocabulary); rejects when it cannot be read. */
  readText(path: string): Promise<string>;
  /** The whole file at `path` in memory (an ONNX model or its external data); rejects when it cannot be read. */
  readBytes(path: string): Promise<Uint8Array>;
}

/** Turns an ONNX model (plus its external-data files) into a runner. */
export type RunnerFactory = (
  name: string,
  model: Uint8Array,
  externalData: { path: string; data: Uint8Array }[],
) => Promise<ModelRunner>;

/** Without these the pipeline cannot run; everything else has a default. */
export const REQUIRED_FILES = [
  'tokenizer/vocab.json',
  'tokenizer/merges.txt',
  'text_encoder/model.onnx',
  'unet/model.onnx',
  'vae_decoder/model.onnx',
] as const;

const COMPONENTS = ['tokenizer/', 'text_encoder/', 'unet/', 'vae_decoder/', 'scheduler/'];

/** The files of a repo the SD-Turbo pipeline uses (not the VAE encoder, README images, …). */
export function pipelineFiles(paths: readonly string[]): string[] {
  return paths.filter((p) => p === 'model_index.json' || COMPONENTS.some((c) => p.startsWith(c)));
}

/** Sizes as the repo declares them, with SD 2.x defaults for repos that ship no configs. */
export interface ModelShape {
  latentChannels: number;
  vaeScaleFactor: number;
  vaeScalingFactor: number;
  /** Default image size in pixels (UNet `sample_size` × VAE scale factor). */
  defaultSize: number;
}

/** Reads latent channels, VAE scale factors and default image size from the UNet and VAE configs. */
export async function readModelShape(repo: RepoReader): Promise<ModelShape> {
  const unet = await readJson(repo, 'unet/config.json');
  const vae = await readJson(repo, 'vae_decoder/config.json');
  const blocks = Array.isArray(vae.block_out_channels) ? vae.block_out_channels.length : 4;
  const vaeScaleFactor = 2 ** (blocks - 1);
  return {
    latentChannels: vae.latent_channels ?? unet.in_channels ?? 4,
    vaeScaleFactor,
    vaeScalingFactor: vae.scaling_factor ?? 0.18215,
    defaultSize: (unet.sample_size ?? 64) * vaeScaleFactor,
  };
}

/**
 * Builds the tokenizer and scheduler and opens the text encoder, UNet and VAE decoder, one at a
 * time, each read whole into memory first. Throws when a file of `REQUIRED_FILES` is missing.
 */
export async function loadSdTurbo(
  repo: RepoReader,
  createRunner: RunnerFactory,
  onComponent: (name: string) => void = () => {},
): Promise<SdTurboModels & { shape: ModelShape }> {
  const missing = REQUIRED_FILES.filter((f) => !repo.files.includes(f));
  if (missing.length) throw new Error(`This repo is not an SD-Turbo ONNX model: missing ${missing.join(', ')}.`);
  const tokenizer = ClipTokenizer.fromFiles(
    await repo.readText('tokenizer/vocab.json'),
    await repo.readText('tokenizer/merges.txt'),
    repo.files.includes('tokenizer/tokenizer_config.json') ? await repo.readText('tokenizer/tokenizer_config.json') : undefined,
  );
  const schedulerConfig = await readJson(repo, 'scheduler/scheduler_config.json');
  const prediction = schedulerConfig.prediction_type ?? 'epsilon';
  if (prediction !== 'epsilon') {
    // The Euler step here assumes the UNet predicts noise; a v-prediction UNet would give garbage.
    throw new Error(`This model's UNet predicts "${prediction}"; only noise-predicting ("epsilon") models such as SD-Turbo are supported so far.`);
  }
  const scheduler = new EulerDiscreteScheduler(schedulerConfig);
  const shape = await readModelShape(repo);
  const load = async (component: string) => {
    onComponent(component);
    const external = repo.files.filter(
      (p) => p.startsWith(`${component}/`) && /\.(onnx_data|onnx\.data|pb|data)$/.test(p),
    );
    const externalData = await Promise.all(
      external.map(async (p) => ({ path: p.slice(component.length + 1), data: await repo.readBytes(p) })),
    );
    return createRunner(component, await repo.readBytes(`${component}/model.onnx`), externalData);
  };
  // One at a time: sessions compete for GPU memory while they initialise.
  const textEncoder = await load('text_encoder');
  const unet = await load('unet');
  const vaeDecoder = await load('vae_decoder');
  return { tokenizer, textEncoder, unet, vaeDecoder, scheduler, shape, ...shape };
}

async function readJson(repo: RepoReader, path: string): Promise<Record<string, any>> {
  return repo.files.includes(path) ? JSON.parse(await repo.readText(path)) : {};
}
