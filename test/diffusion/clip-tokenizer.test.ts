import { describe, expect, it } from 'vitest';
import { ClipTokenizer } from '../../src/diffusion/index.ts';
import { bytesToUnicode, clipVocab, mergesTxt, readClipBpe } from '../../tools/tiny-model/clip-vocab.ts';

const bpe = readClipBpe();
const full = clipVocab(bpe);
const tiny = clipVocab(bpe, 2000);
const sd2 = new ClipTokenizer(full.vocab, full.merges, { padToken: '!' });

function decode(vocab: Record<string, number>, ids: number[]): string {
  const byId = Object.fromEntries(Object.entries(vocab).map(([t, i]) => [i, t]));
  const unicodeToByte = new Map([...bytesToUnicode()].map(([b, c]) => [c, b]));
  const text = ids.map((i) => byId[i]).join('').replaceAll('</w>', ' ');
  return new TextDecoder().decode(Uint8Array.from([...text].map((c) => (c === ' ' ? 32 : unicodeToByte.get(c)!))));
}

describe('ClipTokenizer with the real CLIP vocabulary', () => {
  it('matches CLIP ids for a simple prompt, padded with "!" (id 0) like SD 2.x', () => {
    const ids = sd2.encode('a photo of a cat');
    expect([...ids.slice(0, 7)]).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(ids.length).toBe(77);
    expect([...ids.slice(7)].every((id) => id === 0)).toBe(true);
  });

  it('pads with <|endoftext|> when the tokenizer config says so (SD 1.x)', () => {
    const sd1 = ClipTokenizer.fromFiles(JSON.stringify(full.vocab), mergesTxt(full.merges), JSON.stringify({ pad_token: '<|endoftext|>', model_max_length: 77 }));
    expect(sd1.encode('cat')[3]).toBe(49407);
  });

  it('lowercases, collapses whitespace, and splits punctuation into end-of-word tokens', () => {
    // ',</w>' and '!</w>' are the byte tokens 256 + (char − 33) by construction.
    expect(sd2.tokenize('  A   CAT, a cat!')).toEqual([320, 2368, 256 + (44 - 33), 320, 2368, 256]);
  });

  it('truncates to 77 tokens and always ends with EOS', () => {
    const ids = sd2.encode('cat '.repeat(200));
    expect(ids.length).toBe(77);
    expect(ids[0]).toBe(49406);
    expect(ids[76]).toBe(49407);
  });
});

describe('ClipTokenizer with the tiny vocabulary (as the tiny model ships it)', () => {
  const tok = ClipTokenizer.fromFiles(JSON.stringify(tiny.vocab), mergesTxt(tiny.merges));
  it('has the special tokens at the end of a small vocabulary', () => {
    expect(Object.keys(tiny.vocab).length).toBe(512 + 2000 + 2);
    expect(tok.bosId).toBe(2512);
    expect(tok.eosId).toBe(2513);
  });

  it('round-trips any text, including non-ASCII, through byte-level BPE', () => {
    for (const text of ['a watercolor lighthouse at dawn', 'Ünïcödé ✨ 東京 2024', "it's a dog's life", 'x'.repeat(30)]) {
      const ids = tok.tokenize(text);
      expect(ids.every((i) => i >= 0 && i < 2514)).toBe(true);
      expect(decode(tiny.vocab, ids).replace(/\s/g, '')).toBe(text.toLowerCase().replace(/\s/g, ''));
    }
  });

  it('merges common words into fewer tokens than characters', () => {
    expect(tok.tokenize('the').length).toBe(1);
    expect(tok.tokenize('photograph').length).toBeLessThan('photograph'.length);
  });
});
