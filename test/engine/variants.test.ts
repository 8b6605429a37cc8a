// Which variant of a repo the engine downloads and opens, how the picker sizes it, and what a
// listing says about precision, from file listings with the real repos' names and sizes.
import { describe, expect, it } from 'vitest';
import { fp32Evidence } from '../../src/engine/fp32-revision.ts';
import type { Manifest } from '../../src/engine/manifest.ts';
import { exportableFiles, forVariant, layoutOf, listedVariants, pickVariant, precisionFromSize, variantNamed } from '../../src/engine/variants.ts';
import type { BackendChoice } from '../../src/runtime/index.ts';

const MB = 1e6;
const GB = 1e9;
const manifest = (files: [string, number][]): Manifest => ({
  hub: 'https://huggingface.co', repo: 'org/name', commit: 'c'.repeat(40), gated: false, listedAt: 0, files: files.map(([path, size]) => ({ path, size })),
});
const WASM: BackendChoice = { backend: 'wasm', shaderF16: false };
const SWIFTSHADER: BackendChoice = { backend: 'webgpu', shaderF16: false };
const GPU: BackendChoice = { backend: 'webgpu', shaderF16: true };

// A flat onnx/ folder with q4f16 (webnn/sdxl-turbo's names, its demo's sizes) and plain fp32 files.
const FLAT = manifest([
  ['onnx/text_encoder_model_q4f16.onnx', 118 * MB], ['onnx/text_encoder_2_model_q4f16.onnx', 461 * MB],
  ['onnx/unet_model_q4f16.onnx', 1830 * MB], ['onnx/vae_decoder_model_q4f16.onnx', 93 * MB],
  ['onnx/text_encoder_model.onnx', 492 * MB], ['onnx/text_encoder_2_model.onnx', 2780 * MB],
  ['onnx/unet_model.onnx', 2 * MB], ['onnx/unet_model.onnx_data', 1900 * MB], ['onnx/unet_model.onnx_data_1', 1900 * MB], ['onnx/unet_model.onnx_data_2', 6470 * MB],
  ['onnx/vae_decoder_model.onnx', 198 * MB],
  ['tokenizer/tokenizer.json', 2 * MB], ['tokenizer_2/tokenizer.json', 2 * MB],
]);

describe('the variant to download and open', () => {
  it('is what the backend runs: int4 MatMulNBits on the CPU and on WebGPU with shader-f16, fp32 on WebGPU without it', () => {
    expect(pickVariant(FLAT, undefined, WASM)).toBe('q4f16');
    expect(pickVariant(FLAT, undefined, GPU)).toBe('q4f16');
    expect(pickVariant(FLAT, undefined, SWIFTSHADER)).toBe('');
  });

  it('is the person’s choice when they made one (the plain variant is ""), and a repo without it says so', () => {
    expect(pickVariant(FLAT, '', WASM)).toBe('');
    expect(pickVariant(FLAT, 'q4f16', SWIFTSHADER)).toBe('q4f16');
    expect(() => pickVariant(FLAT, 'qdq_q4f16', WASM)).toThrow('This repo has no “qdq_q4f16” variant (it has the plain one, q4f16).');
  });

  it('downloads only its own files, with its external data shards and the shared tokenizers', () => {
    const q4 = forVariant(FLAT, 'q4f16');
    expect(q4.files.map((f) => f.path).sort()).toEqual([
      'onnx/text_encoder_2_model_q4f16.onnx', 'onnx/text_encoder_model_q4f16.onnx', 'onnx/unet_model_q4f16.onnx', 'onnx/vae_decoder_model_q4f16.onnx',
      'tokenizer/tokenizer.json', 'tokenizer_2/tokenizer.json',
    ]);
    expect(forVariant(FLAT, '').files.map((f) => f.path)).toEqual(expect.arrayContaining(['onnx/unet_model.onnx_data', 'onnx/unet_model.onnx_data_2']));
    expect(forVariant(FLAT, '').files.map((f) => f.path)).not.toContain('onnx/unet_model_q4f16.onnx');
    expect(variantNamed(q4)).toEqual({ id: 'q4f16', label: 'int4 weights (MatMulNBits), fp16' });
  });

  it('lists every variant with what it downloads and whether this device runs it', () => {
    expect(listedVariants(FLAT, SWIFTSHADER)).toEqual([
      { id: '', label: 'fp32', bytes: (492 + 2780 + 2 + 1900 + 1900 + 6470 + 198 + 4) * MB, float16: false, weights: 'fp32', runsHere: true },
      {
        id: 'q4f16', label: 'int4 weights (MatMulNBits), fp16', bytes: (118 + 461 + 1830 + 93 + 4) * MB, float16: true, weights: 'int4 weights (MatMulNBits), fp16',
        runsHere: false, note: 'fp16 files: this GPU’s WebGPU has no shader-f16 (the CPU backend runs them)',
      },
    ]);
    expect(listedVariants(FLAT, WASM).every((v) => v.runsHere)).toBe(true);
  });
});

// Folder layouts, sizes as DESIGN.md and the repos' loaders give them.
const NMKD_SD15_FP16 = manifest([['text_encoder/model.onnx', 246 * MB], ['unet/model.onnx', 1 * MB], ['unet/weights.pb', 1720 * MB], ['vae_decoder/model.onnx', 99 * MB], ['scheduler/scheduler_config.json', 400]]);
const SD15_FP32 = manifest([['text_encoder/model.onnx', 492 * MB], ['unet/model.onnx', 1 * MB], ['unet/weights.pb', 3440 * MB], ['vae_decoder/model.onnx', 198 * MB], ['scheduler/scheduler_config.json', 400]]);
const CYRONIUS_SDXL = manifest([
  ['text_encoder/model.onnx', 1 * MB], ['text_encoder/model.onnx_data', 235 * MB], ['text_encoder_2/model.onnx', 1 * MB], ['text_encoder_2/model.onnx_data', 1390 * MB],
  ['unet/model.onnx', 6 * MB], ['unet/model.onnx_data', 2 * GB], ['unet/model.onnx_data_1', 2 * GB], ['unet/model.onnx_data_2', 1.13 * GB], ['vae_decoder/model.onnx', 99 * MB],
]);

describe('what a listing says of the weights', () => {
  it('folder layouts: the UNet’s size per parameter (SD 1.x/2.x 862 M, SDXL 2.57 G) says fp16 or fp32', () => {
    expect(precisionFromSize(NMKD_SD15_FP16.files, layoutOf(NMKD_SD15_FP16))).toBe('fp16 weights (by size)');
    expect(precisionFromSize(SD15_FP32.files, layoutOf(SD15_FP32))).toBe('fp32 weights (by size)');
    expect(precisionFromSize(CYRONIUS_SDXL.files, layoutOf(CYRONIUS_SDXL))).toBe('fp16 weights (by size)');
    // A tiny stand-in's UNet is no known size: nothing is claimed.
    const tiny = manifest([['text_encoder/model.onnx', 868_429], ['unet/model.onnx', 35_621_776], ['vae_decoder/model.onnx', 105_701]]);
    expect(precisionFromSize(tiny.files, layoutOf(tiny))).toBeUndefined();
    expect(listedVariants(NMKD_SD15_FP16)).toEqual([{ id: '', label: 'as exported', bytes: (246 + 1 + 1720 + 99) * MB + 400, float16: false, weights: 'fp16 weights (by size)', runsHere: true }]);
  });

  it('an fp32 branch is told by its listing: twice the bytes per component, fp32 files, or a UNet of 4 bytes a weight', () => {
    expect(fp32Evidence(SD15_FP32.files, NMKD_SD15_FP16.files)).toBe("every component's files are 2.0× or more the size of this revision's (unet 3.4 GB against 1.7 GB)");
    expect(fp32Evidence(NMKD_SD15_FP16.files, NMKD_SD15_FP16.files)).toBeUndefined(); // a branch named fp32 holding the same files
    expect(fp32Evidence(SD15_FP32.files, CYRONIUS_SDXL.files)).toBe('its UNet’s size says 4 bytes a weight'); // other components: judged by size alone
    expect(fp32Evidence(FLAT.files, CYRONIUS_SDXL.files)).toBe('its onnx/ folder has fp32 files (onnx/unet_model.onnx)');
    expect(fp32Evidence(CYRONIUS_SDXL.files, NMKD_SD15_FP16.files)).toBeUndefined();
  });
});

it('exports the variants complete in the cache (and the shared files), or everything when none is', () => {
  const stored = new Set(forVariant(FLAT, 'q4f16').files.map((f) => f.path));
  expect(exportableFiles(FLAT, (p) => stored.has(p)).map((f) => f.path).sort()).toEqual([...stored].sort());
  expect(exportableFiles(FLAT, () => false)).toEqual(FLAT.files);
});
