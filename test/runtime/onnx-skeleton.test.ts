import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelRunner, Tensor } from '../../src/diffusion/index.ts';
import { readOnnxInfo } from '../../src/runtime/onnx-info.ts';
import { externalizeInitializers, MIN_EXTERNAL_BYTES } from '../../src/runtime/onnx-skeleton.ts';
import { Float16UnsupportedError, ModelTooLargeError, runnerFactory, WASM32_LIMIT, type Ort } from '../../src/runtime/session.ts';
import { ensureTinyModel, FAMILIES, type FamilyId } from '../../tools/tiny-model/tiny-model.ts';

ort.env.wasm.numThreads = 1;
const ROOT = '.cache/hub-root';
const dirs: Partial<Record<FamilyId, string>> = {};
const bytes = async (family: FamilyId, path: string) => new Uint8Array(await readFile(join(dirs[family]!, path)));
const wasm = runnerFactory(ort as unknown as Ort, 'wasm');
const noExternal = async (loc: string): Promise<Uint8Array> => Promise.reject(new Error(`no ${loc}`));

beforeAll(async () => {
  for (const id of ['sd-turbo', 'sd-turbo-fp16', 'sd21'] as FamilyId[]) dirs[id] = await ensureTinyModel(ROOT, FAMILIES[id].repo, { family: id });
});

/** Symbolic dims of the stand-ins' inputs: batch 1, 77 tokens, 4 latent channels, 8×8 latents. */
const SIZES: Record<string, number[]> = { input_ids: [1, 77], sample: [1, 4, 8, 8], latent_sample: [1, 4, 8, 8], timestep: [1] };

/** Deterministic inputs for every input the runner declares. */
function feedsFor(runner: ModelRunner): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [name, info] of Object.entries(runner.inputs)) {
    const dims = info.dims.map((d, i) => (typeof d === 'number' && d > 0 ? d : (SIZES[name]?.[i] ?? 1)));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = info.type.startsWith('int')
      ? Int32Array.from({ length: n }, (_, i) => (i * 7919) % 1000)
      : Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
    feeds[name] = { data, dims };
  }
  return feeds;
}

describe('loading a single-file model from a Blob without reading it whole', () => {
  it('turns every tensor of at least 1 KB into a reference into the file itself, at the offset of its bytes', async () => {
    const file = await bytes('sd-turbo', 'unet/model.onnx');
    const { model, externalBytes } = await externalizeInitializers(new Blob([file]), 'self.bin');
    expect(externalBytes).toBeGreaterThan(file.length * 0.95);
    expect(model.length).toBeLessThan(file.length - externalBytes + 64 * 1024);
    expect(readOnnxInfo(model).externalData).toEqual(['self.bin']);
    // Reading from bytes in memory gives the same rebuilt model as reading from a Blob.
    expect((await externalizeInitializers(file, 'self.bin')).model).toEqual(model);
  });

  it('gives exactly the same outputs as loading the bytes, for every component', async () => {
    for (const component of ['text_encoder', 'unet', 'vae_decoder']) {
      const file = await bytes('sd-turbo', `${component}/model.onnx`);
      const whole = await wasm(component, { model: file, readExternal: noExternal });
      const fromBlob = await wasm(component, { model: new Blob([file]), readExternal: noExternal });
      const feeds = feedsFor(whole);
      const [a, b] = [await whole.run(feeds), await fromBlob.run(feeds)];
      for (const name of Object.keys(a)) expect(Array.from(b[name].data as Float32Array)).toEqual(Array.from(a[name].data as Float32Array));
      await Promise.all([whole.release(), fromBlob.release()]);
    }
  });

  it('leaves a model whose weights already live in external data as it is', async () => {
    const file = await bytes('sd21', 'unet/model.onnx');
    const { model, externalBytes } = await externalizeInitializers(new Blob([file]), 'self.bin');
    expect(externalBytes).toBeLessThan(MIN_EXTERNAL_BYTES * 64); // at most a few small inline tensors moved
    expect(readOnnxInfo(model).externalData).toContain('model.onnx_data');
    const data = await bytes('sd21', 'unet/model.onnx_data');
    const asked: string[] = [];
    const whole = await wasm('unet', { model: file, readExternal: async () => data });
    const fromBlob = await wasm('unet', { model: new Blob([file]), readExternal: async (loc) => (asked.push(loc), new Blob([data])) });
    expect(asked).toEqual(['model.onnx_data']);
    const feeds = feedsFor(whole);
    expect(Array.from((await fromBlob.run(feeds)).out_sample.data as Float32Array)).toEqual(Array.from((await whole.run(feeds)).out_sample.data as Float32Array));
    await Promise.all([whole.release(), fromBlob.release()]);
  });

  it('still refuses a float16 model on a GPU without shader-f16 when it comes as a Blob', async () => {
    const noF16 = runnerFactory(ort as unknown as Ort, 'webgpu', { shaderF16: false });
    const file = new Blob([await bytes('sd-turbo-fp16', 'unet/model.onnx')]);
    await expect(noF16('unet', { model: file, readExternal: noExternal })).rejects.toBeInstanceOf(Float16UnsupportedError);
  });

  it('names the 4 GB limit for a file onnxruntime-web cannot hold, before trying', async () => {
    class HugeBlob extends Blob {
      override get size() {
        return WASM32_LIMIT + 1;
      }
    }
    const err = await wasm('unet', { model: await bytes('sd21', 'unet/model.onnx'), readExternal: async () => new HugeBlob([]) }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelTooLargeError);
    expect(err.message).toMatch(/unet model stores its weights in model\.onnx_data, a file of 4\.29 GB, more than the 4 GB/);
  });
});
