import { parsePromptAttention, type PromptPart } from './attention.ts';

/** What chunking needs from a tokenizer (the project's `ClipTokenizer` has it all). */
export interface PromptTokenizer {
  /** Token ids of a text, without start/end tokens or padding; at most `limit` of them when given (the rest is not read). */
  tokenize(text: string, limit?: number): number[];
  readonly bosId: number;
  readonly eosId: number;
  /** Fills the chunk after its end token (the end token itself for SD 1.x, `!` = 0 for SD 2.x). */
  readonly padId: number;
}

/** 77 token ids for the text encoder and the weight of each one's embedding. */
export interface PromptChunk {
  ids: Int32Array;
  weights: Float32Array;
}

/** A prompt as chunks, and how many of its tokens count (A1111's `token_count`). */
export interface ChunkedPrompt {
  chunks: PromptChunk[];
  /** A1111's `token_count`; with `truncated`, the count of the chunks kept (the prompt has more). */
  tokenCount: number;
  /** True when the prompt needed more than `maxChunks` chunks: the rest was neither read nor kept. */
  truncated: boolean;
}

/** Options of {@link chunkPrompt}; the defaults are A1111's. */
export interface ChunkOptions {
  /** Tokens per chunk besides the start and end tokens (75). */
  chunkLength?: number;
  /**
   * When a chunk fills up, text after its last comma moves to the next chunk if that comma is at
   * most this many tokens back (A1111's "Prompt word wrap length limit", `comma_padding_backtrack`,
   * default 20); 0 turns it off.
   */
  commaBacktrack?: number;
  /** The id of `,` (derived from the tokenizer when left out). */
  commaId?: number;
  /** Read `( )`, `[ ]` and `BREAK` (A1111's emphasis setting "Original"); false takes the text as it is. */
  emphasis?: boolean;
  /**
   * Keep at most this many chunks (no limit by default, as in A1111): tokenizing stops there, so
   * a prompt of a megabyte costs what its first chunks cost.
   */
  maxChunks?: number;
}

/**
 * A1111's `tokenize_line`: the prompt's parts (see `parsePromptAttention`), each tokenized on its
 * own, fill chunks of 75 tokens that each become `[start, …75, end]` (padded with end tokens,
 * then `padId` after the first end token, as the text encoder's own padding does); `BREAK` closes
 * a chunk early; a chunk that fills up in the middle of text moves the tokens after its last
 * comma, when that comma is at most `commaBacktrack` tokens back, to the next chunk. An empty
 * prompt is one chunk. Every token carries its part's weight; start, end and padding weigh 1.
 * Textual-inversion embeddings are not looked up (their names stay words). With `maxChunks`, the
 * chunks after that many are dropped (`truncated`), and the text that would fill them is not read.
 */
export function chunkPrompt(prompt: string, tokenizer: PromptTokenizer, options: ChunkOptions = {}): ChunkedPrompt {
  const length = options.chunkLength ?? 75;
  const backtrack = options.commaBacktrack ?? 20;
  const comma = options.commaId ?? commaIdOf(tokenizer);
  const maxChunks = options.maxChunks ?? Infinity;
  if (!(maxChunks >= 1)) throw new RangeError(`maxChunks must be at least 1, not ${maxChunks}.`);
  // A part never needs more tokens than the chunks left can hold, plus one to see that it overflows.
  const enough = Number.isFinite(maxChunks) ? (maxChunks + 1) * length + 1 : undefined;
  const parts: PromptPart[] = options.emphasis === false ? [{ kind: 'text', text: prompt, weight: 1 }] : parsePromptAttention(prompt);

  const chunks: PromptChunk[] = [];
  let tokens: number[] = [];
  let weights: number[] = [];
  let tokenCount = 0;
  let lastComma = -1;
  const nextChunk = (isLast = false) => {
    tokenCount += isLast ? tokens.length : length;
    chunks.push(framedChunk(tokens, weights, length, tokenizer));
    tokens = [];
    weights = [];
    lastComma = -1;
  };

  let truncated = false;
  // A token, or a BREAK closing a chunk, that would land in chunk `maxChunks + 1` truncates the prompt.
  parts: for (const part of parts) {
    if (part.kind === 'break') {
      if (chunks.length >= maxChunks) {
        truncated = true;
        break;
      }
      nextChunk();
      continue;
    }
    for (const token of tokenizer.tokenize(part.text, enough)) {
      if (token === comma) lastComma = tokens.length;
      else if (backtrack !== 0 && tokens.length === length && lastComma !== -1 && tokens.length - lastComma <= backtrack) {
        const moved = tokens.splice(lastComma + 1);
        const movedWeights = weights.splice(lastComma + 1);
        nextChunk();
        tokens = moved;
        weights = movedWeights;
      }
      if (tokens.length === length) nextChunk();
      if (chunks.length >= maxChunks) {
        truncated = true;
        break parts;
      }
      tokens.push(token);
      weights.push(part.weight);
    }
  }
  if (!truncated && (tokens.length || !chunks.length)) nextChunk(true);
  return { chunks, tokenCount, truncated };
}

/** A chunk of no tokens: start, end, padding, all of weight 1 (what an empty prompt encodes as). */
export function emptyChunk(tokenizer: PromptTokenizer, chunkLength = 75): PromptChunk {
  return framedChunk([], [], chunkLength, tokenizer);
}

/**
 * The chunks followed by empty ones up to `count`, so a prompt and its negative prompt encode to
 * the same length and go through the UNet as one batch (A1111's "pad prompt/negative prompt to be
 * same length" option; without it A1111 runs the two separately instead).
 */
export function padChunks(chunks: PromptChunk[], count: number, tokenizer: PromptTokenizer, chunkLength = 75): PromptChunk[] {
  const out = chunks.slice();
  while (out.length < count) out.push(emptyChunk(tokenizer, chunkLength));
  return out;
}

/** The id of `,`: A1111 takes `,</w>` from the vocabulary, which is what "," tokenizes to. */
export function commaIdOf(tokenizer: PromptTokenizer): number {
  const ids = tokenizer.tokenize(',');
  if (ids.length !== 1) throw new Error(`The tokenizer does not make "," one token (got ${ids.length}): pass commaId.`);
  return ids[0]!;
}

function framedChunk(tokens: number[], weights: number[], length: number, t: PromptTokenizer): PromptChunk {
  const ids = new Int32Array(length + 2).fill(t.padId);
  const w = new Float32Array(length + 2).fill(1);
  ids[0] = t.bosId;
  ids.set(tokens, 1);
  w.set(weights, 1);
  ids[tokens.length + 1] = t.eosId;
  return { ids, weights: w };
}
