// Layouts and variants from file listings as the Hub gives them (paths and sizes).
import { describe, expect, it } from 'vitest';
import { chooseVariant, describeLayout, missingFiles, pipelineFiles, variantLabel } from '../../src/diffusion/index.ts';

const MB = 1e6;
// webnn/sdxl-turbo as webnn-developer-preview's demo names its files (sizes from the demo's labels).
const SDXL_TURBO_WEBNN = [
  { path: 'README.md', size: 4000 },
  { path: 'onnx/text_encoder_model_q4f16.onnx', size: 118 * MB },
  { path: 'onnx/text_encoder_model_qdq_q4f16.onnx', size: 120 * MB },
  { path: 'onnx/text_encoder_2_model_q4f16.onnx', size: 461 * MB },
  { path: 'onnx/text_encoder_2_model_qdq_q4f16.onnx', size: 470 * MB },
  { path: 'onnx/unet_model_q4f16.onnx', size: 1830 * MB },
  { path: 'onnx/unet_model_qdq_q4f16.onnx', size: 1900 * MB },
  { path: 'onnx/vae_decoder_model_q4f16.onnx', size: 93 * MB },
  { path: 'onnx/vae_decoder_model_qdq_q4f16.onnx', size: 94 * MB },
  { path: 'onnx/concat_model_f16.onnx', size: 1000 },
  { path: 'onnx/latents_model_f16.onnx', size: 1000 },
  { path: 'onnx/scheduler_model_f16.onnx', size: 1000 },
  { path: 'onnx/sc_prep_model_f16.onnx', size: 1000 },
  { path: 'onnx/safety_checker_model_f16.onnx', size: 580 * MB },
];
const paths = (l: { path: string }[]) => l.map((f) => f.path);

describe('flat onnx/ folders', () => {
  it('list each variant with its files and bytes; helper graphs belong to none', () => {
    const layout = describeLayout(SDXL_TURBO_WEBNN);
    expect(layout.kind).toBe('flat');
    expect(layout.variants.map((v) => [v.id, v.label, v.bytes, v.float16])).toEqual([
      ['q4f16', 'int4 weights (MatMulNBits), fp16', (118 + 461 + 1830 + 93) * MB, true],
      ['qdq_q4f16', 'int4 weights (QDQ), fp16', (120 + 470 + 1900 + 94) * MB, true],
    ]);
    expect(layout.variants[0]!.models).toEqual({
      text_encoder: 'onnx/text_encoder_model_q4f16.onnx',
      text_encoder_2: 'onnx/text_encoder_2_model_q4f16.onnx',
      unet: 'onnx/unet_model_q4f16.onnx',
      vae_decoder: 'onnx/vae_decoder_model_q4f16.onnx',
    });
  });

  it('pick what the backend runs well: MatMulNBits on WebGPU and the CPU, QDQ on WebNN', () => {
    const layout = describeLayout(SDXL_TURBO_WEBNN);
    expect(chooseVariant(layout, { backend: 'webgpu', shaderF16: true }).id).toBe('q4f16');
    expect(chooseVariant(layout, { backend: 'wasm' }).id).toBe('q4f16');
    expect(chooseVariant(layout, { backend: 'webnn' }).id).toBe('qdq_q4f16');
  });

  it('prefer fp32 files on WebGPU without shader-f16, and fp16 with it, when a repo has both', () => {
    const layout = describeLayout(['text_encoder', 'unet', 'vae_decoder'].flatMap((c) => [`onnx/${c}_model.onnx`, `onnx/${c}_model_fp16.onnx`]));
    expect(layout.variants.map((v) => v.id)).toEqual(['', 'fp16']);
    expect(chooseVariant(layout, { backend: 'webgpu', shaderF16: false }).id).toBe('');
    expect(chooseVariant(layout, { backend: 'webgpu', shaderF16: true }).id).toBe('fp16');
  });

  it('download only the chosen variant with its external data shards, plus configs and tokenizers', () => {
    const listing = [
      ...paths(SDXL_TURBO_WEBNN),
      'onnx/unet_model_q4f16.onnx_data',
      'onnx/unet_model_q4f16.onnx_data_1',
      'tokenizer/tokenizer.json',
      'tokenizer_2/tokenizer.json',
      'model_index.json',
    ];
    expect(pipelineFiles(listing, 'q4f16').sort()).toEqual(
      [
        'model_index.json',
        'onnx/text_encoder_2_model_q4f16.onnx',
        'onnx/text_encoder_model_q4f16.onnx',
        'onnx/unet_model_q4f16.onnx',
        'onnx/unet_model_q4f16.onnx_data',
        'onnx/unet_model_q4f16.onnx_data_1',
        'onnx/vae_decoder_model_q4f16.onnx',
        'tokenizer/tokenizer.json',
        'tokenizer_2/tokenizer.json',
      ].sort(),
    );
    expect(pipelineFiles(listing, 'qdq_q4f16')).toContain('onnx/unet_model_qdq_q4f16.onnx');
    expect(pipelineFiles(listing, 'qdq_q4f16')).not.toContain('onnx/unet_model_q4f16.onnx_data');
    expect(() => pipelineFiles(listing, 'fp32')).toThrow(/no “fp32” variant \(it has q4f16, qdq_q4f16\)/);
  });

  it('fill a component missing in one precision from another (webnn/Z-Image-Turbo keeps its VAE in f16)', () => {
    const layout = describeLayout(['onnx/text_encoder_model_q4f16.onnx', 'onnx/unet_model_q4f16.onnx', 'onnx/vae_decoder_model_f16.onnx']);
    expect(layout.variants[0]!.models.vae_decoder).toBe('onnx/vae_decoder_model_f16.onnx');
    expect(missingFiles(['onnx/unet_model_q4f16.onnx', 'onnx/vae_decoder_model_f16.onnx'])).toEqual(['onnx/text_encoder_model.onnx']);
  });
});

describe('folder layouts', () => {
  it('keep every file of a component folder (external data is named by the model), and need no tokenizer', () => {
    const listing = ['text_encoder/model.onnx', 'unet/model.onnx', 'unet/weights.pb', 'vae_decoder/model.onnx', 'safety_checker/model.onnx', 'scheduler/scheduler_config.json', 'README.md'];
    const layout = describeLayout(listing);
    expect([layout.kind, layout.variants.length, layout.variants[0]!.id]).toEqual(['folders', 1, '']);
    expect(missingFiles(listing)).toEqual([]);
    expect(pipelineFiles(listing).sort()).toEqual(['scheduler/scheduler_config.json', 'text_encoder/model.onnx', 'unet/model.onnx', 'unet/weights.pb', 'vae_decoder/model.onnx']);
    expect(missingFiles(listing.filter((f) => !f.startsWith('unet/')))).toEqual(['unet/model.onnx']);
  });

  it("take a folder's only .onnx file (microsoft/sd-turbo-webnn's model_layernorm.onnx) and SDXL's second encoder", () => {
    const layout = describeLayout(['text_encoder/model_layernorm.onnx', 'text_encoder_2/model.onnx', 'unet/model_layernorm.onnx', 'vae_decoder/model.onnx']);
    expect(layout.variants[0]!.models).toMatchObject({ text_encoder: 'text_encoder/model_layernorm.onnx', text_encoder_2: 'text_encoder_2/model.onnx', unet: 'unet/model_layernorm.onnx' });
  });
});

it('names variants in words', () => {
  expect(['', 'fp16', 'f16', 'q4', 'q4f16', 'qdq_q4f16', 'int8', 'quantized'].map(variantLabel)).toEqual([
    'fp32', 'fp16', 'fp16', 'int4 weights (MatMulNBits), fp32', 'int4 weights (MatMulNBits), fp16', 'int4 weights (QDQ), fp16', 'int8 weights', 'int8 weights',
  ]);
});
