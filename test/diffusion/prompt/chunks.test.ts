import { describe, expect, it } from 'vitest';
import { ClipTokenizer, chunkPrompt, countTokens, emptyChunk, padChunks, preparePrompt, type PromptChunk } from '../../../src/diffusion/index.ts';
import { clipVocab, readClipBpe } from '../../../tools/tiny-model/clip-vocab.ts';

// The real CLIP vocabulary; SD 1.x pads with the end token, SD 2.x with "!" (id 0).
const { vocab, merges } = clipVocab(readClipBpe());
const sd1 = new ClipTokenizer(vocab, merges, { padToken: '<|endoftext|>' });
const sd2 = new ClipTokenizer(vocab, merges);
const COMMA = 267; // ",</w>"

/** The tokens between a chunk's start token and its first end token. */
const body = (c: PromptChunk) => [...c.ids.subarray(1, c.ids.indexOf(sd1.eosId))];

/** n words, each one CLIP token, cycling through a fixed list. */
const WORDS = ['red', 'green', 'blue', 'cat', 'dog', 'house', 'tree', 'sky', 'sun', 'moon', 'river', 'stone'];
const words = (n: number, from = 0) => Array.from({ length: n }, (_, j) => WORDS[(from + j) % WORDS.length]).join(' ');

// 24 phrases of 3, 4, …, 9 words (then again), joined by ", ": 137 words and 23 commas, 161 tokens.
const PHRASES = Array.from({ length: 24 }, (_, i) => words(3 + (i % 7), i));
const LONG = PHRASES.join(', ');

describe('chunkPrompt: A1111 tokenize_line', () => {
  it('every test word is one token, "," is 267', () => {
    for (const w of WORDS) expect(sd1.tokenize(w)).toHaveLength(1);
    expect(sd1.tokenize(',')).toEqual([COMMA]);
    expect(sd1.tokenize(LONG)).toHaveLength(161);
  });

  it('a 161-token prompt with commas: cut after the last comma within 20 tokens, a comma arriving at a full chunk opens the next', () => {
    const all = sd1.tokenize(LONG);
    const { chunks, tokenCount } = chunkPrompt(LONG, sd1);
    // Phrase 12 (tokens 71…77) is running when token 75 arrives; the last comma is token 70,
    // 5 back, so chunk 1 ends there (71 tokens). Chunk 2 holds 71…145; token 146 is a comma that
    // finds chunk 2 full (no wrapping for a comma itself), so it opens chunk 3: 146…160.
    expect(chunks.map((c) => body(c).length)).toEqual([71, 75, 15]);
    expect(body(chunks[0]!).at(-1)).toBe(COMMA);
    expect(body(chunks[2]!)[0]).toBe(COMMA);
    expect(chunks.flatMap(body)).toEqual(all); // nothing lost, nothing reordered
    expect(tokenCount).toBe(75 + 75 + 15); // a wrapped chunk counts its full 75
    for (const c of chunks) {
      expect(c.ids).toHaveLength(77);
      expect(c.ids[0]).toBe(sd1.bosId);
      expect(c.ids[76]).toBe(sd1.eosId);
      expect([...c.weights].every((w) => w === 1)).toBe(true);
    }
  });

  it('with comma wrapping off the chunks are cut at 75', () => {
    const { chunks, tokenCount } = chunkPrompt(LONG, sd1, { commaBacktrack: 0 });
    expect(chunks.map((c) => body(c).length)).toEqual([75, 75, 11]);
    expect(tokenCount).toBe(161);
  });

  it('a comma 20 tokens back moves what follows it; 21 back, it does not', () => {
    const twenty = chunkPrompt(`${words(55)}, ${words(30)}`, sd1); // comma at 55: 75 − 55 = 20
    expect(twenty.chunks.map((c) => body(c).length)).toEqual([56, 30]);
    const twentyOne = chunkPrompt(`${words(54)}, ${words(30)}`, sd1); // comma at 54: 21 back
    expect(twentyOne.chunks.map((c) => body(c).length)).toEqual([75, 10]);
    expect(chunkPrompt(words(100), sd1).chunks.map((c) => body(c).length)).toEqual([75, 25]);
  });

  it('BREAK starts a new chunk; the chunk it closes counts as 75', () => {
    const { chunks, tokenCount } = chunkPrompt('red cat BREAK green dog', sd1);
    expect(chunks.map(body)).toEqual([sd1.tokenize('red cat'), sd1.tokenize('green dog')]);
    expect(tokenCount).toBe(77);
    expect(chunkPrompt('red BREAK', sd1).chunks).toHaveLength(1);
    expect(chunkPrompt('BREAK red', sd1).chunks.map(body)).toEqual([[], sd1.tokenize('red')]);
    // Inside brackets BREAK is multiplied and becomes the word "break" (A1111 does the same).
    const inside = chunkPrompt('(red BREAK green)', sd1);
    expect(inside.chunks.map(body)).toEqual([sd1.tokenize('red BREAK green')]);
    expect(inside.chunks[0]!.weights[2]).toBe(Math.fround(-1.1));
  });

  it("each token carries its part's weight (float32, as torch holds them); start, end and padding weigh 1", () => {
    const { chunks } = chunkPrompt('(red:1.5) green, [blue] ((sky))', sd1);
    expect(body(chunks[0]!)).toEqual(sd1.tokenize('red green, blue sky'));
    expect([...chunks[0]!.weights.subarray(0, 7)]).toEqual([1, 1.5, 1, 1, 1 / 1.1, 1.21, 1].map(Math.fround));
    expect([...chunks[0]!.weights.subarray(7)].every((w) => w === 1)).toBe(true);
  });

  it('each part is tokenized on its own, as A1111 does', () => {
    expect(body(chunkPrompt('(super)man', sd1).chunks[0]!)).toEqual([...sd1.tokenize('super'), ...sd1.tokenize('man')]);
    expect(body(chunkPrompt('(super)man', sd1, { emphasis: false }).chunks[0]!)).toEqual(sd1.tokenize('(super)man'));
  });

  it("a prompt without A1111's syntax gives exactly the ids the tokenizer's encode gives", () => {
    for (const tokenizer of [sd1, sd2]) {
      for (const prompt of ['a watercolor painting of a lighthouse at dawn', '', 'photo: a cat, 35mm, f/1.8']) {
        const { chunks, tokenCount } = chunkPrompt(prompt, tokenizer);
        expect(chunks).toHaveLength(1);
        expect([...chunks[0]!.ids]).toEqual([...tokenizer.encode(prompt)]);
        expect(tokenCount).toBe(tokenizer.tokenize(prompt).length);
      }
    }
    expect(chunkPrompt('', sd2).chunks[0]!.ids.subarray(0, 3)).toEqual(Int32Array.of(sd2.bosId, sd2.eosId, 0));
  });

  it('padChunks adds empty chunks (what "" encodes to) up to a count, and leaves longer lists alone', () => {
    const negative = chunkPrompt('blurry', sd2).chunks;
    const padded = padChunks(negative, 3, sd2);
    expect(padded).toHaveLength(3);
    expect(padded[0]).toBe(negative[0]);
    for (const extra of padded.slice(1)) {
      expect([...extra.ids]).toEqual([...sd2.encode('')]);
      expect(extra).toEqual(emptyChunk(sd2));
    }
    expect(padChunks(padded, 2, sd2)).toHaveLength(3);
  });

  it('preparePrompt takes extra networks out of the prompt, and leaves them in a negative prompt', () => {
    const prompt = preparePrompt('a castle <lora:ghibli:0.8>', sd1);
    expect(prompt.networks.map((n) => n.name)).toEqual(['ghibli']);
    expect(body(prompt.chunks[0]!)).toEqual(sd1.tokenize('a castle'));
    const negative = preparePrompt('ugly <lora:bad:1>', sd1, { negative: true });
    expect(negative.networks).toEqual([]);
    expect(body(negative.chunks[0]!)).toEqual(sd1.tokenize('ugly <lora:bad:1>'));
  });
});

describe('chunkPrompt with maxChunks: a cap on encoder runs', () => {
  it('keeps the first chunks exactly as without a cap, and says the rest was dropped', () => {
    const all = chunkPrompt(LONG, sd1);
    for (const max of [1, 2]) {
      const capped = chunkPrompt(LONG, sd1, { maxChunks: max });
      expect(capped.truncated).toBe(true);
      expect(capped.chunks).toEqual(all.chunks.slice(0, max));
      expect(capped.tokenCount).toBe(75 * max);
    }
    expect(chunkPrompt(LONG, sd1, { maxChunks: 3 })).toEqual({ ...all, truncated: false });
    expect(chunkPrompt(words(75), sd1, { maxChunks: 1 }).truncated).toBe(false); // exactly full is not cut
    expect(chunkPrompt(words(76), sd1, { maxChunks: 1 }).truncated).toBe(true);
  });

  it('a BREAK closing the last chunk allowed is not a cut; one opening a chunk past it is', () => {
    expect(chunkPrompt('red BREAK', sd1, { maxChunks: 1 })).toMatchObject({ truncated: false, chunks: [expect.anything()] });
    expect(chunkPrompt('red BREAK green', sd1, { maxChunks: 1 }).truncated).toBe(true);
    expect(chunkPrompt('red BREAK BREAK', sd1, { maxChunks: 1 }).truncated).toBe(true);
  });

  it('reads only what the kept chunks need: a megabyte of words, or of BREAKs, costs a few chunks', () => {
    // Counted reads, not time: the tokenizer is asked for at most (maxChunks + 1)·75 + 1 tokens per part.
    const asked: number[] = [];
    const counting = { bosId: sd1.bosId, eosId: sd1.eosId, padId: sd1.padId, tokenize: (t: string, limit?: number) => (asked.push(limit ?? Infinity), sd1.tokenize(t, limit)) };
    const huge = chunkPrompt('red '.repeat(2 ** 18), counting, { maxChunks: 4, commaId: COMMA });
    expect([huge.chunks.length, huge.truncated]).toEqual([4, true]);
    expect(Math.max(...asked)).toBe(5 * 75 + 1);
    const breaks = chunkPrompt('a BREAK '.repeat(2 ** 17), sd1, { maxChunks: 4 });
    expect([breaks.chunks.length, breaks.truncated]).toEqual([4, true]);
  });
});

describe('countTokens: the counter under the prompt box', () => {
  it('shows tokens against the next multiple of 75', () => {
    expect(countTokens('', sd1)).toEqual({ tokens: 0, limit: 75, truncated: false });
    expect(countTokens(words(37), sd1)).toEqual({ tokens: 37, limit: 75, truncated: false });
    expect(countTokens(words(75), sd1)).toEqual({ tokens: 75, limit: 75, truncated: false });
    expect(countTokens(words(76), sd1)).toEqual({ tokens: 76, limit: 150, truncated: false });
    expect(countTokens(words(112), sd1)).toEqual({ tokens: 112, limit: 150, truncated: false });
    expect(countTokens(LONG, sd1)).toEqual({ tokens: 165, limit: 225, truncated: false });
  });

  it('does not count extra networks or emphasis brackets, and counts the room BREAK leaves', () => {
    expect(countTokens(`(${words(10)}:1.3) <lora:x:0.7> [${words(5)}]`, sd1)).toEqual({ tokens: 15, limit: 75, truncated: false });
    expect(countTokens('red BREAK green', sd1)).toEqual({ tokens: 76, limit: 150, truncated: false });
  });

  it('with a cap, counts the kept chunks and says there is more', () => {
    expect(countTokens(words(200), sd1, { maxChunks: 2 })).toEqual({ tokens: 150, limit: 150, truncated: true });
  });
});
