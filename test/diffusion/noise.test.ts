import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createNoise, type CpuKernel, type Noise } from '../../src/diffusion/index.ts';

// Recorded by fixtures/record-torch-noise.py (torch 1.13's CPU kernels; CUDA's Philox in numpy).
interface Call {
  n: number;
  values?: number[];
  prefix?: number[];
  suffix?: number[];
  stride?: number;
  strided?: number[];
  sum?: number;
  sumAbs?: number;
  sumSquares?: number;
}
interface Case {
  seed: string;
  calls: Call[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/torch-noise.json', import.meta.url), 'utf8')) as {
  cpu: Record<CpuKernel, Case[]>;
  gpu: { a1111Seed0: number[]; cases: Case[] };
};

const RELATIVE = 1e-6;

/** Every recorded value of the call within 1e-6 relative; a big call by its ends, a strided sample and its sums. */
function expectCall(got: Float32Array, call: Call): void {
  expect(got.length).toBe(call.n);
  const pairs: [number, number, number][] = [];
  if (call.values) call.values.forEach((v, i) => pairs.push([i, got[i]!, v]));
  else {
    call.prefix!.forEach((v, i) => pairs.push([i, got[i]!, v]));
    call.suffix!.forEach((v, i) => pairs.push([call.n - call.suffix!.length + i, got[call.n - call.suffix!.length + i]!, v]));
    call.strided!.forEach((v, i) => pairs.push([i * call.stride!, got[i * call.stride!]!, v]));
    let sum = 0;
    let squares = 0;
    for (const v of got) (sum += v), (squares += v * v);
    expect(Math.abs(sum - call.sum!)).toBeLessThanOrEqual(RELATIVE * call.sumAbs!);
    expect(Math.abs(squares - call.sumSquares!)).toBeLessThanOrEqual(2 * RELATIVE * call.sumSquares!);
  }
  const off = pairs.filter(([, a, e]) => !(Math.abs(a - e) <= RELATIVE * Math.abs(e)));
  expect(off.map(([i, a, e]) => `[${i}] ${a} ≠ ${e}`)).toEqual([]);
}

function replay(noise: Noise, c: Case): void {
  for (const call of c.calls) expectCall(noise.randn(call.n), call);
}

const label = (c: Case) => `seed ${c.seed}, calls ${c.calls.map((x) => x.n).join(' then ')}`;

describe("createNoise('cpu'): torch.randn on torch.Generator('cpu').manual_seed(seed)", () => {
  for (const kernel of ['avx2', 'default'] as const) {
    describe(`torch's ${kernel} kernel`, () => {
      for (const c of fixture.cpu[kernel]) {
        it(label(c), () => replay(createNoise('cpu', BigInt(c.seed), { cpuKernel: kernel }), c));
      }
    });
  }

  it('is AVX2 by default and follows its machine code to the bit', () => {
    for (const c of fixture.cpu.avx2) {
      const noise = createNoise('cpu', BigInt(c.seed));
      for (const call of c.calls) {
        const got = noise.randn(call.n);
        if (call.values) expect([...got]).toEqual(call.values);
        else expect([...got.subarray(0, call.prefix!.length)]).toEqual(call.prefix);
      }
    }
  });

  it('the two kernels are not the same numbers, so the choice matters', () => {
    const n = 4 * 64 * 64;
    const avx2 = createNoise('cpu', 42, { cpuKernel: 'avx2' }).randn(n);
    const plain = createNoise('cpu', 42, { cpuKernel: 'default' }).randn(n);
    let differ = 0;
    for (let i = 0; i < n; i++) if (Math.abs(avx2[i]! - plain[i]!) > RELATIVE * Math.abs(plain[i]!)) differ++;
    expect(differ).toBeGreaterThan(0);
    expect(differ).toBeLessThan(n / 10);
  });
});

describe("createNoise('gpu'): torch's CUDA Philox as A1111's rng_philox.py has it", () => {
  it('Generator(seed=0).randn((3, 4)) gives the values A1111 quotes', () => {
    const got = createNoise('gpu', 0).randn(12);
    fixture.gpu.a1111Seed0.forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThanOrEqual(RELATIVE * Math.abs(v)));
  });

  for (const c of fixture.gpu.cases) it(`${label(c)} (numpy restatement)`, () => replay(createNoise('gpu', BigInt(c.seed)), c));
});

describe('seeds', () => {
  it('a number and a bigint are the same seed', () => {
    for (const source of ['cpu', 'gpu'] as const) {
      expect([...createNoise(source, 1234).randn(20)]).toEqual([...createNoise(source, 1234n).randn(20)]);
    }
  });

  it('the CPU generator keeps the low 32 bits of the seed, the GPU one all 64', () => {
    const high = 5n + (1n << 32n);
    expect([...createNoise('cpu', high).randn(20)]).toEqual([...createNoise('cpu', 5).randn(20)]);
    expect([...createNoise('gpu', high).randn(20)]).not.toEqual([...createNoise('gpu', 5).randn(20)]);
  });

  it("a negative seed is its two's complement, as torch takes it", () => {
    for (const source of ['cpu', 'gpu'] as const) {
      expect([...createNoise(source, -1).randn(20)]).toEqual([...createNoise(source, 2n ** 64n - 1n).randn(20)]);
    }
  });

  it('refuses what torch refuses, saying why', () => {
    expect(() => createNoise('cpu', 1.5)).toThrow(/whole number/);
    expect(() => createNoise('cpu', Number.NaN)).toThrow(/whole number/);
    expect(() => createNoise('cpu', 2 ** 60)).toThrow(/bigint/);
    expect(() => createNoise('gpu', 2n ** 64n)).toThrow(/64 bits/);
    expect(() => createNoise('gpu', -(2n ** 63n) - 1n)).toThrow(/64 bits/);
    expect(() => createNoise('tpu' as 'cpu', 1)).toThrow(/"cpu" or "gpu"/);
  });
});
