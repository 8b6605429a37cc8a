import { describe, expect, it } from 'vitest';
import { UniPCMultistepScheduler } from '../../src/diffusion/schedulers/index.ts';

const SD = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' };
const x0 = Float32Array.of(0.5, -0.25, 1, 0);
const eps = Float32Array.of(0.3, -1, 0.2, 0.7);

/** The UNet output that says "the clean sample is x0" at the step's σ (variance-preserving form). */
function outputFor(s: UniPCMultistepScheduler, i: number, sample: Float32Array): Float32Array {
  const sigma = s.sigmas[i]!;
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return sample.map((v, k) => (v - alpha * x0[k]!) / (sigma * alpha));
}

describe('UniPCMultistepScheduler', () => {
  it('bh1 (A1111\'s variant) on a last σ of 0 lands on the clean sample, where diffusers gives NaN', () => {
    const s = new UniPCMultistepScheduler({ ...SD, solver_type: 'bh1', solver_order: 3 });
    s.setTimesteps(6);
    let sample: Float32Array = Float32Array.from(eps);
    s.timesteps.forEach((_, i) => {
      sample = s.step(outputFor(s, i, sample), i, sample);
    });
    sample.forEach((v, k) => expect(v).toBeCloseTo(x0[k]!, 5));
  });

  it('a model that always predicts the same x0 is followed exactly by bh2 too', () => {
    const s = new UniPCMultistepScheduler(SD);
    s.setTimesteps(8);
    let sample: Float32Array = Float32Array.from(eps);
    s.timesteps.forEach((_, i) => {
      sample = s.step(outputFor(s, i, sample), i, sample);
    });
    sample.forEach((v, k) => expect(v).toBeCloseTo(x0[k]!, 5));
  });

  it('refuses steps out of order (its history is per step), until setTimesteps starts over', () => {
    const s = new UniPCMultistepScheduler(SD);
    s.setTimesteps(5);
    s.step(eps, 0, x0);
    expect(() => s.step(eps, 2, x0)).toThrow(/UniPCMultistepScheduler: step 2 after step 0; take the steps in order/);
    s.setTimesteps(5);
    expect(() => s.step(eps, 2, x0)).not.toThrow(); // img2img may start anywhere
  });

  it('refuses the configs whose last step onto σ = 0 is undefined (NaN or ∞ in diffusers)', () => {
    expect(() => new UniPCMultistepScheduler({ ...SD, predict_x0: false })).toThrow(/predict_x0 false needs final_sigmas_type "sigma_min"/);
    expect(() => new UniPCMultistepScheduler({ ...SD, lower_order_final: false })).toThrow(/lower_order_final false needs final_sigmas_type "sigma_min"/);
    expect(() => new UniPCMultistepScheduler({ ...SD, predict_x0: false, final_sigmas_type: 'sigma_min' })).not.toThrow();
    expect(() => new UniPCMultistepScheduler({ ...SD, solver_type: 'logrho' })).toThrow(/solver_type "logrho" is not supported; use "bh1" or "bh2"/);
  });
});
