// The SDXL stand-ins: Cyronius/sdxl-lightning-4step-onnx-web in the diffusers layout, and
// webnn/sdxl-turbo in its flat onnx/ folder with int4 weights.
import { DataType } from './onnx-writer.ts';
import { SD_TURBO_UNET, SD_TURBO_VAE_DECODER, type TextEncoderOptions } from './graphs.ts';
import type { ExternalData, FamilySpec } from './family-spec.ts';
import { SCHEDULERS } from './schedulers.ts';

const { FLOAT, FLOAT16 } = DataType;

// SDXL's two text widths (768, 1280) and their sum (2048), tiny.
const SDXL_HIDDEN = [32, 48] as const;
const SDXL_CONTEXT = SDXL_HIDDEN[0] + SDXL_HIDDEN[1];

/**
 * Cyronius/sdxl-lightning-4step-onnx-web(-fp16-3shard) as its model card lists it: the diffusers
 * layout from an optimum export (text_encoder/, text_encoder_2/, unet/, vae_decoder/, each
 * model.onnx + model.onnx_data, the UNet's data in three shards), tokenizer.json only (+ its
 * config), EulerDiscrete with trailing spacing, fp32 I/O (keep_io_types). Output names follow
 * optimum: hidden_states.0…L on both encoders, text_embeds on the second. Math is fp32 (the real
 * one is fp16); component configs, as optimum writes them, are assumed.
 */
export function sdxlLightning(): FamilySpec {
  const io = { io: FLOAT, compute: FLOAT } as const;
  const data = (shards?: number): ExternalData => ({ location: 'model.onnx_data', threshold: 1024, ...(shards ? { shards } : {}) });
  const text = (hidden: number, projection: boolean): TextEncoderOptions => ({
    ...io,
    hidden,
    layers: 2,
    ids: ['batch_size', 'sequence_length'],
    hiddenState: ['batch_size', 'sequence_length', hidden],
    hiddenStates: 'all',
    ...(projection ? { textEmbeds: { dims: ['batch_size', hidden], width: hidden } } : { pooler: ['batch_size', hidden] }),
  });
  return {
    text: { file: 'model.onnx', external: data(), opts: text(SDXL_HIDDEN[0], false) },
    text2: { file: 'model.onnx', external: data(), opts: text(SDXL_HIDDEN[1], true) },
    unet: {
      file: 'model.onnx',
      external: data(3),
      opts: {
        ...SD_TURBO_UNET,
        ...io,
        context: ['batch_size', 'sequence_length', SDXL_CONTEXT],
        hidden: SDXL_CONTEXT,
        timeBiasTokens: 1,
        added: { textEmbeds: ['batch_size', SDXL_HIDDEN[1]], textEmbedsWidth: SDXL_HIDDEN[1], timeIds: ['batch_size', 6] },
      },
    },
    vaeDecoder: { file: 'model.onnx', external: data(), opts: { ...SD_TURBO_VAE_DECODER } },
    pipeline: 'StableDiffusionXLPipeline',
    scheduler: SCHEDULERS.eulerTrailing,
    padToken: '<|endoftext|>',
    tokenizer: 'json+config',
    componentConfigs: true,
    sampleSize: 16,
    vaeScalingFactor: 0.13025,
  };
}

/**
 * webnn/sdxl-turbo as webnn-developer-preview's demos/sdxl-turbo loads it: one onnx/ folder,
 * `text_encoder_model_q4f16.onnx` (int32 input_ids → float16 hidden_states.11 only),
 * `text_encoder_2_model_q4f16.onnx` (int64 input_ids → hidden_states.31, text_embeds),
 * `unet_model_q4f16.onnx` (float16 I/O, float16 timestep [1], the demo's free dimension names),
 * `vae_decoder_model_q4f16.onnx`, and the helper graphs the demo chains (concat, latents,
 * scheduler, safety checker), which the app does not use. int4 weights as MatMulNBits and
 * GatherBlockQuantized; math fp32. That the repo has no configs or tokenizers is assumed (the
 * demo takes its tokenizers from its own folder); so its text encoders read CLIP's full vocabulary.
 */
export function sdxlTurboWebnn(): FamilySpec {
  const io = { io: FLOAT16, compute: FLOAT, quantize: 'q4' } as const;
  const text = (hidden: number, name: string, projection: boolean): TextEncoderOptions => ({
    ...io,
    hidden,
    layers: 2,
    idsType: projection ? DataType.INT64 : DataType.INT32,
    ids: ['batch_size', 'sequence_length'],
    hiddenState: ['batch_size', 'sequence_length', hidden],
    noLastHiddenState: true,
    hiddenStates: [{ layer: 1, name }],
    ...(projection ? { textEmbeds: { dims: ['batch_size', hidden], width: hidden } } : {}),
  });
  return {
    text: { file: 'onnx/text_encoder_model_q4f16.onnx', opts: text(SDXL_HIDDEN[0], 'hidden_states.11', false) },
    text2: { file: 'onnx/text_encoder_2_model_q4f16.onnx', opts: text(SDXL_HIDDEN[1], 'hidden_states.31', true) },
    unet: {
      file: 'onnx/unet_model_q4f16.onnx',
      opts: {
        ...io,
        timestep: { type: FLOAT16, dims: ['unet_time_batch'] },
        sample: ['unet_sample_batch', 'unet_sample_channels', 'unet_sample_height', 'unet_sample_width'],
        context: ['unet_hidden_batch', 'unet_hidden_sequence', SDXL_CONTEXT],
        out: ['unet_sample_batch', 4, 'unet_sample_height', 'unet_sample_width'],
        hidden: SDXL_CONTEXT,
        timeBiasTokens: 1,
        added: { textEmbeds: ['unet_text_embeds_batch', 'unet_text_embeds_size'], textEmbedsWidth: SDXL_HIDDEN[1], timeIds: ['unet_time_ids_batch', 'unet_time_ids_size'] },
      },
    },
    vaeDecoder: { file: 'onnx/vae_decoder_model_q4f16.onnx', opts: { ...SD_TURBO_VAE_DECODER, io: FLOAT16 } },
    pipeline: 'StableDiffusionXLPipeline',
    scheduler: SCHEDULERS.eulerAncestralTrailing,
    padToken: '<|endoftext|>',
    componentConfigs: false,
    sampleSize: 64,
    pipelineConfigs: false,
    tokenizer: 'none',
    fullVocab: true,
    flat: true,
    helpers: ['concat_model_f16', 'latents_model_f16', 'scheduler_model_f16', 'sc_prep_model_f16', 'safety_checker_model_f16'].map((h) => `onnx/${h}.onnx`),
    vaeScalingFactor: 0.13025,
  };
}

