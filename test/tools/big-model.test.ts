// Big stand-ins of schmuell/sd-turbo-ort-web for benchmarks, tested at a small size
// (64 MB): the same generator writes the 1.74 GB and 2.56 GB ones, only with more tables.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, GraphBuilder, StreamedFloats } from '../../tools/tiny-model/onnx-writer.ts';
import { type BigLayout, bigModelFiles, ensureBigModel, TINY, TINY_MODEL_FILES, unetGraph, writeTinyModel } from '../../tools/tiny-model/tiny-model.ts';
import { EXPECTED } from './tiny-model-expected.ts';
import { listFiles, randn, sha256, signature } from './tiny-model-support.ts';

ort.env.wasm.numThreads = 1;

describe('onnx-writer streaming', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'onnx-stream-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // 10 values in chunks of 3, so the last chunk is short; each pass starts the sequence afresh.
  const streamed = () => new StreamedFloats(10, () => {
    let i = 0;
    return (out) => out.forEach((_, j) => (out[j] = i++ / 4));
  }, 3);

  function graph(): GraphBuilder {
    const g = new GraphBuilder('streamed');
    const x = g.input('x', DataType.INT64, [1]);
    const table = g.init('table', [5, 2], streamed());
    const w = g.init('w', [300], Float32Array.from({ length: 300 }, (_, i) => i)); // 1200 bytes: outside
    g.node('Add', [g.node('ReduceMean', [g.node('Gather', [table, x])], { axes: [1], keepdims: 0 }), g.node('ReduceMean', [w], { keepdims: 1 })], {}, 'y');
    g.output('y', DataType.FLOAT, [1]);
    return g;
  }

  it('writes the bytes toModel and toModelWithExternalData give, which onnxruntime reads', async () => {
    const g = graph();
    await g.writeModel(join(dir, 'inline.onnx'));
    expect(new Uint8Array(await readFile(join(dir, 'inline.onnx')))).toEqual(g.toModel());
    await g.writeModelWithExternalData(join(dir, 'split.onnx'), join(dir, 'split.data'), 'split.data', { threshold: 32, align: 64 });
    const inMemory = g.toModelWithExternalData('split.data', { threshold: 32, align: 64 });
    expect(new Uint8Array(await readFile(join(dir, 'split.onnx')))).toEqual(inMemory.model);
    const data = new Uint8Array(await readFile(join(dir, 'split.data')));
    expect(data).toEqual(inMemory.data);
    expect(data.length).toBe(64 + 1200); // the 40-byte table, a gap to 64, then w

    const x = new ort.Tensor('int64', BigInt64Array.of(3n), [1]);
    for (const session of [
      await ort.InferenceSession.create(g.toModel()),
      await ort.InferenceSession.create(inMemory.model, { externalData: [{ path: 'split.data', data }] }),
    ]) {
      const { y } = await session.run({ x });
      expect(Array.from(y!.data as Float32Array)).toEqual([(6 + 7) / 8 + 149.5]); // row 3 holds 6/4 and 7/4
      await session.release();
    }
  });
});

describe('big SD-Turbo stand-ins', () => {
  const unetBytes = 64e6;
  const margin = 0.5e6;
  let root: string;
  let tinyDir: string;
  let tiny: ort.InferenceSession;
  const outputs: Partial<Record<BigLayout, Float32Array[]>> = {};

  // One step of SD-Turbo at two timesteps, batch 1, 16x16 latents, a 77-token prompt.
  const sample = new ort.Tensor('float32', randn(4 * 16 * 16, 1).map((v) => v * 14.6146), [1, 4, 16, 16]);
  const context = new ort.Tensor('float32', randn(77 * TINY.hidden, 2), [1, 77, TINY.hidden]);
  const timesteps = [999, 499];
  const run = async (session: ort.InferenceSession) => {
    const results = [];
    for (const t of timesteps) {
      const { out_sample } = await session.run({ sample, timestep: new ort.Tensor('int64', BigInt64Array.of(BigInt(t)), [1]), encoder_hidden_states: context });
      results.push(out_sample!.data as Float32Array);
    }
    return results;
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'big-model-'));
    tinyDir = join(root, 'tiny');
    await writeTinyModel(tinyDir);
    tiny = await ort.InferenceSession.create(unetGraph(0).toModel());
  });
  afterAll(async () => {
    await tiny.release();
    await rm(root, { recursive: true, force: true });
  });

  for (const layout of ['single', 'external'] as const) {
    it(`${layout}: the sd-turbo files with a ${unetBytes / 1e6} MB UNet that onnxruntime loads and runs`, async () => {
      const start = performance.now();
      const dir = await ensureBigModel(root, `tiny/big-${layout}`, { unetBytes, layout });
      console.log(`${layout}: ${unetBytes / 1e6} MB UNet written in ${Math.round(performance.now() - start)} ms`);

      expect((await listFiles(dir)).sort()).toEqual(bigModelFiles(layout).sort());
      for (const file of TINY_MODEL_FILES.filter((f) => f !== 'unet/model.onnx')) {
        expect(await sha256(join(dir, file)), file).toBe(await sha256(join(tinyDir, file))); // all but the UNet as the tiny repo
      }
      const model = await readFile(join(dir, 'unet/model.onnx'));
      const data = layout === 'external' ? await readFile(join(dir, 'unet/model.onnx_data')) : undefined;
      if (data) expect(model.length).toBeLessThan(100e3); // every table outside
      expect(Math.abs(model.length + (data?.length ?? 0) - unetBytes)).toBeLessThan(margin);

      const session = await ort.InferenceSession.create(model, data && { externalData: [{ path: 'model.onnx_data', data }] });
      expect(signature(session.inputMetadata)).toEqual(EXPECTED['sd-turbo'].models['unet/model.onnx']!.inputs);
      expect(signature(session.outputMetadata)).toEqual(EXPECTED['sd-turbo'].models['unet/model.onnx']!.outputs);
      const [late, early] = await run(session);
      await session.release();
      expect(late!.every(Number.isFinite) && early!.every(Number.isFinite)).toBe(true);

      // The tables add one small term per timestep to what the tiny UNet computes.
      const [tinyLate, tinyEarly] = await run(tiny);
      const terms = [late!.map((v, i) => v - tinyLate![i]!), early!.map((v, i) => v - tinyEarly![i]!)];
      for (const term of terms) {
        const mean = term.reduce((a, b) => a + b, 0) / term.length;
        expect(Math.abs(mean)).toBeGreaterThan(1e-4);
        expect(Math.abs(mean)).toBeLessThan(0.05);
        expect(term.every((v) => Math.abs(v - mean) < 2e-5)).toBe(true); // one value, up to float32 rounding (|out| ≲ 50)
      }
      expect(Math.abs(terms[0]![0]! - terms[1]![0]!)).toBeGreaterThan(1e-4);
      outputs[layout] = [late!, early!];
    });
  }

  it('writes the same weights in both layouts', () => {
    expect(outputs.single && outputs.external).toBeTruthy();
    expect(outputs.external).toEqual(outputs.single);
  });

  it('regenerates only when the options or the generator change, with the stamp beside the repo', async () => {
    const opts = { unetBytes, layout: 'single' } as const;
    const dir = await ensureBigModel(root, 'tiny/big-single', opts);
    const { mtimeMs } = await stat(join(dir, 'unet/model.onnx'));
    expect(await readFile(join(root, '.tiny--big-single.stamp'), 'utf8')).toMatch(/^tiny-model v\d+ family sd-turbo seed 0 unet-bytes 64000000 layout single sources [0-9a-f]{16}\n$/);
    expect(await ensureBigModel(root, 'tiny/big-single', opts)).toBe(dir);
    expect((await stat(join(dir, 'unet/model.onnx'))).mtimeMs).toBe(mtimeMs);

    await ensureBigModel(root, 'tiny/big-single', { unetBytes: 40e6, layout: 'external' });
    expect((await listFiles(dir)).sort()).toEqual(bigModelFiles('external').sort());
    expect(Math.abs((await stat(join(dir, 'unet/model.onnx_data'))).size - 40e6)).toBeLessThan(margin);
  });

  it('refuses sizes it cannot write before touching the repo', async () => {
    await expect(ensureBigModel(root, 'tiny/big-external', { unetBytes: 2 ** 31, layout: 'single' })).rejects.toThrow(/2 GB/);
    await expect(ensureBigModel(root, 'tiny/big-external', { unetBytes: 1e6, layout: 'external' })).rejects.toThrow(/at least 1 MB over/);
    expect((await listFiles(join(root, 'tiny/big-external'))).length).toBeGreaterThan(0); // untouched by the first refusal
  });
});
