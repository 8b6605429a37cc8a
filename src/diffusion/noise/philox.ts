const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const ROUNDS = 10;
// float32 constants, as A1111 keeps them (numpy float32 arrays), applied in float64 arithmetic.
const TWO_POW32_INV = Math.fround(2.3283064e-10);
const TWO_POW32_INV_2PI = Math.fround(2.3283064e-10 * 6.2831855);

/** High 32 bits of the 64-bit product of two uint32s (the low half is `Math.imul`). */
function mulHi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const cross = (loLo >>> 16) + (hiLo & 0xffff) + aLo * bHi; // < 2^33: exact
  return (aHi * bHi + (hiLo >>> 16) + Math.floor(cross / 65536)) >>> 0;
}

/**
 * torch's CUDA normal noise as A1111 reproduces it on the CPU (modules/rng_philox.py, its "NV"
 * source): element i of call k is Philox 4×32-10 of the counter (k, 0, i, 0) under the 64-bit
 * seed as key (low word first), and only the first two output words are used, through
 * Box–Muller's sine branch: √(−2·ln u)·sin v with u, v the words scaled into (0, 1) and (0, 2π).
 * Each call moves the counter's first word on by one, whatever its size.
 */
export class PhiloxNoise {
  private offset = 0;
  private readonly key0: number;
  private readonly key1: number;

  constructor(seed: bigint) {
    this.key0 = Number(seed & 0xffffffffn);
    this.key1 = Number((seed >> 32n) & 0xffffffffn);
  }

  /** The next `n` standard normals (one counter offset per call, as A1111 draws them). */
  randn(n: number): Float32Array {
    if (n > 2 ** 32) throw new RangeError(`The GPU noise source draws at most 2^32 values per call, not ${n}.`);
    const out = new Float32Array(n);
    const offset = this.offset++ >>> 0;
    for (let i = 0; i < n; i++) {
      const [x, y] = philoxWords(this.key0, this.key1, offset, i);
      const u = x * TWO_POW32_INV + TWO_POW32_INV / 2;
      const v = y * TWO_POW32_INV_2PI + TWO_POW32_INV_2PI / 2;
      out[i] = Math.sqrt(-2 * Math.log(u)) * Math.sin(v);
    }
    return out;
  }
}

/** The first two output words of Philox4x32-10 for the counter (c0, 0, c2, 0) and the key (key0, key1). */
function philoxWords(key0: number, key1: number, c0: number, c2: number): [number, number] {
  let c1 = 0;
  let c3 = 0;
  let k0 = key0;
  let k1 = key1;
  for (let round = 0; round < ROUNDS; round++) {
    const hi0 = mulHi(c0, M0);
    const lo0 = Math.imul(c0, M0) >>> 0;
    const hi2 = mulHi(c2, M1);
    const lo2 = Math.imul(c2, M1) >>> 0;
    c0 = (hi2 ^ c1 ^ k0) >>> 0;
    c1 = lo2;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1];
}
