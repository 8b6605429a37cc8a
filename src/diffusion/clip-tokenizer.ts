/** Settings from a repo's `tokenizer_config.json`; both default to SD 2.x's. */
export interface TokenizerConfig {
  /** Sequence length the text encoder expects (77 for every SD model). */
  modelMaxLength?: number;
  /** Token used to fill the sequence: `!` (id 0) for SD 2.x, `<|endoftext|>` for SD 1.x. */
  padToken?: string;
}

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';
// CLIP's pre-tokenizer pattern: special tokens, English contractions, letters, single digits, other symbols.
const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/**
 * CLIP's byte-level BPE tokenizer, as used by Stable Diffusion, built from a repo's
 * `tokenizer/vocab.json` and `tokenizer/merges.txt`, from its `tokenizer.json`, or from the
 * CLIP vocabulary the app ships (see clip-bpe.ts).
 */
export class ClipTokenizer {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();
  private readonly byteToChar = bytesToUnicode();
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  /** The token the sequence is filled with (`!` or `<|endoftext|>`). */
  readonly padToken: string;

  constructor(
    private readonly vocab: Record<string, number>,
    merges: string[],
    config: TokenizerConfig = {},
  ) {
    merges.forEach((m, i) => this.ranks.set(m, i));
    this.maxLength = config.modelMaxLength ?? 77;
    this.bosId = this.id(BOS);
    this.eosId = this.id(EOS);
    this.padToken = config.padToken ?? '!';
    this.padId = this.id(this.padToken);
  }

  /**
   * From the text of `vocab.json`, `merges.txt` and (optionally) `tokenizer_config.json`;
   * `defaultPad` is used when the config names no pad token.
   */
  static fromFiles(vocabJson: string, mergesTxt: string, configJson?: string, defaultPad = '!'): ClipTokenizer {
    const merges = mergesTxt.split('\n').filter((l) => l && !l.startsWith('#version'));
    return new ClipTokenizer(JSON.parse(vocabJson), merges, tokenizerConfig(configJson, defaultPad));
  }

  /**
   * From a fast tokenizer's `tokenizer.json` (its BPE vocabulary, merges and added tokens) and,
   * optionally, `tokenizer_config.json`. The pad token is the config's, else tokenizer.json's
   * `padding.pad_token`, else `defaultPad`. Refuses a tokenizer.json that is not CLIP's kind of
   * BPE (end-of-word suffix `</w>`), whose text this class would split differently.
   */
  static fromTokenizerJson(tokenizerJson: string, configJson?: string, defaultPad = '!'): ClipTokenizer {
    const json = JSON.parse(tokenizerJson);
    const model = json?.model;
    if (model?.type !== 'BPE' || model.end_of_word_suffix !== '</w>' || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) {
      throw new Error(`tokenizer.json is not a CLIP tokenizer (a BPE model with "</w>" word ends); it has a ${model?.type ?? 'missing'} model.`);
    }
    const vocab: Record<string, number> = { ...model.vocab };
    for (const t of Array.isArray(json.added_tokens) ? json.added_tokens : []) {
      if (typeof t?.content === 'string' && Number.isInteger(t.id)) vocab[t.content] = t.id;
    }
    // Newer tokenizers write each merge as a pair, older ones as one "a b" string.
    const merges = (model.merges as unknown[]).map((m) => (Array.isArray(m) ? m.join(' ') : String(m)));
    const pad = typeof json.padding?.pad_token === 'string' ? json.padding.pad_token : defaultPad;
    return new ClipTokenizer(vocab, merges, tokenizerConfig(configJson, pad));
  }

  private id(token: string): number {
    const id = this.vocab[token];
    if (id === undefined) throw new Error(`Tokenizer vocabulary has no "${token}" token.`);
    return id;
  }

  /** Token ids without BOS/EOS or padding. */
  tokenize(text: string): number[] {
    const clean = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
    const ids: number[] = [];
    for (const word of clean.match(PATTERN) ?? []) {
      const chars = [...new TextEncoder().encode(word)].map((b) => this.byteToChar[b]).join('');
      for (const piece of this.bpe(chars)) ids.push(this.id(piece));
    }
    return ids;
  }

  /** `[BOS, …tokens, EOS, pad…]`, truncated and padded to `maxLength`, as the text encoder wants. */
  encode(text: string): Int32Array {
    const tokens = this.tokenize(text).slice(0, this.maxLength - 2);
    const out = new Int32Array(this.maxLength).fill(this.padId);
    out.set([this.bosId, ...tokens, this.eosId]);
    return out;
  }

  private bpe(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    // The last symbol carries the end-of-word marker, as CLIP's merges expect.
    let parts = [...word];
    parts[parts.length - 1] += '</w>';
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const rank = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (rank !== undefined && rank < bestRank) [best, bestRank] = [i, rank];
      }
      if (best < 0) break;
      const [a, b] = [parts[best], parts[best + 1]];
      // Merge every occurrence of the pair, left to right, like the reference implementation.
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i < parts.length - 1 && parts[i] === a && parts[i + 1] === b) merged.push(a + b), i++;
        else merged.push(parts[i]);
      }
      parts = merged;
    }
    this.cache.set(word, parts);
    return parts;
  }
}

/** `tokenizer_config.json`'s pad token and length; a length over a million is transformers' "no limit". */
function tokenizerConfig(configJson: string | undefined, defaultPad: string): TokenizerConfig {
  const cfg = configJson ? JSON.parse(configJson) : {};
  const pad = typeof cfg.pad_token === 'string' ? cfg.pad_token : cfg.pad_token?.content;
  const length = cfg.model_max_length;
  if (length !== undefined && length !== null && !(typeof length === 'number' && length > 0)) {
    throw new Error(`tokenizer_config.json: model_max_length must be a positive number, not ${JSON.stringify(length)}.`);
  }
  const modelMaxLength = typeof length === 'number' && length < 1e6 ? length : undefined;
  if (modelMaxLength !== undefined && (!Number.isInteger(modelMaxLength) || modelMaxLength < 3 || modelMaxLength > 1024)) {
    throw new Error(`tokenizer_config.json: model_max_length must be an integer from 3 to 1024, not ${modelMaxLength}.`);
  }
  return { padToken: typeof pad === 'string' ? pad : defaultPad, modelMaxLength };
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
