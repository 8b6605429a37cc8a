import { describe, expect, it } from 'vitest';
import { EulerDiscreteScheduler, SeededRandom } from '../../src/diffusion/index.ts';

const sdTurbo = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', timestep_spacing: 'trailing' } as const;

describe('EulerDiscreteScheduler (SD-Turbo config)', () => {
  it('one trailing step starts at t = 999 with σ = 14.6146 and initial noise σ', () => {
    const s = new EulerDiscreteScheduler(sdTurbo);
    s.setTimesteps(1);
    expect(s.timesteps).toEqual([999]);
    expect(s.sigmas[0]).toBeCloseTo(14.6146, 3);
    expect(s.sigmas[1]).toBe(0);
    expect(s.initNoiseSigma).toBeCloseTo(14.6146, 3);
  });

  it('spaces several steps like diffusers’ trailing spacing', () => {
    const s = new EulerDiscreteScheduler(sdTurbo);
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([999, 749, 499, 249]);
    expect(s.sigmas).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect(s.sigmas[i]).toBeLessThan(s.sigmas[i - 1]);
    // σ is √((1−ᾱ)/ᾱ): at t = 0 it is √(β₀/(1−β₀)).
    expect(s.trainSigmas[0]).toBeCloseTo(Math.sqrt(0.00085 / (1 - 0.00085)), 8);
  });

  it('scales the UNet input by 1/√(σ²+1) and one step gives x0 = x − σ·ε', () => {
    const s = new EulerDiscreteScheduler(sdTurbo);
    s.setTimesteps(1);
    const sigma = s.sigmas[0];
    const x = Float32Array.of(10, -3, 0.5);
    const eps = Float32Array.of(0.7, -0.2, 1);
    const scaled = s.scaleModelInput(x, 0);
    x.forEach((v, i) => expect(scaled[i]).toBeCloseTo(v / Math.sqrt(sigma * sigma + 1), 5));
    const x0 = s.step(eps, 0, x);
    x.forEach((v, i) => expect(x0[i]).toBeCloseTo(v - sigma * eps[i], 4));
  });
});

describe('SeededRandom', () => {
  it('repeats for a seed and differs between seeds', () => {
    expect([...new SeededRandom(42).normals(8)]).toEqual([...new SeededRandom(42).normals(8)]);
    expect([...new SeededRandom(42).normals(8)]).not.toEqual([...new SeededRandom(43).normals(8)]);
  });

  it('draws standard normals', () => {
    const xs = new SeededRandom(7).normals(200_000);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });
});
