// tokenizer.json alone, and no tokenizer at all (the CLIP tokenizer the app ships).
import { describe, expect, it } from 'vitest';
import { BUNDLED_TOKENIZER, bundledClipVocab, ClipTokenizer, openTokenizer } from '../../src/diffusion/index.ts';
import { clipVocab, mergesTxt, readClipBpe, vocabJson } from '../../tools/tiny-model/clip-vocab.ts';
import { tokenizerJson } from '../../tools/tiny-model/repo-files.ts';

const full = clipVocab(readClipBpe());
const PROMPTS = ['a photo of a cat', 'An astronaut riding a horse, 4k, highly-detailed!!', "it's  Ünïcödé — 日本 123"];
const files = (contents: Record<string, string>) => ({ files: Object.keys(contents), readText: async (p: string) => contents[p]! });

describe('tokenizer/tokenizer.json', () => {
  it('tokenizes exactly as vocab.json + merges.txt do, on the real CLIP vocabulary', async () => {
    const slow = ClipTokenizer.fromFiles(vocabJson(full.vocab), mergesTxt(full.merges), undefined, '!');
    const { tokenizer, source } = await openTokenizer(files({ 'tokenizer/tokenizer.json': tokenizerJson(full.vocab, full.merges) }), 'tokenizer', '!');
    expect(source).toBe('tokenizer/tokenizer.json');
    for (const p of PROMPTS) expect(Array.from(tokenizer.encode(p)), p).toEqual(Array.from(slow.encode(p)));
  });

  it('takes merges written as pairs (newer tokenizers), and added tokens', () => {
    const json = JSON.parse(tokenizerJson(full.vocab, full.merges));
    json.model.merges = full.merges.map((m) => m.split(' '));
    json.added_tokens.push({ id: 49408, content: '<extra>', special: true });
    const t = ClipTokenizer.fromTokenizerJson(JSON.stringify(json));
    expect(Array.from(t.encode('a photo of a cat').slice(0, 7))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(ClipTokenizer.fromTokenizerJson(JSON.stringify(json), JSON.stringify({ pad_token: '<extra>' })).padId).toBe(49408);
  });

  it("pads with tokenizer_config.json's pad token, else tokenizer.json's padding, else the family's", async () => {
    const json = tokenizerJson(full.vocab, full.merges);
    const padded = JSON.stringify({ ...JSON.parse(json), padding: { pad_token: '<|endoftext|>' } });
    const pad = async (c: Record<string, string>, family: string) => (await openTokenizer(files(c), 'tokenizer_2', family)).tokenizer.padId;
    expect(await pad({ 'tokenizer_2/tokenizer.json': json }, '!')).toBe(0);
    expect(await pad({ 'tokenizer_2/tokenizer.json': padded }, '!')).toBe(49407);
    expect(await pad({ 'tokenizer_2/tokenizer.json': padded, 'tokenizer_2/tokenizer_config.json': JSON.stringify({ pad_token: '!' }) }, '<|endoftext|>')).toBe(0);
  });

  it('refuses a tokenizer.json that is not CLIP’s, naming the file', async () => {
    const qwen = JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [], end_of_word_suffix: null } });
    await expect(openTokenizer(files({ 'tokenizer/tokenizer.json': qwen }), 'tokenizer', '!')).rejects.toThrow(/^tokenizer\/tokenizer\.json: tokenizer\.json is not a CLIP tokenizer/);
    await expect(openTokenizer(files({ 'tokenizer/tokenizer.json': JSON.stringify({ model: { type: 'Unigram' } }) }), 'tokenizer', '!')).rejects.toThrow(/it has a Unigram model/);
  });

  it('finds a tokenizer.json at the repo root (transformers.js style) for the first tokenizer', async () => {
    const { source } = await openTokenizer(files({ 'tokenizer.json': tokenizerJson(full.vocab, full.merges) }), 'tokenizer', '!');
    expect(source).toBe('tokenizer.json');
  });
});

describe('no tokenizer: the CLIP tokenizer shipped with the app', () => {
  it('is OpenAI’s vocabulary, read from the app’s own asset, and padded as the family says', async () => {
    const shipped = await bundledClipVocab();
    expect(Object.keys(shipped.vocab)).toHaveLength(49408);
    const sd2 = await openTokenizer(files({}), 'tokenizer', '!');
    const sd1 = await openTokenizer(files({}), 'tokenizer', '<|endoftext|>');
    expect(sd2.source).toBe(BUNDLED_TOKENIZER);
    expect(sd2.assumed).toMatch(/no tokenizer\/ .* padded with “!”/);
    expect(Array.from(sd2.tokenizer.encode('a photo of a cat').slice(0, 8))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407, 0]);
    expect(sd1.tokenizer.encode('a photo of a cat')[7]).toBe(49407);
  });
});

it('refuses a model_max_length it cannot use', () => {
  expect(() => ClipTokenizer.fromFiles(vocabJson(full.vocab), mergesTxt(full.merges), JSON.stringify({ model_max_length: 2 ** 40 }))).not.toThrow(); // transformers' "no limit"
  expect(() => ClipTokenizer.fromFiles(vocabJson(full.vocab), mergesTxt(full.merges), JSON.stringify({ model_max_length: 'long' }))).toThrow(/model_max_length must be a positive number/);
  expect(() => ClipTokenizer.fromFiles(vocabJson(full.vocab), mergesTxt(full.merges), JSON.stringify({ model_max_length: 5000 }))).toThrow(/from 3 to 1024/);
});
