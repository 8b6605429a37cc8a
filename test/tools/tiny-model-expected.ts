// What each tiny family must look like, written out rather than derived from the
// generator, so that a change to a stand-in's contract shows up in review.
import { TINY_MODEL_FILES, type FamilyId } from '../../tools/tiny-model/tiny-model.ts';
import type { Signature } from './tiny-model-support.ts';

const CONFIG_FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'tokenizer/vocab.json',
  'tokenizer/merges.txt',
  'tokenizer/special_tokens_map.json',
  'tokenizer/tokenizer_config.json',
];
const inside = (dir: string, ...files: string[]) => files.map((f) => `${dir}/${f}`);
const ONNX_DATA_EVERYWHERE = ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'].flatMap((d) => inside(d, 'config.json', 'model.onnx', 'model.onnx_data'));

export type Models = Record<string, { inputs: Signature; outputs: Signature }>;

const SD_TURBO_MODELS: Models = {
  'text_encoder/model.onnx': {
    inputs: { input_ids: ['int32', 'batch_size', 'sequence_length'] },
    outputs: { last_hidden_state: ['float32', 'batch_size', 'sequence_length', 64] },
  },
  'unet/model.onnx': {
    inputs: {
      sample: ['float32', 'batch_size', 'num_channels', 'height', 'width'],
      timestep: ['int64', 'steps'],
      encoder_hidden_states: ['float32', 'batch_size', 'sequence_length', 64],
    },
    outputs: { out_sample: ['float32', 'batch_size', 4, 'height', 'width'] },
  },
  'vae_decoder/model.onnx': {
    inputs: { latent_sample: ['float32', 'batch_size', 'num_channels_latent', 'height_latent', 'width_latent'] },
    outputs: { sample: ['float32', 'batch_size', 3, 'height', 'width'] },
  },
};

/** aislamov-style (optimum naming, fp32 I/O, float32 timestep) with a text width. */
function aislamovModels(hidden: number, timestep: (string | number)[], timeCond = false): Models {
  return {
    'text_encoder/model.onnx': {
      inputs: { input_ids: ['int32', 'batch_size', 'sequence_length'] },
      outputs: {
        last_hidden_state: ['float32', 'batch_size', 'sequence_length', hidden],
        pooler_output: ['float32', 'batch_size', hidden],
      },
    },
    'unet/model.onnx': {
      inputs: {
        sample: ['float32', 'batch_size', 'num_channels', 'height', 'width'],
        timestep: ['float32', ...timestep],
        encoder_hidden_states: ['float32', 'batch_size', 'sequence_length', hidden],
        ...(timeCond ? { timestep_cond: ['float32', 'batch_size', 256] } : {}),
      },
      outputs: { out_sample: ['float32', 'batch_size', 4, 'height', 'width'] },
    },
    'vae_decoder/model.onnx': SD_TURBO_MODELS['vae_decoder/model.onnx']!,
    'vae_encoder/model.onnx': {
      inputs: { sample: ['float32', 'batch_size', 'num_channels', 'height', 'width'] },
      outputs: { latent_sample: ['float32', 'batch_size', 4, 'height_latent', 'width_latent'] },
    },
  };
}

export interface Expected {
  files: string[];
  models: Models;
  /** model file → its external data file (the first shard, when sharded) */
  external: Record<string, string>;
  /** model_index.json's class, and the scheduler config; undefined when the repo has neither (configless exports). */
  modelIndex?: string;
  scheduler?: Record<string, unknown>;
  /** tokenizer_config.json's pad token; undefined when the repo has no tokenizer_config.json. */
  padToken?: string;
  /** tokenizer_config.json's model_max_length (default 77, CLIP's). */
  modelMaxLength?: number;
  sampleSize: number;
  /** Bytes the repo may take (default 5 MB): the download-sized default and its twins are ~36 MB. */
  maxBytes?: number;
}

const SD_TURBO_REPO = {
  modelIndex: 'StableDiffusionPipeline',
  scheduler: { _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'trailing', prediction_type: 'epsilon' },
  padToken: '!',
  sampleSize: 16,
};
const PNDM = { _class_name: 'PNDMScheduler', skip_prk_steps: true, steps_offset: 1, set_alpha_to_one: false, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon' };


/** webnn/Z-Image-Turbo's file names (both layouts), helper graphs and safety checker included. */
function zImageFiles(shards: 1 | 2): string[] {
  const data = (m: string) => [`${m}_data`, ...(shards === 2 ? [`${m}_data_1`] : [])];
  const te = 'onnx/text_encoder_model_q4f16.onnx';
  const tr = 'onnx/transformer_model_q4f16.onnx';
  return [
    'tokenizer/tokenizer.json',
    'tokenizer/tokenizer_config.json',
    te,
    ...data(te),
    tr,
    ...data(tr),
    'onnx/vae_decoder_model_f16.onnx',
    ...['scheduler_step', 'vae_pre_process', 'sc_prep', 'safety_checker'].map((h) => `onnx/${h}_model_f16.onnx`),
    'onnx/safety_checker_model_f16.onnx_data',
  ];
}

/** The two layouts' graphs (z-image.md §3): the re-export (fp16, batch 1, 4-D) and the demo's (fp32, named batch, 5-D). */
function zImageModels(reexport: boolean): Models {
  const f = reexport ? 'float16' : 'float32';
  const b = reexport ? 1 : 'batch_size';
  const latents = reexport ? [1, 16, 'height', 'width'] : ['batch_size', 16, 'num_frames', 'height', 'width'];
  const helperLatents = reexport ? ['batch', 16, 'height', 'width'] : ['batch', 16, 1, 'height', 'width'];
  return {
    'onnx/text_encoder_model_q4f16.onnx': {
      inputs: { input_ids: ['int64', b, 'sequence_length'], attention_mask: ['int64', b, 'total_sequence_length'] },
      outputs: { [reexport ? 'encoder_hidden_states' : 'encoder_hidden_state']: [f, b, 'sequence_length', 80] },
    },
    'onnx/transformer_model_q4f16.onnx': {
      inputs: { hidden_states: [f, ...latents], timestep: [f, b], encoder_hidden_states: [f, b, 'seq_len', 80] },
      outputs: reexport ? { sample: [f, ...latents] } : { unified_results: [f, 16, 'num_frames', 'height', 'width'] },
    },
    'onnx/vae_decoder_model_f16.onnx': {
      inputs: { latent_sample: [f, 'batch_size', 16, 'latent_height', 'latent_width'] },
      outputs: { sample: [f, 'batch_size', 3, 'height', 'width'] },
    },
    'onnx/scheduler_step_model_f16.onnx': {
      inputs: { noise_pred: [f, ...(reexport ? helperLatents : [16, 1, 'height', 'width'])], latents: [f, ...helperLatents], step_info: ['int64', 2] },
      outputs: { latents_out: [f, ...helperLatents] },
    },
    'onnx/vae_pre_process_model_f16.onnx': { inputs: { latents: [f, ...helperLatents] }, outputs: { scaled_latents: [f, 'batch', 16, 'height', 'width'] } },
    'onnx/sc_prep_model_f16.onnx': { inputs: { sample: [f, 'batch', 'channels', 'height', 'width'] }, outputs: { clip_input: [f, 1, 3, 224, 224] } },
    'onnx/safety_checker_model_f16.onnx': { inputs: { clip_input: [f, 1, 3, 224, 224] }, outputs: { has_nsfw_concepts: ['bool', 1] } },
  };
}

/** Each external-data graph → its first data file. */
const Z_IMAGE_EXTERNAL = Object.fromEntries(['text_encoder_model_q4f16', 'transformer_model_q4f16', 'safety_checker_model_f16'].map((m) => [`onnx/${m}.onnx`, `onnx/${m}.onnx_data`]));

export const EXPECTED: Record<FamilyId, Expected> = {
  'sd-turbo': { files: [...TINY_MODEL_FILES], models: SD_TURBO_MODELS, external: {}, ...SD_TURBO_REPO },
  'sd-turbo-fp16': { files: [...TINY_MODEL_FILES], models: SD_TURBO_MODELS, external: {}, ...SD_TURBO_REPO },
  'tanh-vae': { files: [...TINY_MODEL_FILES], models: SD_TURBO_MODELS, external: {}, ...SD_TURBO_REPO },
  sd15: {
    files: [...CONFIG_FILES, 'text_encoder/model.onnx', 'unet/model.onnx', 'unet/weights.pb', 'vae_decoder/model.onnx', 'vae_encoder/model.onnx'],
    models: {
      'text_encoder/model.onnx': {
        inputs: { input_ids: ['int32', 'batch', 'sequence'] },
        outputs: { last_hidden_state: ['float16', 'batch', 'sequence', 96], pooler_output: ['float16', 'batch', 96] },
      },
      'unet/model.onnx': {
        inputs: {
          sample: ['float16', 'batch', 'channels', 'height', 'width'],
          timestep: ['float16', 'batch'],
          encoder_hidden_states: ['float16', 'batch', 'sequence', 96],
        },
        outputs: { out_sample: ['float16', 'batch', 4, 'height', 'width'] },
      },
      'vae_decoder/model.onnx': {
        inputs: { latent_sample: ['float16', 'batch', 'channels', 'height', 'width'] },
        outputs: { sample: ['float16', 'batch', 3, 'Convsample_dim_2', 'Convsample_dim_3'] },
      },
      'vae_encoder/model.onnx': {
        inputs: { sample: ['float16', 'batch', 'channels', 'height', 'width'] },
        outputs: { latent_sample: ['float16', 'batch', 4, 'Addlatent_sample_dim_2', 'Addlatent_sample_dim_3'] },
      },
    },
    external: { 'unet/model.onnx': 'unet/weights.pb' },
    modelIndex: 'OnnxStableDiffusionPipeline',
    scheduler: PNDM,
    padToken: '<|endoftext|>',
    sampleSize: 16,
  },
  sd21: {
    files: [...CONFIG_FILES, ...ONNX_DATA_EVERYWHERE],
    models: aislamovModels(64, ['steps']),
    external: Object.fromEntries(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'].map((d) => [`${d}/model.onnx`, `${d}/model.onnx_data`])),
    modelIndex: 'OnnxStableDiffusionPipeline',
    scheduler: PNDM,
    padToken: '!',
    sampleSize: 16,
  },
  'sd2-v': {
    files: [...CONFIG_FILES, ...ONNX_DATA_EVERYWHERE],
    models: aislamovModels(64, ['steps']),
    external: Object.fromEntries(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'].map((d) => [`${d}/model.onnx`, `${d}/model.onnx_data`])),
    modelIndex: 'OnnxStableDiffusionPipeline',
    scheduler: { _class_name: 'DDIMScheduler', prediction_type: 'v_prediction', steps_offset: 1, set_alpha_to_one: false },
    padToken: '!',
    sampleSize: 24,
  },
  lcm: {
    files: [
      ...CONFIG_FILES,
      ...inside('text_encoder', 'config.json', 'model.onnx'),
      ...inside('unet', 'config.json', 'model.onnx', 'model.onnx_data'),
      ...inside('vae_decoder', 'config.json', 'model.onnx'),
      ...inside('vae_encoder', 'config.json', 'model.onnx'),
    ],
    models: aislamovModels(96, [1], true),
    external: { 'unet/model.onnx': 'unet/model.onnx_data' },
    modelIndex: 'LatentConsistencyModelPipeline',
    scheduler: { _class_name: 'LCMScheduler', original_inference_steps: 50, set_alpha_to_one: true, steps_offset: 1, timestep_spacing: 'leading' },
    padToken: '<|endoftext|>',
    sampleSize: 16,
  },
  webnn: {
    // What the WebNN demo fetches, and nothing else: no configs, no tokenizer.
    files: ['text_encoder/model_layernorm.onnx', 'unet/model_layernorm.onnx', 'vae_decoder/model.onnx'],
    models: {
      'text_encoder/model_layernorm.onnx': {
        inputs: { input_ids: ['int32', 1, 77] },
        outputs: { last_hidden_state: ['float16', 1, 77, 64] },
      },
      'unet/model_layernorm.onnx': {
        inputs: {
          sample: ['float16', 1, 4, 16, 16],
          timestep: ['float16', 1],
          encoder_hidden_states: ['float16', 1, 77, 64],
        },
        outputs: { out_sample: ['float16', 1, 4, 16, 16] },
      },
      'vae_decoder/model.onnx': {
        inputs: { latent_sample: ['float32', 'batch', 'channels', 'height', 'width'] },
        outputs: { sample: ['float32', 'batch', 3, 'Convsample_dim_2', 'Convsample_dim_3'] },
      },
    },
    external: {},
    sampleSize: 16,
    maxBytes: 15e6, // the text encoder reads CLIP's 49408 ids (12.6 MB of float32 embeddings): the repo has no tokenizer
  },
  'sd-turbo-bare': {
    files: ['tokenizer/vocab.json', 'tokenizer/merges.txt', 'text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx'],
    models: SD_TURBO_MODELS,
    external: {},
    sampleSize: 16,
    maxBytes: 40e6, // sd-turbo's own ONNX files, so its images can be compared with the complete layout's
  },
  'sd-turbo-tokenizer-json': {
    files: ['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/tokenizer.json', ...['text_encoder', 'unet', 'vae_decoder'].flatMap((d) => inside(d, 'config.json', 'model.onnx'))],
    models: SD_TURBO_MODELS,
    external: {},
    modelIndex: 'StableDiffusionPipeline',
    scheduler: SD_TURBO_REPO.scheduler,
    sampleSize: 16,
    maxBytes: 40e6,
  },
  sdxl: {
    files: [
      'model_index.json',
      'scheduler/scheduler_config.json',
      ...inside('tokenizer', 'tokenizer.json', 'tokenizer_config.json'),
      ...inside('tokenizer_2', 'tokenizer.json', 'tokenizer_config.json'),
      ...inside('text_encoder', 'config.json', 'model.onnx', 'model.onnx_data'),
      ...inside('text_encoder_2', 'config.json', 'model.onnx', 'model.onnx_data'),
      ...inside('unet', 'config.json', 'model.onnx', 'model.onnx_data', 'model.onnx_data_1', 'model.onnx_data_2'),
      ...inside('vae_decoder', 'config.json', 'model.onnx', 'model.onnx_data'),
    ],
    models: {
      'text_encoder/model.onnx': {
        inputs: { input_ids: ['int32', 'batch_size', 'sequence_length'] },
        outputs: {
          last_hidden_state: ['float32', 'batch_size', 'sequence_length', 32],
          pooler_output: ['float32', 'batch_size', 32],
          ...Object.fromEntries([0, 1, 2].map((i) => [`hidden_states.${i}`, ['float32', 'batch_size', 'sequence_length', 32]])),
        },
      },
      'text_encoder_2/model.onnx': {
        inputs: { input_ids: ['int32', 'batch_size', 'sequence_length'] },
        outputs: {
          last_hidden_state: ['float32', 'batch_size', 'sequence_length', 48],
          text_embeds: ['float32', 'batch_size', 48],
          ...Object.fromEntries([0, 1, 2].map((i) => [`hidden_states.${i}`, ['float32', 'batch_size', 'sequence_length', 48]])),
        },
      },
      'unet/model.onnx': {
        inputs: {
          sample: ['float32', 'batch_size', 'num_channels', 'height', 'width'],
          timestep: ['int64', 'steps'],
          encoder_hidden_states: ['float32', 'batch_size', 'sequence_length', 80],
          text_embeds: ['float32', 'batch_size', 48],
          time_ids: ['float32', 'batch_size', 6],
        },
        outputs: { out_sample: ['float32', 'batch_size', 4, 'height', 'width'] },
      },
      'vae_decoder/model.onnx': SD_TURBO_MODELS['vae_decoder/model.onnx']!,
    },
    external: Object.fromEntries(['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder'].map((d) => [`${d}/model.onnx`, `${d}/model.onnx_data`])),
    modelIndex: 'StableDiffusionXLPipeline',
    scheduler: SD_TURBO_REPO.scheduler,
    padToken: '<|endoftext|>',
    sampleSize: 16,
  },
  'sdxl-turbo-webnn': {
    files: [
      ...['text_encoder_model_q4f16', 'text_encoder_2_model_q4f16', 'unet_model_q4f16', 'vae_decoder_model_q4f16'].map((m) => `onnx/${m}.onnx`),
      ...['concat', 'latents', 'scheduler', 'sc_prep', 'safety_checker'].map((h) => `onnx/${h}_model_f16.onnx`),
    ],
    models: {
      'onnx/text_encoder_model_q4f16.onnx': {
        inputs: { input_ids: ['int32', 'batch_size', 'sequence_length'] },
        outputs: { 'hidden_states.11': ['float16', 'batch_size', 'sequence_length', 32] },
      },
      'onnx/text_encoder_2_model_q4f16.onnx': {
        inputs: { input_ids: ['int64', 'batch_size', 'sequence_length'] },
        outputs: { text_embeds: ['float16', 'batch_size', 48], 'hidden_states.31': ['float16', 'batch_size', 'sequence_length', 48] },
      },
      'onnx/unet_model_q4f16.onnx': {
        inputs: {
          sample: ['float16', 'unet_sample_batch', 'unet_sample_channels', 'unet_sample_height', 'unet_sample_width'],
          timestep: ['float16', 'unet_time_batch'],
          encoder_hidden_states: ['float16', 'unet_hidden_batch', 'unet_hidden_sequence', 80],
          text_embeds: ['float16', 'unet_text_embeds_batch', 'unet_text_embeds_size'],
          time_ids: ['float16', 'unet_time_ids_batch', 'unet_time_ids_size'],
        },
        outputs: { out_sample: ['float16', 'unet_sample_batch', 4, 'unet_sample_height', 'unet_sample_width'] },
      },
      'onnx/vae_decoder_model_q4f16.onnx': {
        inputs: { latent_sample: ['float16', 'batch_size', 'num_channels_latent', 'height_latent', 'width_latent'] },
        outputs: { sample: ['float16', 'batch_size', 3, 'height', 'width'] },
      },
    },
    external: {},
    sampleSize: 64,
  },
  'z-image-turbo': {
    files: zImageFiles(2),
    models: zImageModels(true),
    external: Z_IMAGE_EXTERNAL,
    padToken: '<|endoftext|>',
    modelMaxLength: 131072,
    sampleSize: 32, // no UNet config: the latent side of a 256 px image, which the tests use
  },
  'z-image-turbo-demo': {
    files: zImageFiles(1),
    models: zImageModels(false),
    external: Z_IMAGE_EXTERNAL,
    padToken: '<|endoftext|>',
    modelMaxLength: 131072,
    sampleSize: 32,
  },
};
