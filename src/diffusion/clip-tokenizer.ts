/** Settings from a repo's `tokenizer_config.json`; both default to SD 2.x's. */
export interface TokenizerConfig {
  /** Sequence length the text encoder expects (77 for every SD model). */
  modelMaxLength?: number;
  /** Token used to fill the sequence: `!` (id 0) for SD 2.x, `<|endoftext|>` for SD 1.x. */
  padToken?: string;
}

/** A tokenizer file that cannot be used (not JSON, not the expected shape, a token missing), or settings that make no sense. */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';
// CLIP's pre-tokenizer pattern: special tokens, English contractions, letters, single digits, other symbols.
const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;
// Words longer than this are not cached: prompts repeat short words, and a long one would pin memory.
const CACHED_WORD_MAX = 64;
const CACHE_MAX = 10_000;
// A word longer than this (in bytes) is merged in pieces of this size, so the tokens the text
// encoder takes come from its first piece alone. The reference merges a word whole; no prompt
// has a word of 1 000 bytes, so the ids only differ for text that is not language anyway.
const WORD_PIECE = 1000;

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TokenizerError(`${file} is not valid JSON (${(err as Error).message}).`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * CLIP's byte-level BPE tokenizer, as used by Stable Diffusion, built from a repo's
 * `tokenizer/vocab.json` and `tokenizer/merges.txt`, from its `tokenizer.json`, or from the
 * CLIP vocabulary the app ships (see clip-bpe.ts).
 *
 * Bounded on any input: {@link encode} stops after the tokens the text encoder takes, a word is
 * merged in O(n log n) (a heap of candidate pairs, not the reference's O(n²) rescans), and a word
 * over 1 000 bytes in pieces of 1 000: a prompt of one 300 000-letter word takes milliseconds.
 */
export class ClipTokenizer {
  private readonly vocab = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();
  private readonly byteToChar = bytesToUnicode();
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** The token the sequence is filled with (`!` or `<|endoftext|>`). */
  readonly padToken: string;

  /** @throws TokenizerError when an id is not a non-negative 32-bit integer, a special token is missing, or `modelMaxLength` is below 2. */
  constructor(vocab: Record<string, number>, merges: string[], config: TokenizerConfig = {}) {
    for (const [token, id] of Object.entries(vocab)) {
      if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new TokenizerError(`Tokenizer vocabulary gives ${JSON.stringify(token.slice(0, 40))} the id ${JSON.stringify(id)}, not a token id.`);
      this.vocab.set(token, id);
    }
    merges.forEach((m, i) => this.ranks.set(m, i));
    const maxLength = config.modelMaxLength ?? 77;
    if (!Number.isInteger(maxLength) || maxLength < 2) throw new TokenizerError(`A tokenizer's model_max_length of ${maxLength} leaves no room for its start and end tokens.`);
    this.maxLength = maxLength;
    this.bosId = this.id(BOS);
    this.eosId = this.id(EOS);
    this.padToken = config.padToken ?? '!';
    this.padId = this.id(this.padToken);
  }

  /**
   * From the text of `vocab.json`, `merges.txt` and (optionally) `tokenizer_config.json`;
   * `defaultPad` is used when the config names no pad token.
   * @throws TokenizerError naming the file that cannot be used.
   */
  static fromFiles(vocabJson: string, mergesTxt: string, configJson?: string, defaultPad = '!'): ClipTokenizer {
    const vocab = parseJson(vocabJson, 'tokenizer/vocab.json');
    if (!isObject(vocab)) throw new TokenizerError('tokenizer/vocab.json is not an object of token → id.');
    const merges = mergesTxt.split('\n').filter((l) => l && !l.startsWith('#version'));
    return new ClipTokenizer(vocab as Record<string, number>, merges, tokenizerConfig(configJson, defaultPad));
  }

  /**
   * From a fast tokenizer's `tokenizer.json` (its BPE vocabulary, merges and added tokens) and,
   * optionally, `tokenizer_config.json`. The pad token is the config's, else tokenizer.json's
   * `padding.pad_token`, else `defaultPad`. Refuses a tokenizer.json that is not CLIP's kind of
   * BPE (end-of-word suffix `</w>`), whose text this class would split differently.
   * @throws TokenizerError naming the file that cannot be used.
   */
  static fromTokenizerJson(tokenizerJson: string, configJson?: string, defaultPad = '!'): ClipTokenizer {
    const json = parseJson(tokenizerJson, 'tokenizer.json') as { model?: Record<string, unknown>; added_tokens?: unknown; padding?: { pad_token?: unknown } } | null;
    const model = isObject(json) ? json.model : undefined;
    if (!isObject(model) || model.type !== 'BPE' || model.end_of_word_suffix !== '</w>' || !isObject(model.vocab) || !Array.isArray(model.merges)) {
      throw new TokenizerError(`tokenizer.json is not a CLIP tokenizer (a BPE model with "</w>" word ends); it has a ${String((isObject(model) && model.type) || 'missing')} model.`);
    }
    const vocab: Record<string, number> = { ...(model.vocab as Record<string, number>) };
    for (const t of Array.isArray(json!.added_tokens) ? json!.added_tokens : []) {
      if (typeof t?.content === 'string' && Number.isInteger(t.id)) vocab[t.content] = t.id;
    }
    // Newer tokenizers write each merge as a pair, older ones as one "a b" string.
    const merges = (model.merges as unknown[]).map((m) => (Array.isArray(m) ? m.join(' ') : String(m)));
    const pad = typeof json!.padding?.pad_token === 'string' ? json!.padding.pad_token : defaultPad;
    return new ClipTokenizer(vocab, merges, tokenizerConfig(configJson, pad));
  }

  private id(token: string): number {
    const id = this.vocab.get(token);
    if (id === undefined) throw new TokenizerError(`Tokenizer vocabulary has no "${token.slice(0, 40)}" token.`);
    return id;
  }

  /** Token ids without BOS/EOS or padding; at most `limit` of them (the text after is not read). */
  tokenize(text: string, limit = Infinity): number[] {
    const clean = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
    const ids: number[] = [];
    for (const [word] of clean.matchAll(PATTERN)) {
      const chars = Array.from(new TextEncoder().encode(word), (b) => this.byteToChar[b]).join('');
      for (let at = 0; at < chars.length; at += WORD_PIECE) {
        for (const piece of this.bpe(chars.slice(at, at + WORD_PIECE), at + WORD_PIECE >= chars.length)) {
          if (ids.length >= limit) return ids;
          ids.push(this.id(piece));
        }
      }
    }
    return ids;
  }

  /** `[BOS, …tokens, EOS, pad…]`, truncated and padded to `maxLength`, as the text encoder wants. */
  encode(text: string): Int32Array {
    const tokens = this.tokenize(text, this.maxLength - 2);
    const out = new Int32Array(this.maxLength).fill(this.padId);
    out.set([this.bosId, ...tokens, this.eosId]);
    return out;
  }

  /**
   * CLIP's BPE of one word: repeatedly merge the adjacent pair with the lowest merge rank, every
   * occurrence left to right. Done with a heap of candidate pairs ordered by (rank, position),
   * which merges in the same order as the reference's rescans for merges learned by BPE (a pair
   * made by a merge always ranks after it).
   */
  private bpe(word: string, endOfWord = true): string[] {
    const cached = endOfWord ? this.cache.get(word) : undefined;
    if (cached) return cached;
    // The last symbol carries the end-of-word marker, as CLIP's merges expect.
    const symbols = [...word];
    if (endOfWord) symbols[symbols.length - 1] += '</w>';
    const n = symbols.length;
    const next = Int32Array.from({ length: n }, (_, i) => i + 1);
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const version = new Int32Array(n); // bumped when a symbol changes; a dead symbol is -1
    const heap = new PairHeap(n);
    const consider = (i: number) => {
      if (i < 0 || next[i]! >= n) return;
      const j = next[i]!;
      const rank = this.ranks.get(`${symbols[i]} ${symbols[j]}`);
      if (rank !== undefined) heap.push(rank, i, j, version[i]!, version[j]!);
    };
    for (let i = 0; i < n - 1; i++) consider(i);
    for (let c = heap.pop(); c >= 0; c = heap.pop()) {
      const [i, j] = [heap.left[c]!, heap.right[c]!];
      if (version[i] !== heap.vl[c] || version[j] !== heap.vr[c] || next[i] !== j) continue; // stale: a neighbour merged first
      symbols[i] += symbols[j]!;
      version[i]!++;
      version[j] = -1;
      next[i] = next[j]!;
      if (next[j]! < n) prev[next[j]!] = i;
      consider(prev[i]!);
      consider(i);
    }
    const parts: string[] = [];
    for (let i = 0; i < n; i = next[i]!) parts.push(symbols[i]!);
    if (endOfWord && word.length <= CACHED_WORD_MAX) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(word, parts);
    }
    return parts;
  }
}

/** `tokenizer_config.json`'s pad token and length; a length over a million is transformers' "no limit". */
function tokenizerConfig(configJson: string | undefined, defaultPad: string): TokenizerConfig {
  const parsed = configJson ? parseJson(configJson, 'tokenizer/tokenizer_config.json') : {};
  const cfg: Record<string, any> = isObject(parsed) ? parsed : {};
  const pad = typeof cfg.pad_token === 'string' ? cfg.pad_token : cfg.pad_token?.content;
  const length = cfg.model_max_length;
  if (length !== undefined && length !== null && !(typeof length === 'number' && length > 0)) {
    throw new TokenizerError(`tokenizer_config.json: model_max_length must be a positive number, not ${JSON.stringify(length)}.`);
  }
  const modelMaxLength = typeof length === 'number' && length < 1e6 ? length : undefined;
  if (modelMaxLength !== undefined && (!Number.isInteger(modelMaxLength) || modelMaxLength < 3 || modelMaxLength > 1024)) {
    throw new TokenizerError(`tokenizer_config.json: model_max_length must be an integer from 3 to 1024, not ${modelMaxLength}.`);
  }
  return { padToken: typeof pad === 'string' ? pad : defaultPad, modelMaxLength };
}

/**
 * A binary min-heap of merge candidates by rank, then by position (left to right). Candidates
 * live in typed arrays (a word of 300 000 letters makes about a million), the heap holds their
 * numbers.
 */
class PairHeap {
  rank: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** The versions of both symbols when the pair was seen, to tell a stale candidate. */
  vl: Int32Array;
  vr: Int32Array;
  private order: Int32Array;
  private size = 0;
  private count = 0;

  constructor(capacity: number) {
    const c = Math.max(4, capacity);
    [this.rank, this.left, this.right, this.vl, this.vr, this.order] = [new Float64Array(c), new Int32Array(c), new Int32Array(c), new Int32Array(c), new Int32Array(c), new Int32Array(c)];
  }

  private before(a: number, b: number): boolean {
    return this.rank[a]! < this.rank[b]! || (this.rank[a] === this.rank[b] && this.left[a]! < this.left[b]!);
  }

  private grow(): void {
    const c = this.rank.length * 2;
    const bigger = <T extends Float64Array | Int32Array>(a: T): T => {
      const out = new (a.constructor as new (n: number) => T)(c);
      out.set(a);
      return out;
    };
    [this.rank, this.left, this.right, this.vl, this.vr, this.order] = [bigger(this.rank), bigger(this.left), bigger(this.right), bigger(this.vl), bigger(this.vr), bigger(this.order)];
  }

  push(rank: number, left: number, right: number, vl: number, vr: number): void {
    if (this.count === this.rank.length) this.grow();
    const id = this.count++;
    [this.rank[id], this.left[id], this.right[id], this.vl[id], this.vr[id]] = [rank, left, right, vl, vr];
    const order = this.order;
    let i = this.size++;
    order[i] = id;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(order[i]!, order[parent]!)) break;
      [order[i], order[parent]] = [order[parent]!, order[i]!];
      i = parent;
    }
  }

  /** The best candidate's number, or -1 when there is none. */
  pop(): number {
    if (this.size === 0) return -1;
    const order = this.order;
    const top = order[0]!;
    order[0] = order[--this.size]!;
    for (let i = 0; ; ) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let m = i;
      if (l < this.size && this.before(order[l]!, order[m]!)) m = l;
      if (r < this.size && this.before(order[r]!, order[m]!)) m = r;
      if (m === i) break;
      [order[i], order[m]] = [order[m]!, order[i]!];
      i = m;
    }
    return top;
  }
}

/** GPT-2/CLIP's reversible map from bytes to printable unicode characters. */
function bytesToUnicode(): string[] {
  const printable = new Set<number>();
  for (const [lo, hi] of [[33, 126], [161, 172], [174, 255]]) for (let b = lo; b <= hi; b++) printable.add(b);
  const map: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCharCode(printable.has(b) ? b : 256 + n++);
  return map;
}
