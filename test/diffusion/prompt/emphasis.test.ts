import { describe, expect, it } from 'vitest';
import { applyEmphasis, ClipTokenizer, chunkPrompt, encodeChunks, padChunks } from '../../../src/diffusion/index.ts';
import { clipVocab, readClipBpe } from '../../../tools/tiny-model/clip-vocab.ts';

const { vocab, merges } = clipVocab(readClipBpe());
const tokenizer = new ClipTokenizer(vocab, merges);
const WIDTH = 8;

/** A stand-in text encoder: each position's row mixes its token id, its neighbours and its place, so rows differ and the mean is not zero. */
async function standInEncoder(ids: Int32Array): Promise<Float32Array> {
  const out = new Float32Array(ids.length * WIDTH);
  for (let t = 0; t < ids.length; t++) {
    for (let c = 0; c < WIDTH; c++) {
      const prev = ids[Math.max(0, t - 1)]!;
      out[t * WIDTH + c] = Math.sin(ids[t]! * 0.001 * (c + 1) + prev * 1e-4) + 0.05 * c + 0.01 * t - 0.2;
    }
  }
  return out;
}

/** A1111's "Original" emphasis written out plainly, in float64: z·w, then z·(mean before / mean after). */
function reference(z: Float32Array, weights: ArrayLike<number>): number[] {
  const scaled = Array.from(z, (v, i) => v * weights[Math.floor(i / WIDTH)]!);
  const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
  const ratio = mean(z) / mean(scaled);
  return scaled.map((v) => v * ratio);
}

const close = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  const off: string[] = [];
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i]! - want[i]!) <= 1e-6 * Math.abs(want[i]!))) off.push(`[${i}] ${got[i]} ≠ ${want[i]}`);
  expect(off).toEqual([]);
};

describe('applyEmphasis: z *= weights; z *= original_mean / new_mean', () => {
  it('matches a plain implementation on a weighted prompt', async () => {
    const chunk = chunkPrompt('a (castle:1.4) on a [[hill]], (((sunset)))', tokenizer).chunks[0]!;
    const z = await standInEncoder(chunk.ids);
    const got = applyEmphasis(z, chunk.weights);
    close(got, reference(z, chunk.weights));
    // The mean is back where it was, and the emphasised rows grew against the others.
    const mean = (xs: Float32Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(got)).toBeCloseTo(mean(z), 6);
    const castle = 2; // [start, a, castle, …]
    expect(got[castle * WIDTH + 3]! / z[castle * WIDTH + 3]!).toBeGreaterThan(1.3);
  });

  it('weights all 1 leave the encoder output untouched (the very same array)', async () => {
    const chunk = chunkPrompt('a watercolor painting of a lighthouse', tokenizer).chunks[0]!;
    const z = await standInEncoder(chunk.ids);
    const copy = z.slice();
    expect(applyEmphasis(z, chunk.weights)).toBe(z);
    expect(z).toEqual(copy);
  });

  it('"No norm" multiplies and stops there', async () => {
    const chunk = chunkPrompt('(a:2) b', tokenizer).chunks[0]!;
    const z = await standInEncoder(chunk.ids);
    const got = applyEmphasis(z, chunk.weights, { restoreMean: false });
    close(got, Array.from(z, (v, i) => v * chunk.weights[Math.floor(i / WIDTH)]!));
  });

  it('refuses an output that does not have one row per token', () => {
    expect(() => applyEmphasis(new Float32Array(77 * WIDTH + 1), new Float32Array(77).fill(2))).toThrow(/whole row/);
  });
});

describe('encodeChunks: each chunk encoded and weighted, then joined along the sequence', () => {
  it('gives [1, 77·chunks, width] with each chunk weighted on its own', async () => {
    const long = Array.from({ length: 30 }, (_, i) => `(word${i % 7}:1.2), thing`).join(' ');
    const { chunks } = chunkPrompt(long, tokenizer);
    expect(chunks.length).toBeGreaterThan(1);
    const { data, dims } = await encodeChunks(chunks, standInEncoder);
    expect(dims).toEqual([1, 77 * chunks.length, WIDTH]);
    for (let k = 0; k < chunks.length; k++) {
      const part = data.subarray(k * 77 * WIDTH, (k + 1) * 77 * WIDTH);
      close(part, reference(await standInEncoder(chunks[k]!.ids), chunks[k]!.weights));
    }
  });

  it('a negative prompt padded to the same chunk count encodes to the same length', async () => {
    const prompt = chunkPrompt(Array.from({ length: 100 }, () => 'tree').join(' '), tokenizer).chunks;
    const negative = padChunks(chunkPrompt('blurry', tokenizer).chunks, prompt.length, tokenizer);
    const [a, b] = [await encodeChunks(prompt, standInEncoder), await encodeChunks(negative, standInEncoder)];
    expect(a.dims).toEqual(b.dims);
    expect(b.data.subarray(77 * WIDTH)).toEqual(await standInEncoder(tokenizer.encode('')));
  });
});
