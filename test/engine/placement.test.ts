// Which worker each component's session lives in (placement.ts), and the workers that plan starts
// and ends (component-workers.ts), with runtimes that only count what happens to them.
import { describe, expect, it } from 'vitest';
import type { ModelRunner } from '../../src/diffusion/index.ts';
import { componentWorkers } from '../../src/engine/component-workers.ts';
import { describePlan, placeComponents, WORKER_BUDGET } from '../../src/engine/placement.ts';
import type { Backend, Runtime } from '../../src/runtime/index.ts';

const GB = 1e9;
// webnn/Z-Image-Turbo (z-image.md §7): 2.2 GB text encoder, 3.7 GB transformer, 0.1 GB VAE; SD-Turbo's 2.4 GB.
const Z_IMAGE = { text_encoder: 2.2 * GB, transformer: 3.7 * GB, vae_decoder: 0.1 * GB };
const SD_TURBO = { text_encoder: 0.68 * GB, unet: 1.7 * GB, vae_decoder: 0.1 * GB };

describe('placeComponents', () => {
  it('keeps a model that fits one WebAssembly memory in one worker, as before (SD-Turbo, on both backends)', () => {
    for (const backend of ['wasm', 'webgpu'] as Backend[]) {
      const plan = placeComponents(SD_TURBO, { backend });
      expect(plan).toEqual({ workers: [['text_encoder', 'unet', 'vae_decoder']], releaseAfterUse: [], bytes: SD_TURBO });
      expect(describePlan(plan)).toBeUndefined();
    }
  });

  it("gives Z-Image-Turbo's text encoder a worker of its own, closed after use, and keeps each worker inside wasm32 on the CPU", () => {
    const cpu = placeComponents(Z_IMAGE, { backend: 'wasm', releasable: ['text_encoder'] });
    expect(cpu.workers).toEqual([['text_encoder'], ['transformer'], ['vae_decoder']]);
    expect(cpu.releaseAfterUse).toEqual(['text_encoder']);
    for (const group of cpu.workers) expect(group.reduce((s, c) => s + cpu.bytes[c]!, 0)).toBeLessThanOrEqual(WORKER_BUDGET);
    expect(describePlan(cpu)).toBe(
      '3 onnxruntime workers, one each for the text encoder (2.2 GB), the transformer (3.7 GB), the vae decoder (100 MB); ' +
        'the text encoder (2.2 GB) is closed once the prompt is encoded and reopened for a new prompt: this model (6.0 GB) is larger than one WebAssembly memory (4 GB).',
    );
    // On WebGPU the weights live in GPU memory: the transformer and the VAE share a worker.
    const gpu = placeComponents(Z_IMAGE, { backend: 'webgpu', releasable: ['text_encoder'] });
    expect(gpu.workers).toEqual([['text_encoder'], ['transformer', 'vae_decoder']]);
    expect(gpu.releaseAfterUse).toEqual(['text_encoder']);
    expect(describePlan(gpu)).toBe(
      '2 onnxruntime workers: one for the text encoder (2.2 GB); one for the transformer (3.7 GB) and the vae decoder (100 MB); ' +
        'the text encoder (2.2 GB) is closed once the prompt is encoded and reopened for a new prompt: this model (6.0 GB) is larger than one WebAssembly memory (4 GB).',
    );
  });

  it('packs small components together on the CPU while they fit a worker, and never releases what the pipeline cannot reopen', () => {
    const sd21 = { text_encoder: 1.36 * GB, unet: 3.46 * GB, vae_decoder: 0.2 * GB }; // an fp32 SD 2.1 export
    const plan = placeComponents(sd21, { backend: 'wasm' });
    expect(plan.workers).toEqual([['text_encoder'], ['unet', 'vae_decoder']]);
    expect(plan.releaseAfterUse).toEqual([]);
  });

  it('with memory "save", places any model as if it did not fit: a worker per component, the text encoder closed after use', () => {
    const tiny = { text_encoder: 3e6, transformer: 5e6, vae_decoder: 1e5 };
    const plan = placeComponents(tiny, { backend: 'wasm', releasable: ['text_encoder'], memory: 'save' });
    expect(plan.workers).toEqual([['text_encoder'], ['transformer'], ['vae_decoder']]);
    expect(plan.releaseAfterUse).toEqual(['text_encoder']);
    expect(plan.reason).toBe('memory saving was asked for');
  });
});

/** Runtimes that count their runners and whether they were closed. */
function fakeRuntimes() {
  const started: { backend: Backend; closed: boolean; opened: string[] }[] = [];
  const start = async (backend: Backend): Promise<Runtime> => {
    const me = { backend, closed: false, opened: [] as string[] };
    started.push(me);
    return {
      backend,
      shaderF16: false,
      createRunner: async (name) => {
        if (me.closed) throw new Error('worker already ended');
        me.opened.push(name);
        const runner: ModelRunner = { inputs: {}, outputs: {}, run: async () => ({}), release: async () => {} };
        return runner;
      },
      close: () => void (me.closed = true),
    };
  };
  return { started, start };
}

const FILES = { model: new Uint8Array(), readExternal: async () => new Uint8Array() };

describe('componentWorkers', () => {
  it('opens each group in its worker, started on first use, and the text encoder in a worker of its own per opening, ended with it', async () => {
    const plan = placeComponents(Z_IMAGE, { backend: 'wasm', releasable: ['text_encoder'] });
    const { started, start } = fakeRuntimes();
    const workers = componentWorkers(plan, 'wasm', start);
    expect(workers.running).toBe(0);

    const encoder = await workers.createRunner('text_encoder', FILES);
    await encoder.release();
    expect(started).toEqual([{ backend: 'wasm', closed: true, opened: ['text_encoder'] }]);
    expect(workers.running).toBe(0);

    await workers.createRunner('transformer', FILES);
    await workers.createRunner('vae_decoder', FILES);
    const again = await workers.createRunner('text_encoder', FILES); // a new prompt: reopened in a new worker
    expect(started.map((s) => [s.opened, s.closed])).toEqual([[['text_encoder'], true], [['transformer'], false], [['vae_decoder'], false], [['text_encoder'], false]]);
    expect(workers.running).toBe(3);
    await again.release();
    expect(workers.running).toBe(2);

    workers.close();
    expect(started.every((s) => s.closed)).toBe(true);
    expect(workers.running).toBe(0);
  });

  it('keeps a model that fits in one worker, and puts a component the plan does not name there', async () => {
    const plan = placeComponents(SD_TURBO, { backend: 'webgpu' });
    const { started, start } = fakeRuntimes();
    const workers = componentWorkers(plan, 'webgpu', start);
    for (const c of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) await workers.createRunner(c, FILES);
    expect(started).toEqual([{ backend: 'webgpu', closed: false, opened: ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder'] }]);
    const encoder = await workers.createRunner('text_encoder', FILES);
    await encoder.release(); // an SD session's release ends nothing but itself
    expect(started[0]!.closed).toBe(false);
  });

  it('ends the worker of a component whose session could not be made', async () => {
    const plan = placeComponents(Z_IMAGE, { backend: 'wasm', releasable: ['text_encoder'] });
    let closed = 0;
    const failing = async (backend: Backend): Promise<Runtime> => ({
      backend, shaderF16: false, createRunner: async () => Promise.reject(new Error('bad graph')), close: () => void closed++,
    });
    const workers = componentWorkers(plan, 'wasm', failing);
    await expect(workers.createRunner('text_encoder', FILES)).rejects.toThrow('bad graph');
    expect([closed, workers.running]).toEqual([1, 0]);
  });
});
