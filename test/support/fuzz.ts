// Property-test tools with no dependency: a seeded PRNG (so a failure names the case that
// replays it), random mutations and truncations of valid inputs, and a watch on time and memory.

/** A seeded PRNG (mulberry32): the same seed gives the same cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export const below = (rand: () => number, n: number) => Math.floor(rand() * n);
/** One of `items`. */
export const pick = <T>(rand: () => number, items: readonly T[]): T => items[below(rand, items.length)]!;

// Bytes that make parsers take wrong turns: continuation bits, NUL, all ones, sign bits.
const EDGE_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x22, 0x3a];

/**
 * `bytes` with one to three random edits: bit flips, edge bytes, inserted or deleted runs, a
 * slice copied elsewhere (which makes long and repetitive inputs), an overlong varint, a huge
 * 32-bit number (a length field), or a truncation.
 */
export function mutateBytes(bytes: Uint8Array, rand: () => number): Uint8Array<ArrayBuffer> {
  let out = Uint8Array.from(bytes);
  for (let edits = 1 + below(rand, 3); edits > 0; edits--) {
    const at = below(rand, out.length + 1);
    switch (below(rand, 9)) {
      case 0:
        if (out.length) out[Math.min(at, out.length - 1)]! ^= 1 << below(rand, 8);
        break;
      case 1:
        if (out.length) out[Math.min(at, out.length - 1)] = pick(rand, EDGE_BYTES);
        break;
      case 2:
        out = splice(out, at, 0, Uint8Array.from({ length: 1 + below(rand, 16) }, () => below(rand, 256)));
        break;
      case 3:
        out = splice(out, at, 1 + below(rand, 64), new Uint8Array(0));
        break;
      case 4: {
        const from = below(rand, out.length + 1);
        out = splice(out, at, 0, out.slice(from, from + 1 + below(rand, 256)));
        break;
      }
      case 5:
        out = splice(out, at, 0, Uint8Array.from([...Array(10 + below(rand, 4)).fill(0x80), 0x01]));
        break;
      case 6: {
        const n = pick(rand, [0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0x00100001]);
        const four = Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
        out = splice(out, at, 4, rand() < 0.5 ? four : four.reverse());
        break;
      }
      case 7:
        out = splice(out, at, 0, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)); // a varint near 2^32
        break;
      default:
        out = out.slice(0, at);
    }
  }
  return out;
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length - Math.min(remove, bytes.length - at) + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** `text` with one to three random edits drawn from `pieces`: inserts, deletions, copied slices (up to `grow` times longer), truncations. */
export function mutateText(text: string, rand: () => number, pieces: readonly string[], grow = 1): string {
  let out = text;
  for (let edits = 1 + below(rand, 3); edits > 0; edits--) {
    const at = below(rand, out.length + 1);
    switch (below(rand, 5)) {
      case 0:
        out = out.slice(0, at) + pick(rand, pieces) + out.slice(at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1 + below(rand, 16));
        break;
      case 2: {
        const from = below(rand, out.length + 1);
        const slice = out.slice(from, from + 1 + below(rand, 40));
        out = out.slice(0, at) + slice.repeat(1 + below(rand, Math.max(1, grow))) + out.slice(at);
        break;
      }
      case 3:
        out = out.slice(0, at) + pick(rand, pieces).repeat(1 + below(rand, 8)) + out.slice(at + 1);
        break;
      default:
        out = out.slice(0, at);
    }
  }
  return out;
}

/**
 * Times each case and watches memory (sampled after every case and, for async work, every few
 * ms while it runs): `case_` runs one, `report` gives the slowest case and the peak of JS heap
 * plus ArrayBuffers over where it started.
 */
export function watch() {
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const start = used();
  let peak = start;
  let slowest = { ms: 0, seed: -1 };
  const timer = setInterval(() => (peak = Math.max(peak, used())), 5);
  return {
    async case_<T>(seed: number, run: () => T | Promise<T>): Promise<T> {
      const began = performance.now();
      try {
        return await run();
      } finally {
        const ms = performance.now() - began;
        if (ms > slowest.ms) slowest = { ms, seed };
        peak = Math.max(peak, used());
      }
    },
    report() {
      clearInterval(timer);
      if (process.env.FUZZ_REPORT) console.log(`fuzz: slowest case ${slowest.ms.toFixed(1)} ms (seed ${slowest.seed}), peak ${((peak - start) / 2 ** 20).toFixed(1)} MiB over the start`);
      return { slowest, peakBytes: peak - start };
    },
  };
}

/** 256 MiB: far more than any case needs, far less than the gigabytes a missing bound would take. */
export const MEMORY_CAP = 256 * 2 ** 20;
/**
 * No single case may take longer: cases take microseconds to tens of milliseconds (300 000
 * characters included), what a missing bound costs is seconds to hours; the margin is for a busy
 * machine. `FUZZ_REPORT=1` prints the slowest case and the memory peak of each run.
 */
export const CASE_TIME_CAP_MS = 2000;
