// Which layer of a text encoder a prompt is read from: A1111's "Clip skip", as A1111 means it
// (modules/sd_hijack_clip.py, sd_hijack_open_clip.py):
// - SD 1.x (OpenAI CLIP ViT-L, whose tokenizer pads with its end token): Clip skip N > 1 takes
//   `hidden_states[-N]` and puts it through the encoder's final layer norm. An ONNX export gives
//   that only with its `hidden_states.N` outputs; the norm's weights stay inside the graph, so they
//   are recovered from one run's last hidden state before and after it (hidden_states.L and
//   last_hidden_state), which is exact to the export's precision.
// - SD 2.x and SD-Turbo (OpenCLIP ViT-H, padded with "!"): A1111 ignores Clip skip; it always takes
//   the penultimate layer, which is what diffusers' 23-layer SD 2 text encoder's last layer is.
// - SDXL: A1111 takes both encoders' penultimate layers whatever Clip skip says (its "Clip skip
//   SDXL" option, off by default and never written into PNGs, is not offered here).
import type { ClipTokenizer } from './clip-tokenizer.ts';
import type { ModelRunner, Tensor } from './tensor.ts';

/** The encoders and tokenizers Clip skip depends on (a `TextEncoders`). */
export interface ClipSkipModel {
  tokenizer: ClipTokenizer;
  textEncoder: ModelRunner;
  textEncoder2?: ModelRunner;
}

/** How far Clip skip goes on a model: `max` 1 means not at all, and `reason` says why. */
export interface ClipSkipSupport {
  /** The largest Clip skip the export allows (1: only the last layer). */
  max: number;
  /** Why Clip skip is not available, or stops at `max`, in words for the page. */
  reason?: string;
}

/** How one encoder's outputs become a chunk's embedding. */
export interface EncoderReading {
  /** The output read. */
  output: string;
  /** Clip skip on SD 1.x: `output` goes through the final layer norm, recovered from `before` (hidden_states.L) → `after` (last_hidden_state). */
  finalNorm?: { before: string; after: string };
}

const LAST = 'last_hidden_state';

/** The `hidden_states.N` outputs of an encoder, by N. */
function hiddenStates(encoder: ModelRunner): Map<number, string> {
  const found = new Map<number, string>();
  for (const name of Object.keys(encoder.outputs)) {
    const n = /^hidden_states\.(\d+)$/.exec(name)?.[1];
    if (n !== undefined) found.set(Number(n), name);
  }
  return found;
}

/**
 * What Clip skip can do on this model, as A1111 means it: only SD 1.x's encoder takes it, and only
 * an export with its hidden states (`hidden_states.0` … `hidden_states.L` and `last_hidden_state`).
 */
export function clipSkipSupport(m: ClipSkipModel): ClipSkipSupport {
  if (m.textEncoder2) {
    return { max: 1, reason: 'SDXL reads both text encoders’ penultimate layer whatever Clip skip says, as A1111 does (its “Clip skip SDXL” option is off by default and not written into PNGs).' };
  }
  if (m.tokenizer.padId !== m.tokenizer.eosId) {
    return { max: 1, reason: 'A1111 ignores Clip skip for SD 2.x models (their OpenCLIP encoder always gives its penultimate layer, which is what this export’s last layer is).' };
  }
  const hidden = hiddenStates(m.textEncoder);
  const last = Math.max(-1, ...hidden.keys());
  if (last < 1) return { max: 1, reason: 'This export’s text encoder gives only its last layer (last_hidden_state); Clip skip needs its hidden_states.N outputs.' };
  if (!(LAST in m.textEncoder.outputs)) return { max: 1, reason: 'This export’s text encoder has no last_hidden_state, from which the final layer norm that Clip skip needs is recovered.' };
  let max = 1;
  while (max < last && hidden.has(last - max)) max++;
  return max > 1 ? { max, reason: `This export’s text encoder gives hidden states for Clip skip up to ${max}.` } : { max: 1, reason: `This export’s text encoder lacks hidden_states.${last - 1}, the layer Clip skip 2 reads.` };
}

/** What the encoder's output for Clip skip `clipSkip` is read from (the last layer when Clip skip does not apply). */
export function encoderReading(m: ClipSkipModel, encoder: ModelRunner, clipSkip: number): EncoderReading {
  if (m.textEncoder2) return { output: penultimate(encoder) };
  const fallback = LAST in encoder.outputs ? LAST : Object.keys(encoder.outputs)[0]!;
  if (clipSkip <= 1 || clipSkip > clipSkipSupport(m).max) return { output: fallback };
  const hidden = hiddenStates(encoder);
  const last = Math.max(...hidden.keys());
  return { output: hidden.get(last + 1 - clipSkip)!, finalNorm: { before: hidden.get(last)!, after: LAST } };
}

/**
 * The penultimate hidden state's output name: with every `hidden_states.N` exported (optimum),
 * the second highest N; with one (webnn/sdxl-turbo keeps only `hidden_states.11` and
 * `hidden_states.31`), that one; else last_hidden_state.
 */
export function penultimate(encoder: ModelRunner): string {
  const numbered = [...hiddenStates(encoder)].sort(([a], [b]) => a - b);
  if (numbered.length >= 2) return numbered[numbered.length - 2]![1];
  if (numbered.length === 1) return numbered[0]![1];
  return LAST in encoder.outputs ? LAST : Object.keys(encoder.outputs)[0]!;
}

/** A layer norm's scale and shift over the last axis (CLIP's eps is 1e-5). */
export interface LayerNorm {
  gamma: Float64Array;
  beta: Float64Array;
}

const EPS = 1e-5;

/** Each row of `x` (`width` wide) to mean 0, variance 1, in float64. */
function normalizedRows(x: ArrayLike<number>, width: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    let mean = 0;
    for (let c = 0; c < width; c++) mean += x[r * width + c]!;
    mean /= width;
    let variance = 0;
    for (let c = 0; c < width; c++) variance += (x[r * width + c]! - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / width + EPS);
    for (let c = 0; c < width; c++) out[r * width + c] = (x[r * width + c]! - mean) * scale;
  }
  return out;
}

/**
 * The layer norm that turned `before` into `after` (both `[tokens, width]`): per channel, the
 * least-squares line through (normalized before, after) over the tokens. Throws when no layer
 * norm fits (the export's last_hidden_state is something else), naming what was found.
 */
export function recoverLayerNorm(before: Tensor, after: Tensor): LayerNorm {
  const width = after.dims.at(-1)!;
  if (before.data.length !== after.data.length) throw new Error(`hidden states of ${before.data.length} and ${after.data.length} values cannot be one layer norm apart`);
  const n = normalizedRows(before.data as Float32Array, width);
  const y = after.data as Float32Array;
  const rows = y.length / width;
  const gamma = new Float64Array(width);
  const beta = new Float64Array(width);
  let worst = 0;
  let scale = 0;
  for (let c = 0; c < width; c++) {
    let mn = 0;
    let my = 0;
    for (let r = 0; r < rows; r++) (mn += n[r * width + c]!), (my += y[r * width + c]!);
    mn /= rows;
    my /= rows;
    let sxy = 0;
    let sxx = 0;
    for (let r = 0; r < rows; r++) {
      const dx = n[r * width + c]! - mn;
      sxy += dx * (y[r * width + c]! - my);
      sxx += dx * dx;
    }
    gamma[c] = sxx > 1e-12 ? sxy / sxx : 0;
    beta[c] = my - gamma[c]! * mn;
    for (let r = 0; r < rows; r++) {
      const v = y[r * width + c]!;
      worst = Math.max(worst, Math.abs(v - (gamma[c]! * n[r * width + c]! + beta[c]!)));
      scale = Math.max(scale, Math.abs(v));
    }
  }
  // fp16 exports carry ~3 significant digits: a layer norm fits to well within 1% of the largest value.
  if (!(worst <= 1e-2 * scale + 1e-6)) {
    throw new Error(`its last_hidden_state is not a layer norm of hidden_states.L (off by ${worst.toPrecision(3)} of ${scale.toPrecision(3)})`);
  }
  return { gamma, beta };
}

/** `x` (`[tokens, width]`) through the layer norm, as float32. */
export function applyLayerNorm(x: Tensor, norm: LayerNorm): Float32Array {
  const width = norm.gamma.length;
  const n = normalizedRows(x.data as Float32Array, width);
  const out = new Float32Array(n.length);
  for (let i = 0; i < n.length; i++) out[i] = norm.gamma[i % width]! * n[i]! + norm.beta[i % width]!;
  return out;
}
