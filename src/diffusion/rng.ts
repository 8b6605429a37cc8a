/**
 * A seeded random generator: the same seed gives the same numbers in every JS engine,
 * so the same seed gives the same image in the browser and in Node.
 * (Not torch's generator: images will not match PyTorch's for the same seed.)
 */
export class SeededRandom {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: a small, well-mixed 32-bit generator. */
  private next32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in (0, 1), never exactly 0 so `log` is safe. */
  uniform(): number {
    return (this.next32() + 0.5) / 4294967296;
  }

  /** Standard normal, Box–Muller. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** `n` standard normals, e.g. the initial latents. */
  normals(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }
}
