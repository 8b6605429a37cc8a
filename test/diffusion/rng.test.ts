import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/diffusion/rng.ts';

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
