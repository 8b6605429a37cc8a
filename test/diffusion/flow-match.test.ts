import { describe, expect, it } from 'vitest';
import { createScheduler, FlowMatchEulerDiscreteScheduler, flowMatchMu } from '../../src/diffusion/schedulers/index.ts';

// Tongyi-MAI/Z-Image-Turbo's scheduler/scheduler_config.json (as public code that loads it shows).
const Z_IMAGE = { _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift: 3.0, use_dynamic_shifting: false };
const FLUX = { ...Z_IMAGE, use_dynamic_shifting: true, base_shift: 0.5, max_shift: 1.15, base_image_seq_len: 256, max_image_seq_len: 4096 };
const x = Float32Array.of(0.5, -1, 2, 0);
const v = Float32Array.of(1, 0.25, -0.5, 2);

describe('FlowMatchEulerDiscreteScheduler', () => {
  it('Z-Image-Turbo: σ starts at 1, timesteps are σ·1000, sample = noise (initNoiseSigma 1), input unscaled', () => {
    const s = createScheduler(Z_IMAGE) as FlowMatchEulerDiscreteScheduler;
    s.setTimesteps(8, { sigmas: Array.from({ length: 8 }, (_, i) => 1 - i / 8) });
    expect(s.sigmas[0]).toBe(1);
    expect(s.sigmas[8]).toBe(0);
    s.timesteps.forEach((t, i) => expect(t).toBeCloseTo(s.sigmas[i]! * 1000, 3));
    // σ' = 3σ / (1 + 2σ): 0.125 → 0.3.
    expect(s.sigmas[7]).toBeCloseTo(0.3, 6);
    expect([s.initNoiseSigma, s.order, s.stochastic]).toEqual([1, 1, false]);
    expect(Array.from(s.scaleModelInput(x, 3))).toEqual(Array.from(x));
  });

  it('a step is x + (σ_next − σ)·v; the last lands on x − σ·v, the clean sample', () => {
    const s = new FlowMatchEulerDiscreteScheduler(Z_IMAGE);
    s.setTimesteps(3);
    const [a, b] = [s.sigmas[0]!, s.sigmas[1]!];
    s.step(v, 0, x).forEach((y, i) => expect(y).toBeCloseTo(x[i]! + (b - a) * v[i]!, 6));
    const last = s.sigmas[2]!;
    s.step(v, 2, x).forEach((y, i) => expect(y).toBeCloseTo(x[i]! - last * v[i]!, 6));
  });

  it('img2img (diffusers\' scale_noise): σ·noise + (1 − σ)·x0', () => {
    const s = new FlowMatchEulerDiscreteScheduler(Z_IMAGE);
    s.setTimesteps(4);
    const sigma = s.sigmas[1]!;
    s.addNoise(x, v, 1).forEach((y, i) => expect(y).toBeCloseTo(sigma * v[i]! + (1 - sigma) * x[i]!, 6));
  });

  it('dynamic shifting needs mu, and shifts by e^mu: more for larger images', () => {
    const s = new FlowMatchEulerDiscreteScheduler(FLUX);
    expect(() => s.setTimesteps(4)).toThrow(/use_dynamic_shifting needs mu.*flowMatchMu.*setTimesteps\(steps, \{ mu \}\)/);
    s.setTimesteps(4, { mu: flowMatchMu(FLUX, 256) });
    const small = s.sigmas[2]!;
    s.setTimesteps(4, { mu: flowMatchMu(FLUX, 4096) });
    expect(s.sigmas[2]).toBeGreaterThan(small);
    // e^mu / (e^mu + 1/σ − 1) at an unshifted σ of 1/3 (the default spacing from 1 to 1/1000).
    const plain = (1000 - (2 / 3) * 999) / 1000;
    expect(s.sigmas[2]).toBeCloseTo(Math.exp(1.15) / (Math.exp(1.15) + 1 / plain - 1), 6);
  });

  it('flowMatchMu is diffusers\' calculate_shift: base_shift at base_image_seq_len, max_shift at max_image_seq_len', () => {
    expect(flowMatchMu(FLUX, 256)).toBeCloseTo(0.5, 12);
    expect(flowMatchMu(FLUX, 4096)).toBeCloseTo(1.15, 12);
    expect(flowMatchMu(FLUX, 2176)).toBeCloseTo(0.825, 12);
    expect(flowMatchMu({}, 4096)).toBeCloseTo(1.15, 12); // the pipelines' defaults
  });

  it('without dynamic shifting mu is ignored, as Z-Image\'s pipeline passes it anyway', () => {
    const a = new FlowMatchEulerDiscreteScheduler(Z_IMAGE);
    const b = new FlowMatchEulerDiscreteScheduler(Z_IMAGE);
    a.setTimesteps(6);
    b.setTimesteps(6, { mu: 3 });
    expect(b.sigmas).toEqual(a.sigmas);
  });

  it('refuses custom sigmas of the wrong count or range, and other schedulers refuse them at all', () => {
    const s = new FlowMatchEulerDiscreteScheduler(Z_IMAGE);
    expect(() => s.setTimesteps(4, { sigmas: [1, 0.5] })).toThrow(/got 2 sigmas for 4 steps/);
    expect(() => s.setTimesteps(2, { sigmas: [1, Number.NaN] })).toThrow(/custom sigmas must be numbers in \(0, 1\]/);
    const euler = createScheduler({ _class_name: 'EulerDiscreteScheduler' });
    expect(() => euler.setTimesteps(2, { sigmas: [1, 0.5] })).toThrow(/EulerDiscreteScheduler: custom sigmas are not supported; only FlowMatchEulerDiscreteScheduler takes them/);
  });

  it('stochastic_sampling re-noises x0 with the caller\'s noise, and needs it', () => {
    const s = new FlowMatchEulerDiscreteScheduler({ ...Z_IMAGE, stochastic_sampling: true });
    s.setTimesteps(3);
    expect(s.stochastic).toBe(true);
    expect(() => s.step(v, 0, x)).toThrow(/needs fresh N\(0, 1\) noise/);
    const noise = Float32Array.of(0, 1, 0, -1);
    const [a, b] = [s.sigmas[0]!, s.sigmas[1]!];
    s.step(v, 0, x, noise).forEach((y, i) => expect(y).toBeCloseTo((1 - b) * (x[i]! - a * v[i]!) + b * noise[i]!, 6));
  });
});
