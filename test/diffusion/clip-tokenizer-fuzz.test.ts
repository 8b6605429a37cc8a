// Property tests of the CLIP tokenizer: on thousands of mutated prompts it gives exactly the ids
// of the reference algorithm (CLIP's simple_tokenizer.py, below), in bounded time even on one
// 300 000-letter word (the reference is quadratic there), and mutated tokenizer files end in a
// tokenizer or a TokenizerError.
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, TokenizerError } from '../../src/diffusion/index.ts';
import { clipVocab, mergesTxt, readClipBpe, vocabJson } from '../../tools/tiny-model/clip-vocab.ts';
import { below, CASE_TIME_CAP_MS, MEMORY_CAP, mutateText, pick, prng, watch } from '../support/fuzz.ts';

const bpeText = readClipBpe();
const full = clipVocab(bpeText);
const tok = new ClipTokenizer(full.vocab, full.merges, { padToken: '!' });

// CLIP's tokenizer as simple_tokenizer.py writes it: rescan all pairs, merge the best everywhere.
const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;
const ranks = new Map(full.merges.map((m, i) => [m, i]));
const byteToChar = (() => {
  const printable = new Set<number>();
  for (const [lo, hi] of [[33, 126], [161, 172], [174, 255]]) for (let b = lo; b <= hi; b++) printable.add(b);
  let n = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(printable.has(b) ? b : 256 + n++));
})();
function referenceBpe(word: string): string[] {
  let parts = [...word];
  parts[parts.length - 1] += '</w>';
  while (parts.length > 1) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i < parts.length - 1; i++) {
      const rank = ranks.get(`${parts[i]} ${parts[i + 1]}`);
      if (rank !== undefined && rank < bestRank) [best, bestRank] = [i, rank];
    }
    if (best < 0) break;
    const [a, b] = [parts[best], parts[best + 1]];
    const merged: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (i < parts.length - 1 && parts[i] === a && parts[i + 1] === b) merged.push(a + b), i++;
      else merged.push(parts[i]!);
    }
    parts = merged;
  }
  return parts;
}
function referenceTokenize(text: string): number[] {
  const clean = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
  return (clean.match(PATTERN) ?? []).flatMap((word) =>
    referenceBpe([...new TextEncoder().encode(word)].map((b) => byteToChar[b]).join('')).map((piece) => full.vocab[piece]!),
  );
}

const PROMPTS = [
  'a watercolor painting of a lighthouse at dawn, highly detailed, trending on artstation',
  'masterpiece, best quality, 1girl, solo, (detailed background:1.2), <lora:add_detail:0.5>',
  "it's a dog's life — Ünïcödé ✨ 東京 2024 photograph",
  'unbelievably overcomplicated antidisestablishmentarianism supercalifragilistic',
];
const PIECES = ['a', 'e', 'th', 'ing', 'tion', ' ', ',', "'", '(', ':1.2)', 'é', 'ß', '東', '😀', '\u0301', '\t', '\n', 'photo', 'grap', '<|endoftext|>', '9'];

describe('the CLIP tokenizer on thousands of mutated prompts', () => {
  it('gives exactly the reference ids', () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 2000; seed++) {
      const text = mutateText(pick(prng(seed), PROMPTS), prng(seed + 1e6), PIECES, 4);
      const ours = tok.tokenize(text);
      const ref = referenceTokenize(text);
      if (JSON.stringify(ours) !== JSON.stringify(ref)) failures.push(`seed ${seed}: ${JSON.stringify(text)}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('encodes any prompt, however long, into BOS … EOS and padding, within a time bound', async () => {
    const w = watch();
    const vocabSize = Object.keys(full.vocab).length;
    const failures: string[] = [];
    // One word of 300 000 random letters took the reference minutes (20 000: 2.4 s, and growing as n²).
    const letters = prng(7);
    const randomWord = Array.from({ length: 300_000 }, () => String.fromCharCode(97 + below(letters, 26))).join('');
    const hostile = [randomWord, 'a'.repeat(300_000), 'ab'.repeat(150_000), '😀'.repeat(100_000), 'a '.repeat(150_000), `${randomWord} cat`];
    for (let seed = 1; seed <= 600; seed++) {
      const rand = prng(seed);
      const text = seed <= hostile.length ? hostile[seed - 1]! : mutateText(pick(rand, PROMPTS), rand, PIECES, 2000);
      const ids = await w.case_(seed, () => tok.encode(text));
      const eos = ids.indexOf(tok.eosId);
      if (ids.length !== 77 || ids[0] !== tok.bosId || eos < 1 || ids.some((id) => id < 0 || id >= vocabSize)) failures.push(`seed ${seed}: ${ids.slice(0, 8)}`);
    }
    const { slowest, peakBytes } = w.report();
    expect(failures).toEqual([]);
    expect(slowest.ms).toBeLessThan(CASE_TIME_CAP_MS);
    expect(peakBytes).toBeLessThan(MEMORY_CAP);
  });
});

describe('the CLIP tokenizer on mutated tokenizer files', () => {
  it('builds a tokenizer or throws a TokenizerError, never anything else', async () => {
    const small = clipVocab(bpeText, 300);
    const files = [vocabJson(small.vocab), mergesTxt(small.merges), JSON.stringify({ pad_token: { content: '<|endoftext|>' }, model_max_length: 77 })];
    const JSON_PIECES = ['"', '{', '}', ':', ',', '1e999', '-1', '0.5', 'null', '[]', '"__proto__": 1', '"<|endoftext|>"', '\\u0000', ' '];
    const w = watch();
    const failures: string[] = [];
    let built = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const rand = prng(seed);
      const which = below(rand, 3);
      const mutated = files.map((f, i) => (i === which ? mutateText(f, rand, JSON_PIECES) : f));
      await w.case_(seed, () => {
        try {
          const t = ClipTokenizer.fromFiles(mutated[0]!, mutated[1]!, mutated[2]);
          built++;
          const ids = t.encode('a photo of a constructor __proto__ hasOwnProperty toString');
          if (ids.some((id) => !Number.isInteger(id) || id < 0)) failures.push(`seed ${seed}: ids ${ids}`);
        } catch (e) {
          if (!(e instanceof TokenizerError)) failures.push(`seed ${seed}: ${String(e)}`);
        }
      });
    }
    const { slowest, peakBytes } = w.report();
    expect(failures).toEqual([]);
    expect(built).toBeGreaterThan(100);
    expect(slowest.ms).toBeLessThan(CASE_TIME_CAP_MS);
    expect(peakBytes).toBeLessThan(MEMORY_CAP);
  });
});
