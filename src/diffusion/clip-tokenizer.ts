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
 * `tokenizer/vocab.json` and `tokenizer/merges.txt` (the files the Hub repos carry).
 */
export class ClipTokenizer {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();
  private readonly byteToChar = bytesToUnicode();
  readonly maxLength: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;

  constructor(
    private readonly vocab: Record<string, number>,
    merges: string[],
    config: TokenizerConfig = {},
  ) {
    merges.forEach((m, i) => this.ranks.set(m, i));
    this.maxLength = config.modelMaxLength ?? 77;
    this.bosId = this.id(BOS);
    this.eosId = this.id(EOS);
    this.padId = this.id(config.padToken ?? '!');
  }

  /** From the text of `vocab.json`, `merges.txt` and (optionally) `tokenizer_config.json`. */
  static fromFiles(vocabJson: string, mergesTxt: string, configJson?: string): ClipTokenizer {
    const merges = mergesTxt.split('\n').filter((l) => l && !l.startsWith('#version'));
    const cfg = configJson ? JSON.parse(configJson) : {};
    const pad = typeof cfg.pad_token === 'string' ? cfg.pad_token : cfg.pad_token?.content;
    const maxLength = typeof cfg.model_max_length === 'number' && cfg.model_max_length < 1e6 ? cfg.model_max_length : undefined;
    return new ClipTokenizer(JSON.parse(vocabJson), merges, { padToken: pad, modelMaxLength: maxLength });
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

/** GPT-2/CLIP's reversible map from bytes to printable unicode characters. */
function bytesToUnicode(): string[] {
  const printable = new Set<number>();
  for (const [lo, hi] of [[33, 126], [161, 172], [174, 255]]) for (let b = lo; b <= hi; b++) printable.add(b);
  const map: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCharCode(printable.has(b) ? b : 256 + n++);
  return map;
}
