import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  addTextChunks,
  formatParameters,
  parseParameters,
  readTextChunks,
  type GenerationParameters,
} from '../../src/ui/png-parameters.ts';
import { encodePng, testPicture } from '../support/png.ts';

interface RawChunk {
  type: string;
  data: Buffer;
  crc: number;
  /** The whole chunk, length to CRC. */
  bytes: Buffer;
}

/** Splits a PNG into chunks with Node's own tools, independent of the module under test. */
function splitPng(png: Uint8Array): RawChunk[] {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const out: RawChunk[] = [];
  for (let at = 8; at < buf.length; ) {
    const length = buf.readUInt32BE(at);
    out.push({
      type: buf.toString('latin1', at + 4, at + 8),
      data: buf.subarray(at + 8, at + 8 + length),
      crc: buf.readUInt32BE(at + 8 + length),
      bytes: buf.subarray(at, at + 12 + length),
    });
    at += 12 + length;
  }
  return out;
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/** A small PNG with extra chunks spliced in after IHDR (or before IDAT: the same place here). */
function pngWith(...extra: Buffer[]): Buffer {
  const chunks = splitPng(encodePng(4, 3, testPicture(4, 3)));
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunks[0]!.bytes,
    ...extra,
    ...chunks.slice(1).map((c) => c.bytes),
  ]);
}

const z = Buffer.from([0]);
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const utf8 = (s: string) => Buffer.from(s, 'utf8');

// As A1111 v1.10 writes it (hires fix, LoRA, textual inversion, quoted hash lists).
const A1111_SAMPLE = `masterpiece, best quality, 1girl, solo, long hair, looking at viewer, smile, cherry blossoms, <lora:add_detail:0.5>
(detailed background:1.2), soft lighting
Negative prompt: (worst quality, low quality:1.4), EasyNegative, bad-hands-5
watermark, text
Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3456789012, Size: 512x768, Model hash: 7f96a1a9ca, Model: anything-v5-PrtRE, Denoising strength: 0.45, Clip skip: 2, Hires upscale: 2, Hires steps: 15, Hires upscaler: R-ESRGAN 4x+ Anime6B, Lora hashes: "add_detail: 7c6bad76eb54", TI hashes: "EasyNegative: c74b4e810b03, bad-hands-5: aa7651be154c", Version: v1.10.1`;

describe('A1111 parameters text', () => {
  it('parses a verbatim A1111 infotext', () => {
    expect(parseParameters(A1111_SAMPLE)).toEqual({
      prompt:
        'masterpiece, best quality, 1girl, solo, long hair, looking at viewer, smile, cherry blossoms, <lora:add_detail:0.5>\n(detailed background:1.2), soft lighting',
      negativePrompt: '(worst quality, low quality:1.4), EasyNegative, bad-hands-5\nwatermark, text',
      steps: 28,
      sampler: 'DPM++ 2M',
      cfgScale: 6.5,
      seed: 3456789012,
      width: 512,
      height: 768,
      modelHash: '7f96a1a9ca',
      model: 'anything-v5-PrtRE',
      extra: {
        'Schedule type': 'Karras',
        'Denoising strength': '0.45',
        'Clip skip': '2',
        'Hires upscale': '2',
        'Hires steps': '15',
        'Hires upscaler': 'R-ESRGAN 4x+ Anime6B',
        'Lora hashes': 'add_detail: 7c6bad76eb54',
        'TI hashes': 'EasyNegative: c74b4e810b03, bad-hands-5: aa7651be154c',
        Version: 'v1.10.1',
      },
    });
  });

  it('writes the A1111 layout', () => {
    const text = formatParameters({
      prompt: 'a cat',
      negativePrompt: 'blurry',
      steps: 20,
      sampler: 'DPM++ 2M Karras',
      cfgScale: 7,
      seed: 1234,
      width: 512,
      height: 768,
      modelHash: 'abc123',
      model: 'v1-5-pruned',
    });
    expect(text).toBe(
      'a cat\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model hash: abc123, Model: v1-5-pruned',
    );
  });

  it('round-trips UTF-8, multi-line prompts and quoted values', () => {
    const p: GenerationParameters = {
      prompt: '桜の木の下の猫, オイル画\nrainy street, neon — 🌧️',
      negativePrompt: 'blurry, lowres\nжёлтый текст',
      steps: 4,
      sampler: 'Euler a',
      cfgScale: 0,
      seed: 42,
      width: 512,
      height: 512,
      model: 'stabilityai/sd-turbo',
      extra: {
        'Lora hashes': 'a: 1, b: 2',
        'Comment "x"': 'ignored?',
        Note: 'line one\nline "two", with comma',
        Version: 'diffusion-studio 0.1',
      },
    };
    const key = 'Comment "x"';
    expect(() => formatParameters(p)).toThrow(RangeError); // a key A1111 could not read back
    delete p.extra![key];
    const text = formatParameters(p);
    expect(text.split('\n')).toHaveLength(5); // two prompt lines, two negative lines, one parameters line
    expect(text).toContain('Lora hashes: "a: 1, b: 2"');
    expect(parseParameters(text)).toEqual(p);
  });

  it('round-trips a prompt with only a few parameters, and a bare prompt', () => {
    const few = { prompt: 'a lighthouse at dusk', steps: 1, seed: 7 };
    expect(parseParameters(formatParameters(few))).toEqual(few);
    expect(parseParameters(formatParameters({ prompt: 'just words' }))).toEqual({ prompt: 'just words' });
  });

  it('keeps a prompt whose last line merely has colons, as A1111 does', () => {
    expect(parseParameters('a portrait\nstyle: oil, mood: calm')).toEqual({ prompt: 'a portrait\nstyle: oil, mood: calm' });
  });

  it('keeps unparsable numbers and sizes in extra', () => {
    const p = parseParameters('x\nSteps: many, Seed: -1, Size: big, CFG scale: 7');
    expect(p).toEqual({ prompt: 'x', seed: -1, cfgScale: 7, extra: { Steps: 'many', Size: 'big' } });
  });
});

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

    expect(await readTextChunks(out)).toEqual({ parameters: params, Software: 'diffusion-studio', Comment: 'café' });
    expect(await readTextChunks(png)).toEqual({});
  });

  it('replaces an existing chunk with the same keyword instead of duplicating it', async () => {
    const png = pngWith(chunk('tEXt', Buffer.concat([latin1('parameters'), z, latin1('old')])));
    const out = addTextChunks(png, { parameters: 'new' });
    expect(splitPng(out).map((c) => c.type)).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect(await readTextChunks(out)).toEqual({ parameters: 'new' });
  });

  it('reads a PNG as A1111 (PIL) writes it', async () => {
    const png = pngWith(chunk('tEXt', Buffer.concat([latin1('parameters'), z, latin1(A1111_SAMPLE)])));
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
    expect(await readTextChunks(png)).toEqual({ Description: 'zipped ÿ text', prompt, workflow: '{"nodes":[]}' });
  });

  it('skips damaged text chunks and rejects what is not a PNG', async () => {
    const bad = chunk('tEXt', Buffer.concat([latin1('broken'), z, latin1('x')]));
    bad[bad.length - 1] ^= 0xff;
    const corrupt = chunk('zTXt', Buffer.concat([latin1('corrupt'), z, z, Buffer.from('not zlib')]));
    const png = pngWith(bad, corrupt, chunk('tEXt', Buffer.concat([latin1('ok'), z, latin1('yes')])));
    expect(await readTextChunks(png)).toEqual({ ok: 'yes' });

    await expect(readTextChunks(new Uint8Array([1, 2, 3]))).rejects.toThrow(/PNG/);
    expect(() => addTextChunks(Buffer.from('GIF89a....'), { a: 'b' })).toThrow(/PNG/);
    await expect(readTextChunks(pngWith().subarray(0, 40))).rejects.toThrow(/Truncated/);
  });

  it('refuses invalid keywords', () => {
    const png = encodePng(1, 1, new Uint8Array(4));
    for (const keyword of ['', ' lead', 'two  spaces', 'k'.repeat(80), '猫']) {
      expect(() => addTextChunks(png, { [keyword]: 'v' })).toThrow(RangeError);
    }
  });
});
