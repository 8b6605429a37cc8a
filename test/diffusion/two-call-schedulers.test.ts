import { describe, expect, it } from 'vitest';
import { HeunDiscreteScheduler, KDPM2DiscreteScheduler } from '../../src/diffusion/schedulers/index.ts';

const SD = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' };
const x = Float32Array.of(3, -1, 0.5, 2);
const eps = Float32Array.of(0.2, -0.4, 0.1, 0.3);

describe.each([
  ['HeunDiscreteScheduler', HeunDiscreteScheduler],
  ['KDPM2DiscreteScheduler', KDPM2DiscreteScheduler],
] as const)('%s: two model calls per step behind the one-call interface', (name, SchedulerClass) => {
  it('has order 2 and 2·steps − 1 timesteps, each step\'s own timestep first', () => {
    const s = new SchedulerClass({ ...SD, timestep_spacing: 'trailing' });
    s.setTimesteps(4);
    expect(s.order).toBe(2);
    expect(s.timesteps).toHaveLength(7);
    expect([0, 2, 4, 6].map((i) => s.timesteps[i])).toEqual([999, 749, 499, 249]);
  });

  it('refuses the second half of a step whose first half did not run', () => {
    const s = new SchedulerClass(SD);
    s.setTimesteps(4);
    expect(() => s.step(eps, 1, x)).toThrow(new RegExp(`${name}: step 1 finishes the step begun at 0; run that one first`));
    s.step(eps, 0, x);
    expect(() => s.step(eps, 3, x)).toThrow(/step 3 finishes the step begun at 2/);
    s.setTimesteps(4); // forgets the first half
    expect(() => s.step(eps, 1, x)).toThrow(/run that one first/);
  });

  it('img2img from a later step: addNoise at that step\'s first call is x0 + σ_k·noise, and the step runs from there', () => {
    const s = new SchedulerClass(SD);
    s.setTimesteps(6);
    const k = 2;
    const sigma = s.sigmas[k * s.order]!;
    const noised = s.addNoise(x, eps, k * s.order);
    noised.forEach((v, i) => expect(v).toBeCloseTo(x[i]! + sigma * eps[i]!, 5));
    const half = s.step(eps, k * s.order, noised);
    expect(() => s.step(eps, k * s.order + 1, half)).not.toThrow();
  });

  it('one step is a single Euler call from σ_max to 0: x0 = x − σ·ε', () => {
    const s = new SchedulerClass({ ...SD, timestep_spacing: 'trailing' });
    s.setTimesteps(1);
    expect(s.timesteps).toEqual([999]);
    const sigma = s.sigmas[0]!;
    expect(sigma).toBeCloseTo(14.6146, 3);
    s.step(eps, 0, x).forEach((v, i) => expect(v).toBeCloseTo(x[i]! - sigma * eps[i]!, 4));
  });
});

describe('the second call', () => {
  it('Heun: the first call is an Euler step; the second redoes it from the start with the mean slope', () => {
    const s = new HeunDiscreteScheduler(SD);
    s.setTimesteps(3);
    const [s0, s1] = [s.sigmas[0]!, s.sigmas[1]!];
    expect(s.sigmas[2]).toBe(s1); // σ₁ is listed twice: the second call is made at it
    const euler = s.step(eps, 0, x);
    euler.forEach((v, i) => expect(v).toBeCloseTo(x[i]! + eps[i]! * (s1 - s0), 5));
    const eps2 = Float32Array.of(0.1, 0.1, -0.2, 0);
    s.step(eps2, 1, euler).forEach((v, i) => expect(v).toBeCloseTo(x[i]! + ((eps[i]! + eps2[i]!) / 2) * (s1 - s0), 5));
  });

  it('DPM2: the first call goes to the geometric midpoint, the second takes the whole step with the midpoint\'s slope', () => {
    const s = new KDPM2DiscreteScheduler(SD);
    s.setTimesteps(3);
    const [s0, s1] = [s.sigmas[0]!, s.sigmas[1]!];
    const mid = Math.sqrt(s0 * s1);
    expect(s.sigmasInterpol[1]).toBeCloseTo(mid, 5);
    // The model is asked at the midpoint's timestep, with the input scaled for the midpoint's σ.
    expect(s.timesteps[1]).toBeGreaterThan(s.timesteps[2]!);
    expect(s.timesteps[1]).toBeLessThan(s.timesteps[0]!);
    expect(s.scaleModelInput(x, 1)[0]).toBeCloseTo(x[0]! / Math.sqrt(mid * mid + 1), 5);
    const half = s.step(eps, 0, x);
    half.forEach((v, i) => expect(v).toBeCloseTo(x[i]! + eps[i]! * (mid - s0), 4));
    const eps2 = Float32Array.of(0.1, 0.1, -0.2, 0);
    s.step(eps2, 1, half).forEach((v, i) => expect(v).toBeCloseTo(x[i]! + eps2[i]! * (s1 - s0), 4));
  });
});
