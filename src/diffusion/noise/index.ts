/**
 * Seeded noise that equals torch's for the same seed: the CPU generator diffusers and ComfyUI
 * use, and the CUDA generator as AUTOMATIC1111 reproduces it.
 * @module
 */
import { PhiloxNoise } from './philox.ts';
import { seedToUint64, type Seed } from './seed.ts';
import { TorchCpuNoise, type CpuKernel } from './torch-cpu.ts';

export { seedToUint64, type Seed } from './seed.ts';
export type { CpuKernel } from './torch-cpu.ts';

/**
 * Where the numbers come from, as A1111's "Random number generator source" names them:
 * `cpu` is `torch.Generator('cpu')` (diffusers, ComfyUI, A1111's "CPU"), `gpu` torch's CUDA
 * Philox generator (A1111's default "GPU" on NVIDIA cards, and its "NV" everywhere).
 */
export type NoiseSource = 'cpu' | 'gpu';

/** A seeded stream of standard normals; each call continues where the last one stopped. */
export interface Noise {
  /** The next `n` values of N(0, 1), as one `torch.randn(n)` call on the generator would give them. */
  randn(n: number): Float32Array;
}

/** Options for {@link createNoise}. */
export interface NoiseOptions {
  /** Which torch CPU kernel to imitate for 16 or more values (default `avx2`, what x86 machines run). */
  cpuKernel?: CpuKernel;
}

/**
 * A noise stream for `seed`: `createNoise('cpu', s).randn(n)` is
 * `torch.randn(n, generator=torch.Generator('cpu').manual_seed(s))` in float32, and
 * `createNoise('gpu', s).randn(n)` A1111's `rng_philox.Generator(s).randn((n,))`. The seed may be
 * any integer in [−2^63, 2^64) (a bigint beyond 2^53); a negative one is taken as its two's
 * complement, as torch takes it. The CPU generator only uses the seed's low 32 bits (torch's
 * mt19937 does), the GPU one all 64.
 */
export function createNoise(source: NoiseSource, seed: Seed, options: NoiseOptions = {}): Noise {
  const seed64 = seedToUint64(seed);
  if (source === 'cpu') return new TorchCpuNoise(seed64, options.cpuKernel ?? 'avx2');
  if (source === 'gpu') return new PhiloxNoise(seed64);
  throw new RangeError(`Unknown noise source "${String(source)}": use "cpu" or "gpu".`);
}
