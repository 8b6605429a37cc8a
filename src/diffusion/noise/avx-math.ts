/**
 * The float32 log, sine and cosine of torch's AVX2 normal kernel (aten/src/ATen/native/cpu/
 * avx_mathfun.h: Pommier's cephes ports `log256_ps` and `sincos256_ps`), one lane at a time,
 * rounded to float32 exactly where the machine code rounds. They are an ulp or so away from a
 * correctly rounded log/sin/cos, enough to move values near zero by more than 1e-6 relative, so
 * the AVX2 variant of `torch.randn` needs them rather than Math.log/sin/cos.
 *
 * GCC contracts the intrinsics' multiply–add pairs into FMA instructions (its default
 * -ffp-contract=fast); which pairs, was read from the disassembly of Debian's libtorch_cpu 1.13
 * (the `normal_stub` AVX2 kernel) and is marked `fma` below. A build that does not contract
 * (MSVC) rounds those steps twice and can differ in the last bit.
 */
const f = Math.fround;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 a·b + c with one rounding (a·b is exact in float64; the sum is fixed up where float64 rounding would decide a float32 tie). */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f(s);
  if (r === s || r === 0 || !Number.isFinite(s)) return r;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb); // s + err is the exact sum
  if (err === 0) return r;
  // Only a float64 sum lying exactly halfway between two float32s can round the wrong way.
  f32[0] = r;
  u32[0] += (s > r) === (r > 0) ? 1 : -1;
  const neighbour = f32[0]!;
  if (s - r !== neighbour - s) return r;
  return (err > 0) === (neighbour > r) ? neighbour : r;
}

const SQRTHF = f(0.707106781186547524);
const LOG_P = [7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(f);
const LOG_Q1 = f(-2.12194440e-4);
const LOG_Q2 = f(0.693359375);

/** `log256_ps` for one positive float32 (the kernel only takes logs of 1 − u, in (0, 1]). */
export function logAvx(v: number): number {
  f32[0] = Math.max(v, 1.1754943508222875e-38); // min_norm_pos: cut off denormals
  const bits = u32[0]!;
  let e = f((bits >>> 23) - 127 + 1);
  u32[0] = (bits & ~0x7f800000) | 0x3f000000; // the mantissa with 0.5's exponent: x in [0.5, 1)
  let x = f32[0]!;
  const below = x < SQRTHF;
  x = f(f(x - 1) + (below ? x : 0));
  if (below) e = f(e - 1);
  const z = f(x * x);
  let y = LOG_P[0]!;
  for (let i = 1; i < LOG_P.length; i++) y = fma32(y, x, LOG_P[i]!);
  y = fma32(f(y * x), z, f(e * LOG_Q1));
  y = f(y - z * 0.5); // fused, but z·0.5 is exact
  return fma32(e, LOG_Q2, f(x + y));
}

const FOPI = f(1.27323954473516); // 4 / π
const DP1 = f(-0.78515625);
const DP2 = f(-2.4187564849853515625e-4);
const DP3 = f(-3.77489497744594108e-8);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);

/** `sincos256_ps` for one non-negative float32 angle (the kernel's θ = 2π·u is never negative): [sin, cos]. */
export function sinCosAvx(angle: number): [number, number] {
  // Octant j (even), and the angle less j·π/4 subtracted in three float32 pieces.
  let j = Math.trunc(f(angle * FOPI));
  j = (j + 1) & ~1;
  let x = fma32(j, DP1, angle);
  x = fma32(j, DP2, x);
  x = fma32(j, DP3, x);
  const z = f(x * x);
  let c = fma32(COS_P[0]!, z, COS_P[1]!);
  c = fma32(c, z, COS_P[2]!);
  c = fma32(f(c * z), z, -z * 0.5);
  c = f(c + 1);
  let s = fma32(SIN_P[0]!, z, SIN_P[1]!);
  s = fma32(s, z, SIN_P[2]!);
  s = fma32(f(s * z), x, x);
  // Octants where j & 2 is 0 take the sine polynomial for the sine; the others swap the two.
  const [sin, cos] = (j & 2) === 0 ? [s, c] : [c, s];
  return [j & 4 ? -sin : sin, ~(j - 2) & 4 ? -cos : cos];
}
