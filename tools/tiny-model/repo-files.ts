// The files of a tiny repo: configs and tokenizer (cheap, from the family's spec) and
// ONNX models (built on demand, since the default UNet alone is 35 MB, and streamed to
// disk, since a big one is gigabytes). Listing a repo needs no model to be built.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { clipVocab, mergesTxt, readClipBpe, vocabJson } from './clip-vocab.ts';
import { type ExternalData, type FamilySpec, familySpec, type FamilyId } from './families.ts';
import { textEncoderGraph, unetGraph, vaeDecoderGraph, vaeEncoderGraph } from './graphs.ts';
import { TINY } from './layers.ts';
import type { GraphBuilder } from './onnx-writer.ts';

/** A group of files made together: an ONNX model and its external data come from one graph. */
interface Part {
  paths: string[];
  /** Writes the part's files under repoDir. */
  write(repoDir: string): Promise<void>;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';
const onnxModel = ['diffusers', 'OnnxRuntimeModel'];

/** Every file of a family's repo (or of a variant of its spec), in groups that can be listed without being built. */
export function repoParts(family: FamilyId, seed: number, spec: FamilySpec = familySpec(family)): Part[] {
  const { vocab, merges } = clipVocab(readClipBpe(), TINY.merges);
  const vocabSize = Object.keys(vocab).length;
  const configs = configFiles(spec, vocab, merges);
  const parts: Part[] = [
    {
      paths: Object.keys(configs),
      async write(repoDir) {
        for (const [path, contents] of Object.entries(configs)) {
          await mkdir(dirname(join(repoDir, path)), { recursive: true });
          await writeFile(join(repoDir, path), contents);
        }
      },
    },
    modelPart('text_encoder', spec.text, () => textEncoderGraph(vocabSize, seed, spec.text.opts)),
    modelPart('unet', spec.unet, () => unetGraph(seed, spec.unet.opts)),
    modelPart('vae_decoder', spec.vaeDecoder, () => vaeDecoderGraph(seed, spec.vaeDecoder.opts)),
  ];
  const encoder = spec.vaeEncoder;
  if (encoder) parts.push(modelPart('vae_encoder', encoder, () => vaeEncoderGraph(seed, encoder.opts)));
  return parts;
}

function modelPart(dir: string, component: { file: string; external?: ExternalData }, build: () => GraphBuilder): Part {
  const model = `${dir}/${component.file}`;
  const { external } = component;
  const dataFile = external && `${dir}/${external.location}`;
  return {
    paths: dataFile ? [model, dataFile] : [model],
    async write(repoDir) {
      await mkdir(join(repoDir, dir), { recursive: true });
      const g = build();
      if (!external || !dataFile) return g.writeModel(join(repoDir, model));
      await g.writeModelWithExternalData(join(repoDir, model), join(repoDir, dataFile), external.location, { threshold: external.threshold });
    },
  };
}

/** How {@link bigSdTurboSpec} lays out the UNet: all in model.onnx, or its weights in model.onnx_data. */
export type BigLayout = 'single' | 'external';

/** Throws unless a big UNet of unetBytes can be written in this layout. */
export function checkBigOptions(unetBytes: number, layout: BigLayout): void {
  if (!Number.isSafeInteger(unetBytes) || unetBytes <= 0) throw new Error(`unetBytes wants a positive integer, got ${unetBytes}`);
  if (layout !== 'single' && layout !== 'external') throw new Error(`layout wants single or external, got ${String(layout)}`);
  if (layout === 'single' && unetBytes >= 2 ** 31) throw new Error(`a single-file UNet must stay under 2 GB (protobuf's limit), not ${unetBytes} bytes`);
}

/**
 * The `sd-turbo` family with a UNet of about `unetBytes` (model.onnx plus any
 * model.onnx_data): the tiny UNet plus ballast tables (Net.ballast) for the rest.
 */
export function bigSdTurboSpec(unetBytes: number, layout: BigLayout, seed = 0): FamilySpec {
  checkBigOptions(unetBytes, layout);
  const spec = familySpec('sd-turbo');
  const tinyBytes = unetGraph(seed, spec.unet.opts).toModel().length;
  const ballastBytes = unetBytes - tinyBytes;
  if (ballastBytes < 1e6) throw new Error(`unetBytes must be at least 1 MB over the tiny UNet's ${tinyBytes} bytes, got ${unetBytes}`);
  const external: ExternalData | undefined = layout === 'external' ? { location: 'model.onnx_data', threshold: 1024 } : undefined;
  return { ...spec, unet: { ...spec.unet, external, opts: { ...spec.unet.opts, ballastBytes } } };
}

/** model_index.json, the scheduler, the tokenizer and (where the real repo has them) component configs. */
function configFiles(spec: FamilySpec, vocab: Record<string, number>, merges: string[]): Record<string, string> {
  const special = (content: string) => ({ content, lstrip: false, normalized: true, rstrip: false, single_word: false });
  const specialTokens = {
    bos_token: special('<|startoftext|>'),
    eos_token: special('<|endoftext|>'),
    pad_token: spec.padToken, // SD 2's tokenizer pads with '!' (id 0), SD 1's with <|endoftext|>
    unk_token: special('<|endoftext|>'),
  };
  const files: Record<string, string> = {
    'model_index.json': json(modelIndex(spec)),
    'scheduler/scheduler_config.json': json(spec.scheduler),
    'tokenizer/vocab.json': vocabJson(vocab),
    'tokenizer/merges.txt': mergesTxt(merges),
    'tokenizer/special_tokens_map.json': json(specialTokens),
    'tokenizer/tokenizer_config.json': json({
      ...specialTokens,
      add_prefix_space: false,
      do_lower_case: true,
      errors: 'replace',
      model_max_length: TINY.maxLength,
      tokenizer_class: 'CLIPTokenizer',
    }),
  };
  if (!spec.componentConfigs) return files;
  const vae = vaeConfig(spec.sampleSize * 8);
  return {
    ...files,
    'text_encoder/config.json': json(textConfig(spec, vocab)),
    'unet/config.json': json(unetConfig(spec)),
    'vae_decoder/config.json': json(vae),
    ...(spec.vaeEncoder ? { 'vae_encoder/config.json': json(vae) } : {}),
  };
}

function modelIndex(spec: FamilySpec) {
  return {
    _class_name: spec.pipeline,
    _diffusers_version: '0.24.0',
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', spec.scheduler._class_name],
    text_encoder: onnxModel,
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: onnxModel,
    vae_decoder: onnxModel,
    ...(spec.vaeEncoder ? { vae_encoder: onnxModel } : {}),
  };
}

function textConfig(spec: FamilySpec, vocab: Record<string, number>) {
  const hidden = spec.text.opts.hidden;
  return {
    _class_name: 'CLIPTextModel',
    architectures: ['CLIPTextModel'],
    hidden_act: 'quick_gelu',
    hidden_size: hidden,
    intermediate_size: 4 * hidden,
    max_position_embeddings: TINY.maxLength,
    model_type: 'clip_text_model',
    num_attention_heads: 1,
    num_hidden_layers: 1,
    vocab_size: Object.keys(vocab).length,
    pad_token_id: vocab[spec.padToken],
    bos_token_id: vocab['<|startoftext|>'],
    eos_token_id: vocab['<|endoftext|>'],
  };
}

function unetConfig(spec: FamilySpec) {
  const { opts } = spec.unet;
  return {
    _class_name: 'UNet2DConditionModel',
    in_channels: 4,
    out_channels: 4,
    sample_size: spec.sampleSize,
    block_out_channels: TINY.unetChannels,
    cross_attention_dim: opts.hidden,
    attention_head_dim: TINY.attentionDim,
    layers_per_block: 1,
    norm_num_groups: TINY.normGroups,
    flip_sin_to_cos: true,
    ...(opts.timeCond ? { time_cond_proj_dim: opts.timeCond.dim } : {}),
  };
}

function vaeConfig(sampleSize: number) {
  return {
    _class_name: 'AutoencoderKL',
    in_channels: 3,
    out_channels: 3,
    latent_channels: 4,
    block_out_channels: TINY.vaeChannels,
    layers_per_block: 1,
    norm_num_groups: TINY.normGroups,
    sample_size: sampleSize,
    scaling_factor: 0.18215,
  };
}
