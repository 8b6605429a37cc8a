import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatParameters, parseParameters } from '../../src/ui/a1111-parameters.ts';
import {
  addTextChunks,
  inflateAtMost,
  PNG_TEXT_LIMIT,
  PngFormatError,
  PngTextTooLargeError,
  readTextChunks,
} from '../../src/ui/png-text-chunks.ts';
import { A1111_SAMPLE, encodePng, pngChunk as chunk, pngWith, splitPng, tEXt, testPicture, zlibBomb, zTXt } from '../support/png.ts';

const z = Buffer.from([0]);
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const GiB = 2 ** 30;
let bombMade: Promise<Buffer> | undefined;
/** zlib data that inflates to 1 GiB (about 1 MiB), made once. */
const gibBomb = () => (bombMade ??= zlibBomb(GiB));

/** The largest `arrayBuffers` figure Node reports while `work` runs, sampled every few ms. */
async function peakArrayBuffers<T>(work: () => Promise<T>): Promise<{ peak: number; result: T | Error }> {
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 2);
  try {
    const result = await work().catch((e: Error) => e);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    return { peak: peak - before, result };
  } finally {
    clearInterval(timer);
  }
}

describe('PNG text chunks', () => {
  const params = formatParameters({ prompt: 'Ein Käse, ☕ and 猫', steps: 1, seed: 5, width: 4, height: 3 });

  it('adds chunks after IHDR with valid CRCs and leaves the image chunks byte-identical', async () => {
    const png = encodePng(4, 3, testPicture(4, 3));
    const out = addTextChunks(png, { parameters: params, Software: 'diffusion-studio', Comment: 'café' });
    const before = splitPng(png);
    const after = splitPng(out);
    expect(after.map((c) => c.type)).toEqual(['IHDR', 'iTXt', 'tEXt', 'tEXt', 'IDAT', 'IEND']);
    for (const c of after) expect(c.crc).toBe(crc32(Buffer.concat([latin1(c.type), c.data])));
    expect(after[0]!.bytes.equals(before[0]!.bytes)).toBe(true);
    expect(after[4]!.bytes.equals(before[1]!.bytes)).toBe(true);
    expect(after[5]!.bytes.equals(before[2]!.bytes)).toBe(true);
    // Latin-1 goes to tEXt as Latin-1 bytes, other text to an uncompressed UTF-8 iTXt.
    expect(after[3]!.data.equals(Buffer.concat([latin1('Comment'), z, latin1('café')]))).toBe(true);
    expect(after[1]!.data.equals(Buffer.concat([latin1('parameters'), Buffer.from([0, 0, 0, 0, 0]), utf8(params)]))).toBe(true);

    expect(await readTextChunks(out, ['parameters', 'Software', 'Comment'])).toEqual({ parameters: params, Software: 'diffusion-studio', Comment: 'café' });
    expect(await readTextChunks(png)).toEqual({});
  });

  it('reads only the settings keywords unless asked for others', async () => {
    const png = addTextChunks(encodePng(4, 3, testPicture(4, 3)), { parameters: params, prompt: '{"3":{}}', Software: 'x', workflow: '{}' });
    expect(await readTextChunks(png)).toEqual({ parameters: params, prompt: '{"3":{}}' });
  });

  it('never decodes the other chunks: a bomb or a huge text under another keyword costs nothing', async () => {
    const png = pngWith(zTXt('workflow', await gibBomb()), tEXt('Comment', 'c'.repeat(3 * PNG_TEXT_LIMIT)), tEXt('parameters', 'a cat'));
    const { peak, result } = await peakArrayBuffers(() => readTextChunks(png));
    expect(result).toEqual({ parameters: 'a cat' });
    expect(peak).toBeLessThan(16 * 2 ** 20);
  });

  it('replaces an existing chunk with the same keyword instead of duplicating it', async () => {
    const png = pngWith(tEXt('parameters', 'old'));
    const out = addTextChunks(png, { parameters: 'new' });
    expect(splitPng(out).map((c) => c.type)).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect(await readTextChunks(out)).toEqual({ parameters: 'new' });
  });

  it('reads a PNG as A1111 (PIL) writes it', async () => {
    const png = pngWith(tEXt('parameters', A1111_SAMPLE));
    const text = await readTextChunks(png);
    expect(text).toEqual({ parameters: A1111_SAMPLE });
    expect(parseParameters(text.parameters!).extra?.['Clip skip']).toBe('2');
  });

  it('reads zTXt and compressed and uncompressed iTXt', async () => {
    const prompt = 'ワークフロー — a “workflow” with ümlauts';
    const png = pngWith(
      chunk('zTXt', Buffer.concat([latin1('Description'), z, z, deflateSync(latin1('zipped ÿ text'))])),
      chunk('iTXt', Buffer.concat([latin1('prompt'), z, Buffer.from([1, 0]), latin1('ja'), z, utf8('プロンプト'), z, deflateSync(utf8(prompt))])),
      chunk('iTXt', Buffer.concat([latin1('workflow'), z, Buffer.from([0, 0]), z, z, utf8('{"nodes":[]}')])),
    );
    expect(await readTextChunks(png, ['Description', 'prompt', 'workflow'])).toEqual({ Description: 'zipped ÿ text', prompt, workflow: '{"nodes":[]}' });
  });

  it('skips damaged text chunks and rejects what is not a PNG', async () => {
    const bad = tEXt('broken', 'x');
    bad[bad.length - 1] ^= 0xff;
    const corrupt = chunk('zTXt', Buffer.concat([latin1('corrupt'), z, z, Buffer.from('not zlib')]));
    const png = pngWith(bad, corrupt, tEXt('ok', 'yes'));
    expect(await readTextChunks(png, ['broken', 'corrupt', 'ok'])).toEqual({ ok: 'yes' });

    await expect(readTextChunks(new Uint8Array([1, 2, 3]))).rejects.toThrow(/PNG/);
    expect(() => addTextChunks(Buffer.from('GIF89a....'), { a: 'b' })).toThrow(PngFormatError);
    await expect(readTextChunks(pngWith().subarray(0, 40))).rejects.toThrow(/Truncated/);
    await expect(readTextChunks(pngWith().subarray(0, 40))).rejects.toBeInstanceOf(PngFormatError);
  });

  it('lets the last good chunk of a keyword win, and a later damaged one not', async () => {
    const damaged = tEXt('parameters', 'third');
    damaged[damaged.length - 1] ^= 0xff;
    expect(await readTextChunks(pngWith(tEXt('parameters', 'first'), tEXt('parameters', 'second'), damaged))).toEqual({ parameters: 'second' });
  });

  it('refuses invalid keywords', () => {
    const png = encodePng(1, 1, new Uint8Array(4));
    for (const keyword of ['', ' lead', 'two  spaces', 'k'.repeat(80), '猫']) {
      expect(() => addTextChunks(png, { [keyword]: 'v' })).toThrow(RangeError);
    }
  });
});

describe('PNG texts over 1 MiB', () => {
  const message = 'The settings text in this PNG is larger than 1 MiB, so it was not read.';

  it('are refused, plainly, whether stored or compressed', async () => {
    const big = 'a'.repeat(PNG_TEXT_LIMIT + 1);
    const cases = [
      tEXt('parameters', big),
      zTXt('parameters', deflateSync(latin1(big))),
      chunk('iTXt', Buffer.concat([latin1('prompt'), z, Buffer.from([1, 0]), z, z, deflateSync(utf8(big))])),
      chunk('iTXt', Buffer.concat([latin1('parameters'), z, Buffer.from([0, 0]), z, z, utf8(big)])),
    ];
    for (const c of cases) {
      const err = await readTextChunks(pngWith(c)).catch((e: Error) => e);
      expect(err).toBeInstanceOf(PngTextTooLargeError);
      expect((err as Error).message).toBe(message);
    }
    // Right at the limit is still read.
    expect((await readTextChunks(pngWith(zTXt('parameters', deflateSync(latin1(big.slice(1))))))).parameters).toHaveLength(PNG_TEXT_LIMIT);
  });

  it('a zTXt that inflates to 1 GiB is stopped at the limit, without allocating it', async () => {
    const bomb = await gibBomb();
    expect(bomb.length).toBeLessThan(PNG_TEXT_LIMIT); // small enough to pass the compressed-size check
    const { peak, result } = await peakArrayBuffers(() => readTextChunks(pngWith(zTXt('parameters', bomb))));
    expect(result).toBeInstanceOf(PngTextTooLargeError);
    expect((result as Error).message).toBe(message);
    expect(peak).toBeLessThan(32 * 2 ** 20);
  });

  it('inflateAtMost stops as soon as the output passes the limit, and rejects corrupt data', async () => {
    expect(await inflateAtMost(await zlibBomb(64 * 2 ** 20), 4096)).toBeUndefined();
    expect(Buffer.from((await inflateAtMost(deflateSync(latin1('hello')), 5))!).toString()).toBe('hello');
    await expect(inflateAtMost(Buffer.from('not zlib'), 100)).rejects.toThrow();
    await expect(inflateAtMost(deflateSync(latin1('hello')).subarray(0, 6), 100)).rejects.toThrow();
  });
});
