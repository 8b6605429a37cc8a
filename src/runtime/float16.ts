// IEEE 754 half precision, for sessions that declare float16 inputs or outputs. Browsers with
// Float16Array convert natively; elsewhere (Node 20, older browsers) the bits are computed here.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One float32 → the bits of the nearest float16 (round half to even; overflow → ±Infinity; NaN stays NaN). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf or NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large for half: Infinity
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit 1 in, then round.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and up to Infinity).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** The bits of one float16 → its value. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

type Float16ArrayCtor = { from(src: ArrayLike<number>): ArrayLike<number> & { buffer: ArrayBufferLike } };
const NativeFloat16 = (globalThis as { Float16Array?: Float16ArrayCtor }).Float16Array;

/**
 * float32 values → float16 data as onnxruntime-web takes it: a `Float16Array` where the
 * JS engine has one, else a `Uint16Array` of the bits.
 */
export function toFloat16(values: Float32Array): Uint16Array {
  return NativeFloat16 ? (NativeFloat16.from(values) as unknown as Uint16Array) : toHalfBitsArray(values);
}

/** Values → their float16 bits, computed here (what `toFloat16` does without Float16Array). */
export function toHalfBitsArray(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]);
  return out;
}

/** float16 data (a `Float16Array`, or a `Uint16Array` of bits) → float32 values. */
export function fromFloat16(data: ArrayLike<number>): Float32Array {
  return data instanceof Uint16Array ? fromHalfBitsArray(data) : Float32Array.from(data); // a Float16Array holds values
}

/** float16 bits → their values. */
export function fromHalfBitsArray(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = fromHalfBits(bits[i]);
  return out;
}
