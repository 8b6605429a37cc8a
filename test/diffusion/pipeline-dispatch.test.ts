// The one door to both pipelines (pipeline.ts) on real stand-ins in Node: a repo is opened with
// the pipeline its files call for, and Z-Image's text encoder closed after each prompt (as the
// engine does when memory is short) gives the same pixels, reopening only for a new prompt.
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { isFlowMatchModel, loadModel, releaseModel, runPipeline, type RunnerFactory } from '../../src/diffusion/index.ts';
import { runnerFactory, type Ort } from '../../src/runtime/session.ts';
import { ensureTinyModel, FAMILIES } from '../../tools/tiny-model/tiny-model.ts';
import { folderReader } from '../support/reference.ts';

const ROOT = '.cache/hub-root';
const wasm = runnerFactory(ort as unknown as Ort, 'wasm');
let sdDir: string;
let zDir: string;
beforeAll(async () => {
  sdDir = await ensureTinyModel(ROOT, FAMILIES['sd-turbo'].repo, { family: 'sd-turbo' });
  zDir = await ensureTinyModel(ROOT, FAMILIES['z-image-turbo'].repo, { family: 'z-image-turbo' });
});

/** A factory that logs each session opened and released. */
function logged(log: string[]): RunnerFactory {
  return async (name, files, options) => {
    const runner = await wasm(name, files, options);
    log.push(`open ${name}`);
    return { ...runner, release: async () => (log.push(`release ${name}`), runner.release()) };
  };
}

describe('loadModel and runPipeline', () => {
  it('open a UNet repo with Stable Diffusion and a transformer repo with the flow-matching pipeline, and run each', async () => {
    const sd = await loadModel(await folderReader(sdDir), wasm);
    const z = await loadModel(await folderReader(zDir), wasm);
    expect([isFlowMatchModel(sd), sd.family, isFlowMatchModel(z), z.family]).toEqual([false, 'sd-turbo', true, 'z-image']);
    const req = { prompt: 'a cat', seed: 1, steps: 2, guidanceScale: 0, width: 64, height: 64 };
    const [a, b] = [await runPipeline(sd, { ...req, steps: 1 }), await runPipeline(z, req)];
    expect(Object.keys(a.timings).sort()).toEqual(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']);
    expect(Object.keys(b.timings).sort()).toEqual(['text_encoder', 'transformer', 'vae_decoder']);
    expect([a.images[0]!.image.width, b.images[0]!.image.width, a.notices, b.notices]).toEqual([64, 64, [], []]);
    await releaseModel(sd);
    await releaseModel(z);
  });

  it('with the text encoder released after each prompt: the same pixels, one reopening per new prompt, none for a prompt seen before', async () => {
    const kept = await loadModel(await folderReader(zDir), wasm);
    const log: string[] = [];
    const released = await loadModel(await folderReader(zDir), logged(log), { releaseTextEncoder: true });
    const req = { prompt: 'a lighthouse', seed: 3, steps: 3, guidanceScale: 0, width: 64, height: 64 };
    const stages: string[] = [];
    const first = await runPipeline(released, req, (e) => e.stage === 'text_encoder' && stages.push(e.reused ? 'reused' : 'starts'));
    expect(first.images[0]!.image.data).toEqual((await runPipeline(kept, req)).images[0]!.image.data);
    await runPipeline(released, { ...req, seed: 4 }, (e) => e.stage === 'text_encoder' && stages.push(e.reused ? 'reused' : 'starts'));
    await runPipeline(released, { ...req, prompt: 'a dog' });
    expect(stages).toEqual(['starts', 'starts', 'reused']); // the second run's prompt was encoded by the first
    // Opened once at load to check it, released; then once per new prompt, released after encoding.
    expect(log.filter((l) => l.endsWith('text_encoder'))).toEqual(Array(3).fill(['open text_encoder', 'release text_encoder']).flat());
    expect(log.filter((l) => !l.endsWith('text_encoder'))).toEqual(['open transformer', 'open vae_decoder']);
    await releaseModel(kept);
    await releaseModel(released);
  });
});
