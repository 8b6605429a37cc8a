// The Z-Image-Turbo stand-ins: webnn/Z-Image-Turbo in its two layouts (z-image.md §2–3), with the
// real file names, shard names, I/O names, dtypes and tokenizer format, tiny weights, and no
// model_index.json, scheduler or VAE config (no loader of the repo reads one; whether it has them is
// not known, so the app's reference configuration must do).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataType, type GraphBuilder, shardName } from './onnx-writer.ts';
import { Z_TINY, zImageHelperGraph, zImageTextEncoderGraph, zImageTransformerGraph, zImageVaeDecoderGraph } from './graphs-z-image.ts';
import { QWEN3_STYLE_TEMPLATE, qwenTokenizer, qwenTokenizerConfig } from './qwen-tokenizer.ts';

/** The Z-Image families: id → default repo id, the real repo it stands for, what it is for. */
export const Z_IMAGE_FAMILIES = {
  'z-image-turbo': {
    repo: 'tiny/z-image-turbo',
    standsFor: 'webnn/Z-Image-Turbo (the re-export, rev 02e1d8cc…)',
    description:
      'Z-Image-Turbo re-exported: onnx/*_model_q4f16.onnx with int4 MatMulNBits/GatherBlockQuantized, data in .onnx_data + .onnx_data_1, fp16 I/O, 4-D latents [1,16,h,w], encoder_hidden_states → sample, Qwen3 chat template in tokenizer_config.json, helper graphs and safety checker, no configs. Text width 80 stands for 2560.',
  },
  'z-image-turbo-demo': {
    repo: 'tiny/z-image-turbo-demo',
    standsFor: "webnn/Z-Image-Turbo as webnn-developer-preview's demo loads it",
    description:
      'Z-Image-Turbo as the WebNN demo loads it: the same file names with one .onnx_data each, fp32 I/O, 5-D latents [batch,16,frames,h,w], encoder_hidden_state → unified_results [16,frames,h,w], tokenizer_config.json without a chat template, no configs.',
  },
} as const;

/** A Z-Image family id. */
export type ZImageFamilyId = keyof typeof Z_IMAGE_FAMILIES;

/** Whether `family` is one of the Z-Image stand-ins. */
export const isZImageFamily = (family: string): family is ZImageFamilyId => family in Z_IMAGE_FAMILIES;

/** What differs between the two layouts. */
interface Layout {
  io: typeof DataType.FLOAT | typeof DataType.FLOAT16;
  /** 5-D latents with a frames axis (the demo's export). */
  frames: boolean;
  /** External data files per big graph: 2 (`…onnx_data`, `…onnx_data_1`) or 1. */
  shards: number;
  textOutput: string;
  transformerOutput: string;
  /** tokenizer_config.json carries a chat template (Qwen3's shape) or none (the demo's copy). */
  chatTemplate: boolean;
  /** Merges as `["a","b"]` pairs (tokenizers ≥ 0.20, inferred from the re-export's larger tokenizer.json) or `"a b"` strings. */
  mergeFormat: 'pair' | 'string';
  /** The batch axis: fixed at 1 (re-export) or named (the demo's). */
  batch: 1 | 'batch_size';
}

const LAYOUTS: Record<ZImageFamilyId, Layout> = {
  'z-image-turbo': { io: DataType.FLOAT16, frames: false, shards: 2, textOutput: 'encoder_hidden_states', transformerOutput: 'sample', chatTemplate: true, mergeFormat: 'pair', batch: 1 },
  'z-image-turbo-demo': { io: DataType.FLOAT, frames: true, shards: 1, textOutput: 'encoder_hidden_state', transformerOutput: 'unified_results', chatTemplate: false, mergeFormat: 'string', batch: 'batch_size' },
};

const TEXT = 'onnx/text_encoder_model_q4f16.onnx';
const TRANSFORMER = 'onnx/transformer_model_q4f16.onnx';
const VAE = 'onnx/vae_decoder_model_f16.onnx';
const HELPERS = ['scheduler_step', 'vae_pre_process', 'sc_prep', 'safety_checker'].map((h) => `onnx/${h}_model_f16.onnx`);

/** A group of files made together (as repo-files.ts's parts): a graph and its external data come from one build. */
interface Part {
  paths: string[];
  write(repoDir: string): Promise<void>;
}

/** Sizes of a big Z-Image stand-in (see {@link zImageParts}): its text encoder's and transformer's files, in bytes. */
export interface BigZImageSizes {
  textEncoderBytes: number;
  transformerBytes: number;
}

/** The most one external-data shard holds, as webnn/Z-Image-Turbo's re-export splits them (≤ 1.9 GB). */
const MAX_SHARD_BYTES = 1.9e9;

/**
 * Every file of a Z-Image stand-in, in groups that can be listed without being built. With `big`,
 * the text encoder and transformer are grown to those sizes by tables that cost a Gather to run
 * (Net.ballast), in as many ≤ 1.9 GB shards as they need: a stand-in whose two big parts do not fit
 * one WebAssembly memory together, for `npm run bench:big`.
 */
export function zImageParts(family: ZImageFamilyId, seed: number, big?: BigZImageSizes): Part[] {
  const l = LAYOUTS[family];
  const shards = (bytes: number | undefined) => Math.max(l.shards, Math.ceil((bytes ?? 0) / MAX_SHARD_BYTES));
  const tokenizer = qwenTokenizer({ mergeFormat: l.mergeFormat });
  const configs: Record<string, string> = {
    'tokenizer/tokenizer.json': tokenizer.tokenizerJson,
    'tokenizer/tokenizer_config.json': qwenTokenizerConfig(tokenizer.added, l.chatTemplate ? QWEN3_STYLE_TEMPLATE : undefined),
  };
  const b = l.batch;
  const W = Z_TINY.textWidth;
  const C = Z_TINY.latentChannels;
  const latents = l.frames ? [b, C, 'num_frames', 'height', 'width'] : [b, C, 'height', 'width'];
  return [
    {
      paths: Object.keys(configs),
      async write(repoDir) {
        for (const [path, contents] of Object.entries(configs)) {
          await mkdir(dirname(join(repoDir, path)), { recursive: true });
          await writeFile(join(repoDir, path), contents);
        }
      },
    },
    graphPart(TEXT, shards(big?.textEncoderBytes), () =>
      zImageTextEncoderGraph(tokenizer.vocabSize, seed, {
        io: l.io, ids: [b, 'sequence_length'], mask: [b, 'total_sequence_length'], output: l.textOutput, hidden: [b, 'sequence_length', W], ballastBytes: big?.textEncoderBytes,
      }),
    ),
    graphPart(TRANSFORMER, shards(big?.transformerBytes), () =>
      zImageTransformerGraph(seed + 1, {
        io: l.io,
        latents,
        timestep: [b],
        context: [b, 'seq_len', W],
        output: l.transformerOutput,
        out: l.frames ? [C, 'num_frames', 'height', 'width'] : latents,
        ballastBytes: big?.transformerBytes,
      }),
    ),
    graphPart(VAE, 0, () => zImageVaeDecoderGraph(seed + 2, { io: l.io, latent: ['batch_size', C, 'latent_height', 'latent_width'], sample: ['batch_size', 3, 'height', 'width'] })),
    ...HELPERS.map((h) => graphPart(h, h.includes('safety_checker') ? 1 : 0, () => zImageHelperGraph(h, { io: l.io, frames: l.frames }))),
  ];
}

/** One graph and, with `shards` > 0, its external data beside it: `<file>_data`, `<file>_data_1`, … */
function graphPart(model: string, shards: number, build: () => GraphBuilder): Part {
  const location = `${model.slice(model.lastIndexOf('/') + 1)}_data`;
  const data = Array.from({ length: shards }, (_, k) => `${dirname(model)}/${shardName(location, k)}`);
  return {
    paths: [model, ...data],
    async write(repoDir) {
      await mkdir(join(repoDir, dirname(model)), { recursive: true });
      const g = build();
      if (!shards) return g.writeModel(join(repoDir, model));
      await g.writeModelWithExternalData(join(repoDir, model), join(repoDir, dirname(model), location), location, { threshold: 1024, shards });
    },
  };
}
