// Prompt → what the UNet is conditioned on: the one place prompts become embeddings, for SD and
// SDXL alike, as A1111 does it (modules/sd_hijack_clip.py): extra-network tags taken out, emphasis
// and BREAK read, chunks of 75 tokens (+ start and end), each chunk encoded on its own and weighted
// with its mean restored, the chunks joined along the sequence axis. A prompt without that syntax
// is one chunk of weight 1: exactly the ids and embeddings of the tokenizer's plain `encode`.
// - SD 1.x/2.x, LCM, Turbo: the text encoder's last_hidden_state, or the layer Clip skip reads (text-layers.ts).
// - SDXL: both encoders, chunked alike; each chunk's penultimate hidden states side by side
//   (768 + 1280 = 2048 wide), each encoder's weighted on its own; `text_embeds` of the second
//   encoder on the first chunk (A1111's `zs[0].pooled`; diffusers' encode_prompt for one chunk).
// On the GPU, a prompt of one chunk with no weights stays in GPU memory for every UNet call; a
// weighted or longer one is computed here (weights need the chunk's mean, chunks are joined here)
// and the UNet is fed it from the CPU: 77·chunks·width floats per call, small beside a UNet step.
import type { ClipTokenizer } from './clip-tokenizer.ts';
import { applyEmphasis, chunkPrompt, emptyChunk, extractExtraNetworks, type ExtraNetwork, type PromptChunk } from './prompt/index.ts';
import { isGpuResident, type Feed, type ModelRunner, type Tensor } from './tensor.ts';
import { applyLayerNorm, clipSkipSupport, encoderReading, recoverLayerNorm, type EncoderReading, type LayerNorm } from './text-layers.ts';

export { penultimate } from './text-layers.ts';

/** What `encodeText` needs of a model: its tokenizers and text encoders (two for SDXL). */
export interface TextEncoders {
  tokenizer: ClipTokenizer;
  textEncoder: ModelRunner;
  tokenizer2?: ClipTokenizer;
  textEncoder2?: ModelRunner;
}

/** The UNet's text conditioning for a batch of prompts of one length. */
export interface TextConditioning {
  /** `encoder_hidden_states` `[n, 77·chunks, width]`; left in GPU memory where the runtime could (one unweighted chunk, single encoder, WebGPU). */
  context: Feed;
  /** SDXL: the pooled `text_embeds` `[n, width₂]` of the second encoder. */
  pooled?: Tensor;
}

/** At most this many chunks of 75 tokens per prompt (750 tokens): each is a text encoder run and lengthens every UNet call. */
export const MAX_PROMPT_CHUNKS = 10;

/** How prompts are encoded; the defaults are A1111's. */
export interface TextEncodingOptions {
  /** A1111's Clip skip: 1 (the default) reads the last layer; see `clipSkipSupport` for where more applies. */
  clipSkip?: number;
  /**
   * A1111's "Pad prompt/negative prompt" (`Pad conds: True` in its PNGs): a prompt and a negative
   * prompt of different lengths are padded with empty chunks into one UNet batch. Off by default,
   * as in A1111: they go to the UNet as separate calls. Padding makes the UNet attend to empty
   * tokens too, which changes the image (A1111 says "changes seeds").
   */
  padPrompts?: boolean;
  /** Chunks per prompt at most (`MAX_PROMPT_CHUNKS`). */
  maxChunks?: number;
  /** The UNet's text length when its export fixes it (static shapes, or pinned for WebNN): the prompt is cut to what fits, with a notice. */
  fixedLength?: number;
  /** Every prompt its own UNet call (a UNet exported for batch 1). */
  separate?: boolean;
}

/** What to encode: the prompt, and for guidance the negative prompt (`null`: zeros, SDXL's `force_zeros_for_empty_prompt`). */
export interface PromptPair {
  prompt: string;
  /** Left out without guidance. */
  negative?: string | null;
}

/** A prompt (and negative prompt) ready for the UNet, and what happened on the way. */
export interface PromptEncoding {
  /** One conditioning per UNet call, negative prompt first: one batch when both have one length (or `padPrompts`), else one each. */
  batches: TextConditioning[];
  /** The Clip skip applied (1 when the model does not take the one asked for). */
  clipSkip: number;
  /** Whether prompts were padded with empty chunks to share a batch. */
  padded: boolean;
  /** Chunks (77 tokens each) of the prompt and negative prompt as encoded, in that order. */
  chunks: number[];
  /** The prompt's `<lora:…>`/`<hypernet:…>` tags, taken out of the text and not applied. */
  networks: ExtraNetwork[];
  /** What the person should know: a prompt cut, Clip skip not applied, networks not applied. */
  notices: string[];
}

/** One prompt, chunked for each encoder; `null` text is SDXL's zeros. */
interface Prepared {
  role: 'prompt' | 'negative prompt';
  zeros: boolean;
  chunks: PromptChunk[];
  chunks2: PromptChunk[];
  truncated: boolean;
}

/** One prompt encoded: `[chunks·77, width]` and, for SDXL, its pooled `[width₂]`. */
interface Encoded {
  context: Float32Array;
  width: number;
  pooled?: Float32Array;
}

/**
 * Encodes the prompt (and, for guidance, the negative prompt) the way A1111 does, into the
 * conditioning of each UNet call, with what the person should know about it.
 */
export async function encodePrompts(m: TextEncoders, pair: PromptPair, options: TextEncodingOptions = {}): Promise<PromptEncoding> {
  const notices: string[] = [];
  const fixed = options.fixedLength;
  const chunkTokens = m.tokenizer.maxLength;
  const maxChunks = typeof fixed === 'number' ? Math.max(1, Math.floor(fixed / chunkTokens)) : Math.max(1, Math.floor(options.maxChunks ?? MAX_PROMPT_CHUNKS));
  const { text, networks } = extractExtraNetworks(pair.prompt);
  if (networks.length) {
    notices.push(`Not applied: ${networks.map((n) => n.tag).join(', ')} (the app has no LoRA or hypernetworks yet); taken out of the prompt, as A1111 does before encoding it.`);
  }
  const items = [...(pair.negative !== undefined ? [prepare(m, pair.negative, 'negative prompt', maxChunks)] : []), prepare(m, text, 'prompt', maxChunks)];
  for (const item of items.filter((i) => i.truncated)) {
    notices.push(
      typeof fixed === 'number'
        ? `This model's UNet takes exactly ${fixed} tokens of text (its export fixes the shapes): only the first ${chunkTokens - 2} tokens of the ${item.role} are used.`
        : `The ${item.role} is longer than ${maxChunks} chunks of ${chunkTokens - 2} tokens: only its first ${maxChunks * (chunkTokens - 2)} tokens are used.`,
    );
  }

  const support = clipSkipSupport(m);
  let clipSkip = Math.max(1, Math.floor(options.clipSkip ?? 1));
  if (clipSkip > support.max) {
    notices.push(`Clip skip ${clipSkip} is not applied: ${support.reason}`);
    clipSkip = 1;
  }
  const counts = items.map((i) => Math.max(i.chunks.length, i.chunks2.length, 1));
  const same = counts.every((c) => c === counts[0]);
  const groups = options.separate || (!same && !options.padPrompts) ? items.map((i) => [i]) : [items];
  const encoder = new ChunkEncoder(m, clipSkip);
  const batches: TextConditioning[] = [];
  try {
    // Batches of SDXL's zeros alone come last: they take their shape from an encoded prompt.
    const order = groups.map((_, i) => i).sort((a, b) => Number(groups[a]!.every((i) => i.zeros)) - Number(groups[b]!.every((i) => i.zeros)));
    for (const g of order) batches[g] = await encodeBatch(encoder, groups[g]!);
  } catch (err) {
    batches.forEach(releaseConditioning);
    if (!(err instanceof ClipSkipUnavailable)) throw err;
    const retry = await encodePrompts(m, pair, { ...options, clipSkip: 1 });
    return { ...retry, notices: [...retry.notices, `Clip skip ${clipSkip} is not applied: ${err.message}.`] };
  }
  return { batches, clipSkip, padded: groups.length === 1 && !same, chunks: counts, networks, notices };
}

/**
 * Encodes `prompts` as one batch, in order, each read as a prompt (A1111's syntax, its extra-network
 * tags taken out). Prompts of different lengths are padded with empty chunks, since a batch has one
 * length. `null` stands for "no prompt": zeros instead of the encoded empty string (SDXL's
 * `force_zeros_for_empty_prompt` for an empty negative prompt).
 */
export async function encodeText(m: TextEncoders, prompts: readonly (string | null)[], options: Omit<TextEncodingOptions, 'separate' | 'padPrompts'> = {}): Promise<TextConditioning> {
  if (!prompts.some((p) => p !== null)) throw new Error('encodeText needs at least one prompt.');
  const encoder = new ChunkEncoder(m, Math.max(1, Math.min(Math.floor(options.clipSkip ?? 1), clipSkipSupport(m).max)));
  const maxChunks = options.maxChunks ?? MAX_PROMPT_CHUNKS;
  return encodeBatch(encoder, prompts.map((p) => prepare(m, p === null ? null : extractExtraNetworks(p).text, 'prompt', maxChunks)));
}

function prepare(m: TextEncoders, text: string | null, role: Prepared['role'], maxChunks: number): Prepared {
  if (text === null) return { role, zeros: true, chunks: [], chunks2: [], truncated: false };
  const chunk = (t: ClipTokenizer) => chunkPrompt(text, t, { chunkLength: t.maxLength - 2, maxChunks });
  const first = chunk(m.tokenizer);
  const second = m.tokenizer2 ? chunk(m.tokenizer2) : undefined;
  return { role, zeros: false, chunks: first.chunks, chunks2: second?.chunks ?? [], truncated: first.truncated || !!second?.truncated };
}

class ClipSkipUnavailable extends Error {}

/** Runs the encoders on one chunk at a time, reading the layer Clip skip chose; remembers the empty chunk's encoding. */
class ChunkEncoder {
  private readonly readings: EncoderReading[];
  private norm?: LayerNorm;
  private empty?: Promise<Encoded>;
  /** The last chunk encoded: what SDXL's zeros look like. */
  private shape?: Encoded;

  constructor(readonly m: TextEncoders, clipSkip: number) {
    this.readings = [encoderReading(m, m.textEncoder, clipSkip), ...(m.textEncoder2 ? [encoderReading(m, m.textEncoder2, clipSkip)] : [])];
  }

  /** A prompt of one unweighted chunk, single encoder, last layer, on the GPU: the encoder's output can stay in GPU memory. */
  gpuReady(items: Prepared[], count: number): boolean {
    const encoder = this.m.textEncoder;
    const batchDim = encoder.inputs.input_ids?.dims[0];
    return (
      !!encoder.runGpuResident && !this.m.textEncoder2 && !this.readings[0]!.finalNorm && count === 1 &&
      items.every((i) => !i.zeros && i.chunks.length === 1 && i.chunks[0]!.weights.every((w) => w === 1)) &&
      (items.length === 1 || typeof batchDim !== 'number')
    );
  }

  /** `[batch, 77]` ids through the first encoder, left in GPU memory. */
  async gpuResident(items: Prepared[]): Promise<Feed> {
    const tokens = items[0]!.chunks[0]!.ids.length;
    const data = new Int32Array(items.length * tokens);
    items.forEach((item, i) => data.set(item.chunks[0]!.ids, i * tokens));
    return this.m.textEncoder.runGpuResident!({ input_ids: { data, dims: [items.length, tokens] } }, this.readings[0]!.output);
  }

  /** One prompt's chunks (padded with empty ones to `count`), encoded, weighted and joined; zeros for SDXL's empty negative prompt. */
  async encode(item: Prepared, count: number): Promise<Encoded> {
    const parts: Encoded[] = [];
    for (let k = 0; k < count; k++) {
      const c1 = item.chunks[k];
      const c2 = item.chunks2[k];
      if (k === 0 && item.zeros) {
        const e = this.shape ?? (await this.emptyEncoding());
        parts.push({ context: new Float32Array(e.context.length), width: e.width, pooled: e.pooled && new Float32Array(e.pooled.length) });
      } else if (!c1 && (!this.m.textEncoder2 || !c2)) parts.push(await this.emptyEncoding());
      else parts.push(await this.chunk(c1 ?? emptyChunk(this.m.tokenizer, this.m.tokenizer.maxLength - 2), c2));
    }
    const width = parts[0]!.width;
    const context = new Float32Array(parts.reduce((n, p) => n + p.context.length, 0));
    let at = 0;
    for (const p of parts) {
      if (p.width !== width) throw new Error(`The text encoder gave chunks of widths ${width} and ${p.width}.`);
      context.set(p.context, at), (at += p.context.length);
    }
    return { context, width, pooled: parts[0]!.pooled };
  }

  private emptyEncoding(): Promise<Encoded> {
    const t2 = this.m.tokenizer2;
    this.empty ??= this.chunk(emptyChunk(this.m.tokenizer, this.m.tokenizer.maxLength - 2), t2 && emptyChunk(t2, t2.maxLength - 2));
    return this.empty;
  }

  /** One chunk: weighted hidden states `[77, width]` (SDXL: both encoders', side by side) and SDXL's pooled. */
  private async chunk(c1: PromptChunk, c2?: PromptChunk): Promise<Encoded> {
    const a = await this.run(this.m.textEncoder, this.readings[0]!, c1);
    if (!this.m.textEncoder2) return (this.shape = { context: a.z, width: a.width });
    const second = c2 ?? emptyChunk(this.m.tokenizer2!, this.m.tokenizer2!.maxLength - 2);
    const b = await this.run(this.m.textEncoder2, this.readings[1]!, second);
    const pooled = b.outputs.text_embeds;
    if (!pooled) throw new Error(`The second text encoder has no text_embeds output (it gives ${Object.keys(b.outputs).join(', ')}); SDXL's UNet needs it.`);
    return (this.shape = { context: sideBySide(a.z, a.width, b.z, b.width), width: a.width + b.width, pooled: pooled.data as Float32Array });
  }

  private async run(encoder: ModelRunner, reading: EncoderReading, chunk: PromptChunk) {
    const outputs = await encoder.run({ input_ids: { data: chunk.ids, dims: [1, chunk.ids.length] } });
    const read = outputs[reading.output];
    if (!read) throw new Error(`The text encoder gave no ${reading.output} output (it gives ${Object.keys(outputs).join(', ')}).`);
    let hidden = read.data as Float32Array;
    if (reading.finalNorm) {
      try {
        this.norm ??= recoverLayerNorm(outputs[reading.finalNorm.before]!, outputs[reading.finalNorm.after]!);
      } catch (err) {
        throw new ClipSkipUnavailable(`this export's final layer norm could not be recovered: ${(err as Error).message}`);
      }
      hidden = applyLayerNorm(read, this.norm);
    }
    return { z: applyEmphasis(hidden, chunk.weights), width: read.dims.at(-1)!, outputs };
  }
}

/** A batch of prompts of (padded to) one length. */
async function encodeBatch(encoder: ChunkEncoder, items: Prepared[]): Promise<TextConditioning> {
  const count = Math.max(...items.map((i) => Math.max(i.chunks.length, i.chunks2.length, 1)));
  if (encoder.gpuReady(items, count)) return { context: await encoder.gpuResident(items) };
  const encoded: Encoded[] = [];
  for (const item of items) if (!item.zeros) encoded.push(await encoder.encode(item, count));
  // SDXL's zeros are encoded last, so a batch of prompts costs no encoder run for them.
  let next = 0;
  const all: Encoded[] = [];
  for (const item of items) all.push(item.zeros ? await encoder.encode(item, count) : encoded[next++]!);
  const { width } = all[0]!;
  const context = stack(all.map((e) => ({ data: e.context, dims: [1, e.context.length / width, width] })));
  const pooled = all[0]!.pooled && stack(all.map((e) => ({ data: e.pooled!, dims: [1, e.pooled!.length] })));
  return pooled ? { context, pooled } : { context };
}

/** `[S, a]` ‖ `[S, b]` → `[S, a + b]`. */
function sideBySide(a: Float32Array, wa: number, b: Float32Array, wb: number): Float32Array {
  const rows = a.length / wa;
  if (b.length / wb !== rows) throw new Error(`The text encoders' hidden states do not line up: ${rows} and ${b.length / wb} tokens.`);
  const out = new Float32Array(rows * (wa + wb));
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * wa, (r + 1) * wa), r * (wa + wb));
    out.set(b.subarray(r * wb, (r + 1) * wb), r * (wa + wb) + wa);
  }
  return out;
}

/** Stacks `[1, …]` tensors along the batch axis. */
export function stack(ts: Tensor[]): Tensor {
  if (ts.length === 1) return ts[0]!;
  const data = new Float32Array(ts.reduce((s, t) => s + t.data.length, 0));
  let at = 0;
  for (const t of ts) data.set(t.data as Float32Array, at), (at += t.data.length);
  return { data, dims: [ts.length, ...ts[0]!.dims.slice(1)] };
}

/** Frees the conditioning's GPU memory, if any. */
export function releaseConditioning(c: TextConditioning): void {
  if (isGpuResident(c.context)) c.context.dispose();
}
