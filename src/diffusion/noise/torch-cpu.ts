import { logAvx, sinCosAvx } from './avx-math.ts';
import { Mt19937 } from './mt19937.ts';

/**
 * Which of torch's two float32 CPU normal kernels to imitate for tensors of 16 or more values
 * (aten/src/ATen/native/cpu/DistributionTemplates.h): `avx2` (`normal_fill_AVX2`, what x86 builds
 * run on any AVX2 CPU; AVX-512 CPUs run it too, as DistributionKernels.cpp keeps `normal_stub` off
 * AVX-512) or `default` (`normal_fill`, libm's logf/cosf/sinf: ARM builds such as Apple's, or
 * `ATEN_CPU_CAPABILITY=default`). The two differ by up to ~2e-6 absolute.
 */
export type CpuKernel = 'avx2' | 'default';

const f = Math.fround;
const TWO_PI_F32 = f(2 * Math.PI);

/**
 * `torch.randn(n, generator=torch.Generator('cpu').manual_seed(seed))` in float32, call after call
 * on one generator. torch fills a contiguous float tensor of n ≥ 16 values in one pass
 * (`normal_fill`): n uniforms `(u32 & 0xffffff) / 2^24`, then Box–Muller on each block of 16
 * (u1 = 1 − data[j], u2 = data[j + 8] → r·cos θ at j, r·sin θ at j + 8), and when n is not a
 * multiple of 16 it draws 16 fresh uniforms for the last 16 places and transforms those again.
 * Below 16 values each element comes from the scalar `normal_distribution<double>`: two 53-bit
 * uniforms, r = √(−2·log(1 − u2)), θ = 2π·u1, r·cos θ returned and r·sin θ cached on the
 * generator for its next scalar draw (the cache survives between calls, and a 16+ fill neither
 * reads nor clears it).
 */
export class TorchCpuNoise {
  private readonly engine: Mt19937;
  private cachedNormal: number | undefined;

  constructor(seed: bigint, private readonly kernel: CpuKernel = 'avx2') {
    this.engine = new Mt19937(seed);
  }

  /** The next `n` standard normals. */
  randn(n: number): Float32Array {
    const out = new Float32Array(n);
    if (n >= 16) this.fill(out);
    else for (let i = 0; i < n; i++) out[i] = this.scalarNormal();
    return out;
  }

  private fill(data: Float32Array): void {
    const n = data.length;
    for (let i = 0; i < n; i++) data[i] = this.uniformFloat();
    for (let i = 0; i + 16 <= n; i += 16) this.boxMuller16(data, i);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) data[i] = this.uniformFloat();
      this.boxMuller16(data, n - 16);
    }
  }

  private boxMuller16(data: Float32Array, at: number): void {
    for (let j = at; j < at + 8; j++) {
      const u1 = f(1 - data[j]!); // [0, 1) → (0, 1] for the log
      const u2 = data[j + 8]!;
      if (this.kernel === 'avx2') {
        const radius = f(Math.sqrt(f(-2 * logAvx(u1))));
        const [sin, cos] = sinCosAvx(f(TWO_PI_F32 * u2));
        data[j] = f(radius * cos);
        data[j + 8] = f(radius * sin);
      } else {
        const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
        const theta = f(2 * Math.PI * u2); // 2.0f * pi<double> * u2: a double product stored as float
        data[j] = f(radius * f(Math.cos(theta)));
        data[j + 8] = f(radius * f(Math.sin(theta)));
      }
    }
  }

  private scalarNormal(): number {
    if (this.cachedNormal !== undefined) {
      const cached = this.cachedNormal;
      this.cachedNormal = undefined;
      return cached;
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const r = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** `uniform_real_distribution<float>(0, 1)`: the low 24 bits of one draw, over 2^24. */
  private uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) / 16777216;
  }

  /** `uniform_real_distribution<double>(0, 1)`: `random64()` (first draw high) masked to 53 bits, over 2^53. */
  private uniformDouble(): number {
    const hi = this.engine.nextUint32() & 0x1fffff;
    const lo = this.engine.nextUint32();
    return (hi * 4294967296 + lo) / 9007199254740992;
  }
}
