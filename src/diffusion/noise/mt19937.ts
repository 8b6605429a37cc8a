const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;

/**
 * torch's mt19937 (aten/src/ATen/core/MT19937RNGEngine.h): the reference MT19937 seeded with
 * `init_genrand`. torch hands it the 64-bit seed, of which `init_with_uint32` keeps the low
 * 32 bits, so seeds that differ only above bit 31 draw the same numbers on the CPU.
 */
export class Mt19937 {
  private readonly state = new Uint32Array(N);
  private next = 0;
  private left = 1;

  constructor(seed: bigint) {
    const s = this.state;
    s[0] = Number(seed & 0xffffffffn);
    for (let j = 1; j < N; j++) {
      const prev = s[j - 1]!;
      s[j] = Math.imul(1812433253, prev ^ (prev >>> 30)) + j;
    }
  }

  /** The next 32-bit output (tempered). */
  nextUint32(): number {
    if (--this.left === 0) this.twist();
    let y = this.state[this.next++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    for (let k = 0; k < N; k++) {
      const y = (s[k]! & 0x80000000) | (s[(k + 1) % N]! & 0x7fffffff);
      s[k] = s[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.left = N;
    this.next = 0;
  }
}
