import type { PromptChunk } from './chunks.ts';

const f = Math.fround;

/**
 * A1111's "Original" emphasis on one encoded chunk: every token's embedding (a row of `hidden`,
 * `[tokens, width]` flattened) times its weight, then the whole chunk scaled back to the mean it
 * had before (`z *= weights; z *= original_mean / new_mean`), in float32 as torch does it.
 * With `restoreMean: false` it is A1111's "No norm". Weights all 1 return `hidden` itself.
 */
export function applyEmphasis(hidden: Float32Array, weights: ArrayLike<number>, options: { restoreMean?: boolean } = {}): Float32Array {
  const count = weights.length;
  if (count === 0 || hidden.length % count !== 0) {
    throw new RangeError(`The encoded chunk has ${hidden.length} values, not a whole row for each of its ${count} tokens.`);
  }
  let plain = true;
  for (let i = 0; i < count; i++) if (weights[i] !== 1) plain = false;
  if (plain) return hidden;
  const width = hidden.length / count;
  const out = new Float32Array(hidden.length);
  for (let t = 0; t < count; t++) {
    const w = f(weights[t]!);
    for (let c = t * width; c < (t + 1) * width; c++) out[c] = hidden[c]! * w;
  }
  if (options.restoreMean === false) return out;
  const ratio = f(f(mean(hidden)) / f(mean(out)));
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * ratio;
  return out;
}

/**
 * Encodes each chunk, applies its emphasis and concatenates the results along the sequence axis:
 * `[1, 77·chunks, width]`, as A1111 hands a long prompt to the UNet. `encode` runs the text
 * encoder on one chunk's ids and returns its hidden states (the layer clip skip chose).
 */
export async function encodeChunks(
  chunks: readonly PromptChunk[],
  encode: (ids: Int32Array) => Promise<Float32Array>,
  options: { restoreMean?: boolean } = {},
): Promise<{ data: Float32Array; dims: [number, number, number] }> {
  if (chunks.length === 0) throw new RangeError('There are no chunks to encode: chunkPrompt gives at least one.');
  const parts: Float32Array[] = [];
  for (const chunk of chunks) parts.push(applyEmphasis(await encode(chunk.ids), chunk.weights, options));
  const tokens = chunks[0]!.ids.length;
  const width = parts[0]!.length / tokens;
  const data = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.forEach((p, i) => {
    if (p.length !== tokens * width) throw new RangeError(`Chunk ${i} encoded to ${p.length} values, chunk 0 to ${tokens * width}.`);
    data.set(p, i * p.length);
  });
  return { data, dims: [1, tokens * chunks.length, width] };
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}
