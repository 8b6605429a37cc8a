// One tiny stand-in per kind of ONNX Stable Diffusion repo the studio meets on the Hub:
// the real repo's file names, input/output names, dtypes, symbolic dimension names,
// external-data files and configs, with tiny random weights. What could be read from the
// real repos (or code that loads them) is followed; the rest follows the exporter that
// made them (diffusers' convert_stable_diffusion_checkpoint_to_onnx.py, optimum, Olive),
// and each such guess is marked "assumed".
import { DataType, type Dim } from './onnx-writer.ts';
import { type FloatType, TINY } from './layers.ts';
import {
  SD_TURBO_TEXT,
  SD_TURBO_UNET,
  SD_TURBO_VAE_DECODER,
  type TextEncoderOptions,
  type UnetOptions,
  type VaeDecoderOptions,
  type VaeEncoderOptions,
} from './graphs.ts';
import { SCHEDULERS } from './schedulers.ts';
import type { ExternalData, FamilySpec } from './family-spec.ts';
import { sdxlLightning, sdxlTurboWebnn } from './families-sdxl.ts';
import { Z_IMAGE_FAMILIES } from './families-z-image.ts';

export type { ExternalData, FamilySpec, TokenizerFiles } from './family-spec.ts';

const { FLOAT, FLOAT16 } = DataType;

/** The Stable Diffusion families: id → default repo id, the real repo it stands for, what it is for. */
const SD_FAMILIES = {
  'sd-turbo': {
    repo: 'tiny/sd-turbo-tiny',
    standsFor: 'schmuell/sd-turbo-ort-web',
    description: 'SD-Turbo layout with fp32 weights and I/O and a ~35 MB UNet, for download and cache tests.',
  },
  'sd-turbo-fp16': {
    repo: 'tiny/sd-turbo-fp16',
    standsFor: 'schmuell/sd-turbo-ort-web',
    description: 'SD-Turbo as it really is: fp16 weights and fp16 math inside, fp32 I/O (fails on WebGPU without shader-f16).',
  },
  sd15: {
    repo: 'tiny/sd15-onnx-fp16',
    standsFor: 'nmkd/stable-diffusion-1.5-onnx-fp16',
    description: 'SD 1.5 diffusers fp16 export: fp16 I/O, UNet weights in unet/weights.pb, PNDM, VAE encoder.',
  },
  sd21: {
    repo: 'tiny/sd21-base-onnx',
    standsFor: 'aislamov/stable-diffusion-2-1-base-onnx',
    description: 'SD 2.1 base: model.onnx + model.onnx_data in every component, fp32 I/O, float32 timestep, PNDM.',
  },
  'sd2-v': {
    repo: 'tiny/sd2-v-onnx',
    standsFor: 'stabilityai/stable-diffusion-2-1 (768 v-prediction), exported like aislamov/stable-diffusion-2-1-base-onnx',
    description: 'SD 2.x v-prediction: the sd21 layout with DDIM v_prediction and a larger sample_size (24 → 192 px).',
  },
  lcm: {
    repo: 'tiny/lcm-dreamshaper-onnx',
    standsFor: 'aislamov/lcm-dreamshaper-v7-onnx',
    description: 'LCM: UNet with timestep float32 [1] and timestep_cond [batch, 256] in unet/model.onnx_data, LCMScheduler.',
  },
  webnn: {
    repo: 'tiny/sd-turbo-webnn',
    standsFor: 'microsoft/sd-turbo-webnn',
    description: 'SD-Turbo for WebNN: static shapes (batch 1, 77 tokens, 16×16 latents), fp16 text output and UNet I/O in model_layernorm.onnx files, fp32 VAE, no configs or tokenizer.',
  },
  'tanh-vae': {
    repo: 'tiny/sd-turbo-tanh',
    standsFor: 'schmuell/sd-turbo-ort-web (VAE changed)',
    description: 'SD-Turbo whose VAE decoder ends in Conv → Tanh with pre-activations in the hundreds: a NaN-detection fixture.',
  },
  'sd-turbo-bare': {
    repo: 'tiny/sd-turbo-bare',
    standsFor: 'schmuell/sd-turbo-ort-web, as its public loaders fetch it',
    description: 'The sd-turbo ONNX files and tokenizer/vocab.json + merges.txt only: no model_index.json, scheduler or component configs.',
  },
  'sd-turbo-tokenizer-json': {
    repo: 'tiny/sd-turbo-tokenizer-json',
    standsFor: 'repos with a fast tokenizer only (Cyronius/sdxl-lightning-4step-onnx-web, webnn demos)',
    description: 'The sd-turbo repo with tokenizer/tokenizer.json instead of vocab.json, merges.txt and tokenizer_config.json.',
  },
  sdxl: {
    repo: 'tiny/sdxl-lightning-4step-onnx',
    standsFor: 'Cyronius/sdxl-lightning-4step-onnx-web-fp16-3shard',
    description: 'SDXL in the diffusers layout: two text encoders, tokenizer.json only, UNet data in model.onnx_data + _1 + _2, fp32 I/O, Euler trailing.',
  },
  'sdxl-turbo-webnn': {
    repo: 'tiny/sdxl-turbo-webnn',
    standsFor: 'webnn/sdxl-turbo',
    description: 'SDXL-Turbo in one onnx/ folder: *_model_q4f16.onnx with int4 MatMulNBits/GatherBlockQuantized, fp16 I/O, int64 ids for encoder 2, helper graphs, no configs.',
  },
} as const satisfies Record<string, FamilyInfo>;

/** Every family: the Stable Diffusion ones (built from a {@link FamilySpec}) and the Z-Image ones (families-z-image.ts). */
export const FAMILIES = { ...SD_FAMILIES, ...Z_IMAGE_FAMILIES } as const satisfies Record<string, FamilyInfo>;

/** What {@link FAMILIES} says of each family. */
export interface FamilyInfo {
  /** Where `ensureTinyModel` puts it by default, under the hub root. */
  repo: string;
  /** The Hub repo whose layout and signatures it copies. */
  standsFor: string;
  description: string;
}

/** A family id, such as `'sd15'`. */
export type FamilyId = keyof typeof FAMILIES;
/** A Stable Diffusion family id: one {@link familySpec} describes. */
export type SdFamilyId = keyof typeof SD_FAMILIES;

// Text widths: SD 2.x's 1024 becomes 64, SD 1.x's 768 becomes 96, so the two never match.
const SD2_HIDDEN = TINY.hidden;
const SD1_HIDDEN = 96;

/** Dims of an optimum export (schmuell's and, assumed, aislamov's repos): named by what they are. */
function optimumDims(hidden: number) {
  return {
    ids: ['batch_size', 'sequence_length'],
    hiddenState: ['batch_size', 'sequence_length', hidden],
    pooler: ['batch_size', hidden],
    sample: ['batch_size', 'num_channels', 'height', 'width'],
    context: ['batch_size', 'sequence_length', hidden],
    out: ['batch_size', 4, 'height', 'width'],
    latent: ['batch_size', 'num_channels_latent', 'height_latent', 'width_latent'],
    image: ['batch_size', 3, 'height', 'width'],
    imageIn: ['batch_size', 'num_channels', 'height', 'width'],
    latentOut: ['batch_size', 4, 'height_latent', 'width_latent'],
  } satisfies Record<string, Dim[]>;
}

/** The one component set all SD-Turbo-based families start from. */
function sdTurbo(compute: FloatType, timeBiasTokens: number): Pick<FamilySpec, 'text' | 'unet' | 'vaeDecoder'> {
  return {
    text: { file: 'model.onnx', opts: { ...SD_TURBO_TEXT, compute } },
    unet: { file: 'model.onnx', opts: { ...SD_TURBO_UNET, compute, timeBiasTokens } },
    vaeDecoder: { file: 'model.onnx', opts: { ...SD_TURBO_VAE_DECODER, compute } },
  };
}

const SD_TURBO_REPO = {
  pipeline: 'StableDiffusionPipeline',
  scheduler: SCHEDULERS.eulerTrailing,
  padToken: '!',
  componentConfigs: true,
  sampleSize: 16,
} as const;

/**
 * sd21, sd2-v and lcm: aislamov's exports as his diffusers.js loads them: `model.onnx`
 * with `model.onnx_data` beside it, a config.json per component (it reads the VAE's
 * block_out_channels from one), float32 timestep, `latent_sample` out of the VAE encoder.
 * The optimum-style dim names, pooler_output and the model_index.json entries are assumed.
 */
function aislamov(hidden: number, external: readonly string[], timestep: UnetOptions['timestep']): Omit<FamilySpec, 'scheduler' | 'pipeline' | 'padToken' | 'sampleSize'> {
  const d = optimumDims(hidden);
  // onnx.save_model's default threshold, as the exporter would have written them.
  const data = (component: string): ExternalData | undefined =>
    external.includes(component) ? { location: 'model.onnx_data', threshold: 1024 } : undefined;
  // fp32 everywhere, as the repos' 'cpu' revisions; their main revisions hold fp16 weights behind fp32 I/O.
  const io = { io: FLOAT, compute: FLOAT } as const;
  return {
    text: { file: 'model.onnx', external: data('text_encoder'), opts: { ...io, hidden, ids: d.ids, hiddenState: d.hiddenState, pooler: d.pooler } },
    unet: {
      file: 'model.onnx',
      external: data('unet'),
      opts: { ...io, timestep, sample: d.sample, context: d.context, out: d.out, hidden, timeBiasTokens: 1 },
    },
    vaeDecoder: { file: 'model.onnx', external: data('vae_decoder'), opts: { ...io, latent: d.latent, sample: d.image } },
    vaeEncoder: { file: 'model.onnx', external: data('vae_encoder'), opts: { ...io, sample: d.imageIn, latent: d.latentOut } },
    componentConfigs: true,
  };
}

const ALL_COMPONENTS = ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'];

/** The spec of a Stable Diffusion family. */
export function familySpec(family: SdFamilyId): FamilySpec {
  switch (family) {
    case 'sd-turbo':
      return { ...sdTurbo(FLOAT, TINY.maxLength), ...SD_TURBO_REPO };
    case 'sd-turbo-fp16':
      return { ...sdTurbo(FLOAT16, 1), ...SD_TURBO_REPO };
    case 'tanh-vae': {
      const spec = { ...sdTurbo(FLOAT, 1), ...SD_TURBO_REPO };
      return { ...spec, vaeDecoder: { ...spec.vaeDecoder, opts: { ...spec.vaeDecoder.opts, tanhGain: 300 } } };
    }
    case 'sd15':
      return sd15();
    case 'sd21':
      return {
        ...aislamov(SD2_HIDDEN, ALL_COMPONENTS, { type: FLOAT, dims: ['steps'] }),
        pipeline: 'OnnxStableDiffusionPipeline',
        scheduler: SCHEDULERS.pndm,
        padToken: '!',
        sampleSize: 16,
      };
    case 'sd2-v':
      return {
        ...aislamov(SD2_HIDDEN, ALL_COMPONENTS, { type: FLOAT, dims: ['steps'] }),
        pipeline: 'OnnxStableDiffusionPipeline',
        scheduler: SCHEDULERS.ddimV,
        padToken: '!',
        sampleSize: 24,
      };
    case 'lcm': {
      const spec = aislamov(SD1_HIDDEN, ['unet'], { type: FLOAT, dims: [1] });
      const timeCond = { dim: 256, dims: ['batch_size', 256] };
      return {
        ...spec,
        unet: { ...spec.unet, opts: { ...spec.unet.opts, timeCond } },
        pipeline: 'LatentConsistencyModelPipeline', // the class diffusers.js dispatches LCM on
        scheduler: SCHEDULERS.lcm,
        padToken: '<|endoftext|>',
        sampleSize: 16,
      };
    }
    case 'webnn':
      return webnn();
    case 'sd-turbo-bare':
      return { ...sdTurbo(FLOAT, TINY.maxLength), ...SD_TURBO_REPO, pipelineConfigs: false, componentConfigs: false, tokenizer: 'vocab-only' };
    case 'sd-turbo-tokenizer-json':
      return { ...sdTurbo(FLOAT, TINY.maxLength), ...SD_TURBO_REPO, tokenizer: 'json' };
    case 'sdxl':
      return sdxlLightning();
    case 'sdxl-turbo-webnn':
      return sdxlTurboWebnn();
  }
}

/**
 * nmkd's repo as diffusers' script exports with --fp16 (opset 14 there): fp16 I/O with a
 * float16 timestep [batch], int32 input_ids, the UNet's weights in one weights.pb, no
 * component config.json. Its math is fp32 here (a Cast after each input, before each
 * output) so onnxruntime's CPU backend runs it; the real one computes in fp16.
 * Dims follow the script's dynamic_axes; output dims torch names itself are assumed.
 */
function sd15(): FamilySpec {
  const io = { io: FLOAT16, compute: FLOAT } as const;
  const H = SD1_HIDDEN;
  return {
    text: { file: 'model.onnx', opts: { ...io, hidden: H, ids: ['batch', 'sequence'], hiddenState: ['batch', 'sequence', H], pooler: ['batch', H] } },
    unet: {
      file: 'model.onnx',
      // diffusers' script collates the UNet's tensors into one weights.pb with onnx.save_model,
      // which keeps those under 1 KB inside model.onnx (onnxruntime cannot load shapes from outside).
      external: { location: 'weights.pb', threshold: 1024 },
      opts: {
        ...io,
        timestep: { type: FLOAT16, dims: ['batch'] },
        sample: ['batch', 'channels', 'height', 'width'],
        context: ['batch', 'sequence', H],
        out: ['batch', 4, 'height', 'width'],
        hidden: H,
        timeBiasTokens: 1,
      },
    },
    vaeDecoder: {
      file: 'model.onnx',
      opts: { ...io, latent: ['batch', 'channels', 'height', 'width'], sample: ['batch', 3, 'Convsample_dim_2', 'Convsample_dim_3'] },
    },
    vaeEncoder: {
      file: 'model.onnx',
      opts: { ...io, sample: ['batch', 'channels', 'height', 'width'], latent: ['batch', 4, 'Addlatent_sample_dim_2', 'Addlatent_sample_dim_3'] },
    },
    pipeline: 'OnnxStableDiffusionPipeline',
    scheduler: SCHEDULERS.pndm,
    padToken: '<|endoftext|>',
    componentConfigs: false,
    sampleSize: 16,
  };
}

/**
 * microsoft/sd-turbo-webnn as Microsoft's WebNN demo (webnn-developer-preview,
 * demos/sd-turbo) loads it and its model card describes it ("static input shapes"):
 * text_encoder/model_layernorm.onnx taking int32 input_ids [1, 77] and giving a float16
 * last_hidden_state; unet/model_layernorm.onnx fixed at batch 1 and 64×64 latents (16×16 here),
 * float16 sample, timestep [1] and encoder_hidden_states, float16 out_sample; vae_decoder/model.onnx
 * fed a float32 latent with symbolic batch/channels/height/width (the demo pins them with
 * freeDimensionOverrides). The demo fetches nothing else (its tokenizer comes from elsewhere, σ and
 * 0.18215 are hard-coded), so this stand-in has no configs and no tokenizer: the app must use its
 * own, and its text encoder reads CLIP's full vocabulary. Its safety_checker is left out. Math is fp32.
 */
function webnn(): FamilySpec {
  const base = sdTurbo(FLOAT, 1);
  const fp16Io = { io: FLOAT16, compute: FLOAT } as const;
  return {
    text: { file: 'model_layernorm.onnx', opts: { ...base.text.opts, ...fp16Io, ids: [1, 77], hiddenState: [1, 77, SD2_HIDDEN] } },
    unet: {
      file: 'model_layernorm.onnx',
      opts: {
        ...base.unet.opts,
        ...fp16Io,
        timestep: { type: FLOAT16, dims: [1] },
        sample: [1, 4, 16, 16],
        context: [1, 77, SD2_HIDDEN],
        out: [1, 4, 16, 16],
      },
    },
    vaeDecoder: {
      file: 'model.onnx',
      opts: { ...base.vaeDecoder.opts, latent: ['batch', 'channels', 'height', 'width'], sample: ['batch', 3, 'Convsample_dim_2', 'Convsample_dim_3'] },
    },
    ...SD_TURBO_REPO,
    componentConfigs: false,
    pipelineConfigs: false,
    tokenizer: 'none',
    fullVocab: true,
  };
}

