// NaN recovery (src/diffusion/nan-recovery.ts): a stage that gives NaN is rerun with the
// fallbacks for its backend, the page is told in words, and nothing made from NaN passes on.
import { describe, expect, it } from 'vitest';
import {
  guardFinite, nanFallbacks, NonFiniteError, isGpuResident, rememberedRecoveryMessage, type ModelRunner, type Recovery, type RunnerOptions, type Tensor,
} from '../../src/diffusion/index.ts';

const f32 = (t: Tensor) => t.data as Float32Array;

/** A VAE-like runner whose output is always [value, 0.5]. */
const nanRunner = (value: number): ModelRunner => ({
  inputs: { latent_sample: { type: 'float32', dims: [] } },
  outputs: { sample: { type: 'float32', dims: [] } },
  run: async () => ({ sample: { data: Float32Array.of(value, 0.5), dims: [1, 2] } }),
  release: async () => {},
});

describe('what to try when a stage gives NaN', () => {
  it('on WebGPU: graph optimisation off, then the CPU; on the CPU: graph optimisation off', () => {
    expect(nanFallbacks('webgpu')).toEqual([{ backend: 'webgpu', graphOptimizationLevel: 'disabled' }, { backend: 'wasm' }]);
    expect(nanFallbacks('wasm')).toEqual([{ backend: 'wasm', graphOptimizationLevel: 'disabled' }]);
  });

  it('says in words which component runs with remembered settings', () => {
    expect(rememberedRecoveryMessage('vae_decoder')).toBe('vae decoder: using settings remembered from an earlier NaN recovery');
  });
});

describe('guardFinite', () => {
  it('reruns a stage that gave NaN with the next fallback, reports it, and keeps using it', async () => {
    const tried: RunnerOptions[] = [];
    const recovered: Recovery[] = [];
    const reopen = async (o: RunnerOptions) => (tried.push(o), nanRunner(o.backend === 'wasm' ? 0.25 : NaN));
    const guarded = guardFinite('vae_decoder', nanRunner(NaN), reopen, [{ graphOptimizationLevel: 'disabled' }, { backend: 'wasm' }], (r) => recovered.push(r));
    const out = await guarded.run({ latent_sample: { data: Float32Array.of(1), dims: [1] } });
    expect(Array.from(f32(out.sample))).toEqual([0.25, 0.5]);
    expect(tried).toEqual([{ graphOptimizationLevel: 'disabled' }, { backend: 'wasm' }]);
    expect(recovered).toHaveLength(1);
    expect(recovered[0].options).toEqual({ backend: 'wasm' });
    expect(recovered[0].message).toMatch(/vae decoder gave invalid numbers \(NaN\).*CPU \(wasm\)/);
    await guarded.run({ latent_sample: { data: Float32Array.of(1), dims: [1] } });
    expect(tried).toHaveLength(2); // the working session stays
  });

  it('says which stage failed when every fallback gives NaN too', async () => {
    const guarded = guardFinite('unet', nanRunner(NaN), async () => nanRunner(Infinity), [{ backend: 'wasm' }]);
    await expect(guarded.run({ x: { data: Float32Array.of(1), dims: [1] } })).rejects.toThrow(NonFiniteError);
    await expect(guardFinite('unet', nanRunner(NaN), async () => nanRunner(NaN), []).run({ x: { data: Float32Array.of(1), dims: [1] } })).rejects.toThrow(/The unet produced invalid numbers/);
  });

  it('checks an output left in GPU memory once, and reruns the stage through the CPU path when it is NaN', async () => {
    let disposed = 0;
    const onGpu = (value: number): ModelRunner => ({
      ...nanRunner(value),
      runGpuResident: async () => {
        const cpu: Tensor = { data: Float32Array.of(value, 0.5), dims: [1, 2] };
        return { dims: cpu.dims, handle: cpu, read: async () => cpu, dispose: () => void disposed++ };
      },
    });
    const recovered: Recovery[] = [];
    const fine = await guardFinite('text_encoder', onGpu(1), async () => nanRunner(0), [{ backend: 'wasm' }]).runGpuResident!({ x: { data: Float32Array.of(1), dims: [1] } }, 'sample');
    expect(isGpuResident(fine)).toBe(true);
    const guarded = guardFinite('text_encoder', onGpu(NaN), async () => nanRunner(0.25), [{ backend: 'wasm' }], (r) => recovered.push(r));
    const out = await guarded.runGpuResident!({ x: { data: Float32Array.of(1), dims: [1] } }, 'sample');
    expect(isGpuResident(out)).toBe(false);
    expect(Array.from(f32(out as Tensor))).toEqual([0.25, 0.5]);
    expect(disposed).toBe(1);
    expect(recovered.map((r) => r.options)).toEqual([{ backend: 'wasm' }]);
  });

  it('does not blame a stage for NaN it was given', async () => {
    let reopened = 0;
    const guarded = guardFinite('unet', nanRunner(NaN), async () => (reopened++, nanRunner(0)), [{ backend: 'wasm' }]);
    await guarded.run({ x: { data: Float32Array.of(NaN), dims: [1] } });
    expect(reopened).toBe(0);
  });
});
