import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { readOnnxInfo } from '../../src/runtime/onnx-info.ts';
import { Float16UnsupportedError, runnerFactory, type Ort } from '../../src/runtime/session.ts';
import { ensureTinyModel, FAMILIES, type FamilyId } from '../../tools/tiny-model/tiny-model.ts';

ort.env.wasm.numThreads = 1;
const ROOT = '.cache/hub-root';
const dirs: Partial<Record<FamilyId, string>> = {};
const bytes = async (family: FamilyId, path: string) => new Uint8Array(await readFile(join(dirs[family]!, path)));

beforeAll(async () => {
  for (const id of ['sd-turbo', 'sd-turbo-fp16', 'sd15', 'sd21', 'webnn'] as FamilyId[]) dirs[id] = await ensureTinyModel(ROOT, FAMILIES[id].repo, { family: id });
});

describe('reading an ONNX model header', () => {
  it('finds external data under the exact location strings stored in the model', async () => {
    expect(readOnnxInfo(await bytes('sd15', 'unet/model.onnx')).externalData).toEqual(['weights.pb']);
    expect(readOnnxInfo(await bytes('sd21', 'unet/model.onnx')).externalData).toEqual(['model.onnx_data']);
    expect(readOnnxInfo(await bytes('sd21', 'vae_encoder/model.onnx')).externalData).toEqual(['model.onnx_data']);
    expect(readOnnxInfo(await bytes('sd-turbo', 'unet/model.onnx')).externalData).toEqual([]);
  });

  it('tells float16 models (weights, I/O or casts) from float32 ones', async () => {
    expect(readOnnxInfo(await bytes('sd-turbo', 'unet/model.onnx')).usesFloat16).toBe(false);
    expect(readOnnxInfo(await bytes('sd21', 'unet/model.onnx')).usesFloat16).toBe(false);
    expect(readOnnxInfo(await bytes('sd-turbo-fp16', 'unet/model.onnx')).usesFloat16).toBe(true); // fp16 weights, fp32 I/O
    expect(readOnnxInfo(await bytes('sd15', 'unet/model.onnx')).usesFloat16).toBe(true); // fp16 I/O
    expect(readOnnxInfo(await bytes('webnn', 'unet/model_layernorm.onnx')).usesFloat16).toBe(true);
    expect(readOnnxInfo(await bytes('webnn', 'vae_decoder/model.onnx')).usesFloat16).toBe(false);
  });

  it('refuses what is not ONNX', () => {
    expect(() => readOnnxInfo(new TextEncoder().encode('{"not": "onnx"}'))).toThrow(/not an ONNX|truncated/);
    expect(() => readOnnxInfo(new Uint8Array(0))).toThrow(/no graph/);
  });
});

describe('runners from the session’s own metadata', () => {
  const wasm = runnerFactory(ort as unknown as Ort, 'wasm');

  it('passes external data under its location and converts float16 I/O to and from float32', async () => {
    const asked: string[] = [];
    const unet = await wasm('unet', {
      model: await bytes('sd15', 'unet/model.onnx'),
      readExternal: async (loc) => (asked.push(loc), bytes('sd15', `unet/${loc}`)),
    });
    expect(asked).toEqual(['weights.pb']);
    expect(unet.inputs.sample.type).toBe('float16');
    expect(unet.inputs.timestep).toEqual({ type: 'float16', dims: ['batch'] });
    const width = unet.inputs.encoder_hidden_states.dims[2] as number;
    const out = await unet.run({
      sample: { data: new Float32Array(4 * 8 * 8).fill(0.5), dims: [1, 4, 8, 8] },
      timestep: { data: Float32Array.of(999), dims: [1] },
      encoder_hidden_states: { data: new Float32Array(77 * width).fill(0.1), dims: [1, 77, width] },
    });
    expect(out.out_sample.data).toBeInstanceOf(Float32Array);
    expect(out.out_sample.dims).toEqual([1, 4, 8, 8]);
    expect((out.out_sample.data as Float32Array).every(Number.isFinite)).toBe(true);
    await unet.release();
  });

  it('says which file is missing when external data is not there', async () => {
    await expect(
      wasm('unet', { model: await bytes('sd21', 'unet/model.onnx'), readExternal: async (loc) => Promise.reject(new Error(`no ${loc}`)) }),
    ).rejects.toThrow('no model.onnx_data');
  });

  it('refuses a float16 model on a WebGPU adapter without shader-f16, before onnxruntime sees it', async () => {
    const noF16 = runnerFactory(ort as unknown as Ort, 'webgpu', { shaderF16: false });
    const err = await noF16('unet', { model: await bytes('sd-turbo-fp16', 'unet/model.onnx'), readExternal: async () => new Uint8Array() }).catch((e) => e);
    expect(err).toBeInstanceOf(Float16UnsupportedError);
    expect(err.message).toContain("uses 16-bit floats (float16, in its unet), which this GPU's WebGPU does not offer");
  });
});
