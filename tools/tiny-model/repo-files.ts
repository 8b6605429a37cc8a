// The files of a tiny repo: configs and tokenizer (cheap, from the family's spec) and
// ONNX models (built on demand, since the default UNet alone is 35 MB, and streamed to
// disk, since a big one is gigabytes). Listing a repo needs no model to be built.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { clipVocab, mergesTxt, readClipBpe, vocabJson } from './clip-vocab.ts';
import { type ExternalData, type FamilySpec, familySpec, type FamilyId } from './families.ts';
import { isZImageFamily, zImageParts } from './families-z-image.ts';
import { helperGraph, textEncoderGraph, unetGraph, vaeDecoderGraph, vaeEncoderGraph } from './graphs.ts';
import { TINY } from './layers.ts';
import { type GraphBuilder, shardName } from './onnx-writer.ts';

/** A group of files made together: an ONNX model and its external data come from one graph. */
interface Part {
  paths: string[];
  /** Writes the part's files under repoDir. */
  write(repoDir: string): Promise<void>;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';
const onnxModel = ['diffusers', 'OnnxRuntimeModel'];

/** Every file of a family's repo (or of a variant of its spec), in groups that can be listed without being built. */
export function repoParts(family: FamilyId, seed: number, given?: FamilySpec): Part[] {
  if (isZImageFamily(family)) return zImageParts(family, seed);
  const spec = given ?? familySpec(family);
  const { vocab, merges } = clipVocab(readClipBpe(), TINY.merges);
  // A repo without a tokenizer is run with the app's CLIP tokenizer: its encoders read all 49408 ids.
  const vocabSize = spec.fullVocab ? Object.keys(clipVocab(readClipBpe()).vocab).length : Object.keys(vocab).length;
  const configs = configFiles(spec, vocab, merges);
  const at = (dir: string, file: string) => (spec.flat ? file : `${dir}/${file}`);
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
    modelPart(at('text_encoder', spec.text.file), spec.text, () => textEncoderGraph(vocabSize, seed, spec.text.opts)),
  ];
  const text2 = spec.text2;
  // The second encoder's weights are its own: seeded apart from the first's.
  if (text2) parts.push(modelPart(at('text_encoder_2', text2.file), text2, () => textEncoderGraph(vocabSize, seed + 1000, text2.opts)));
  parts.push(
    modelPart(at('unet', spec.unet.file), spec.unet, () => unetGraph(seed, spec.unet.opts)),
    modelPart(at('vae_decoder', spec.vaeDecoder.file), spec.vaeDecoder, () => vaeDecoderGraph(seed, spec.vaeDecoder.opts)),
  );
  const encoder = spec.vaeEncoder;
  if (encoder) parts.push(modelPart(at('vae_encoder', encoder.file), encoder, () => vaeEncoderGraph(seed, encoder.opts)));
  for (const helper of spec.helpers ?? []) parts.push(modelPart(helper, {}, () => helperGraph(helper)));
  return parts;
}

/** One model file (its path in the repo) and its external data, if any, beside it. */
function modelPart(model: string, component: { external?: ExternalData }, build: () => GraphBuilder): Part {
  const dir = dirname(model);
  const { external } = component;
  const dataFiles = external ? Array.from({ length: external.shards ?? 1 }, (_, k) => `${dir}/${shardName(external.location, k)}`) : [];
  return {
    paths: [model, ...dataFiles],
    async write(repoDir) {
      await mkdir(join(repoDir, dir), { recursive: true });
      const g = build();
      if (!external) return g.writeModel(join(repoDir, model));
      await g.writeModelWithExternalData(join(repoDir, model), join(repoDir, dir, external.location), external.location, { threshold: external.threshold, shards: external.shards });
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

/** model_index.json, the scheduler, the tokenizers and component configs, as far as the real repo has them. */
function configFiles(spec: FamilySpec, vocab: Record<string, number>, merges: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  if (spec.pipelineConfigs !== false) {
    files['model_index.json'] = json(modelIndex(spec));
    files['scheduler/scheduler_config.json'] = json(spec.scheduler);
  }
  Object.assign(files, tokenizerFiles('tokenizer', spec.tokenizer ?? 'vocab', spec.padToken, vocab, merges));
  if (spec.text2) Object.assign(files, tokenizerFiles('tokenizer_2', spec.tokenizer ?? 'vocab', '!', vocab, merges));
  if (!spec.componentConfigs) return files;
  const vae = vaeConfig(spec.sampleSize * 8, spec.vaeScalingFactor ?? 0.18215);
  return {
    ...files,
    'text_encoder/config.json': json(textConfig(spec.text.opts.hidden, spec.padToken, vocab)),
    ...(spec.text2 ? { 'text_encoder_2/config.json': json(textConfig(spec.text2.opts.hidden, '!', vocab, 'CLIPTextModelWithProjection')) } : {}),
    'unet/config.json': json(unetConfig(spec)),
    'vae_decoder/config.json': json(vae),
    ...(spec.vaeEncoder ? { 'vae_encoder/config.json': json(vae) } : {}),
  };
}

/** One tokenizer folder's files; `pad` is SD 2's '!' (id 0) or SD 1's <|endoftext|>. */
function tokenizerFiles(dir: string, kind: NonNullable<FamilySpec['tokenizer']>, pad: string, vocab: Record<string, number>, merges: string[]): Record<string, string> {
  const special = (content: string) => ({ content, lstrip: false, normalized: true, rstrip: false, single_word: false });
  const specialTokens = {
    bos_token: special('<|startoftext|>'),
    eos_token: special('<|endoftext|>'),
    pad_token: pad,
    unk_token: special('<|endoftext|>'),
  };
  const config = json({ ...specialTokens, add_prefix_space: false, do_lower_case: true, errors: 'replace', model_max_length: TINY.maxLength, tokenizer_class: 'CLIPTokenizer' });
  switch (kind) {
    case 'none':
      return {};
    case 'vocab-only':
      return { [`${dir}/vocab.json`]: vocabJson(vocab), [`${dir}/merges.txt`]: mergesTxt(merges) };
    case 'json':
      return { [`${dir}/tokenizer.json`]: tokenizerJson(vocab, merges) };
    case 'json+config':
      return { [`${dir}/tokenizer.json`]: tokenizerJson(vocab, merges), [`${dir}/tokenizer_config.json`]: config };
    default:
      return {
        [`${dir}/vocab.json`]: vocabJson(vocab),
        [`${dir}/merges.txt`]: mergesTxt(merges),
        [`${dir}/special_tokens_map.json`]: json(specialTokens),
        [`${dir}/tokenizer_config.json`]: config,
      };
  }
}

/**
 * A fast tokenizer's tokenizer.json for CLIP, as transformers saves CLIPTokenizerFast (the
 * fields of webnn-developer-preview's demos/sdxl-turbo/models/tokenizer/tokenizer.json): NFC,
 * whitespace and lowercase normalizer, CLIP's split pattern, byte-level BPE with "</w>" word ends.
 */
export function tokenizerJson(vocab: Record<string, number>, merges: string[]): string {
  const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  const bos = vocab['<|startoftext|>']!;
  const eos = vocab['<|endoftext|>']!;
  return json({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(bos, '<|startoftext|>'), added(eos, '<|endoftext|>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', eos], cls: ['<|startoftext|>', bos], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: '<|endoftext|>', continuing_subword_prefix: '', end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  });
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
    ...(spec.text2 ? { text_encoder_2: onnxModel, tokenizer_2: ['transformers', 'CLIPTokenizer'], force_zeros_for_empty_prompt: true } : {}),
    unet: onnxModel,
    vae_decoder: onnxModel,
    ...(spec.vaeEncoder ? { vae_encoder: onnxModel } : {}),
  };
}

function textConfig(hidden: number, padToken: string, vocab: Record<string, number>, architecture = 'CLIPTextModel') {
  return {
    _class_name: architecture,
    architectures: [architecture],
    hidden_act: 'quick_gelu',
    hidden_size: hidden,
    intermediate_size: 4 * hidden,
    max_position_embeddings: TINY.maxLength,
    model_type: 'clip_text_model',
    num_attention_heads: 1,
    num_hidden_layers: 1,
    vocab_size: Object.keys(vocab).length,
    pad_token_id: vocab[padToken],
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
    ...(opts.added ? { addition_embed_type: 'text_time', addition_time_embed_dim: 8, projection_class_embeddings_input_dim: 48 + opts.added.textEmbedsWidth } : {}),
  };
}

function vaeConfig(sampleSize: number, scalingFactor: number) {
  return {
    _class_name: 'AutoencoderKL',
    in_channels: 3,
    out_channels: 3,
    latent_channels: 4,
    block_out_channels: TINY.vaeChannels,
    layers_per_block: 1,
    norm_num_groups: TINY.normGroups,
    sample_size: sampleSize,
    scaling_factor: scalingFactor,
  };
}
