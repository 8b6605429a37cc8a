/** A seed as people type it: a JS integer, or a bigint for seeds beyond 2^53 (A1111 accepts 64-bit seeds). */
export type Seed = number | bigint;

const TWO_64 = 1n << 64n;

/**
 * The seed as torch stores it: an unsigned 64-bit integer. torch's `manual_seed` takes any
 * integer in [−2^63, 2^64) and keeps a negative one as its two's complement (torch/csrc/Generator.cpp
 * unpacks it as uint64, falling back to int64); anything else is refused, as torch refuses it.
 */
export function seedToUint64(seed: Seed): bigint {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`The seed must be a whole number (a bigint beyond 2^53), not ${seed}.`);
    }
    seed = BigInt(seed);
  }
  if (typeof seed !== 'bigint') throw new TypeError(`The seed must be a number or a bigint, not ${typeof seed}.`);
  if (seed < -(1n << 63n) || seed >= TWO_64) {
    throw new RangeError(`The seed ${seed} does not fit in 64 bits (torch takes −2^63 … 2^64 − 1).`);
  }
  return seed < 0n ? seed + TWO_64 : seed;
}
