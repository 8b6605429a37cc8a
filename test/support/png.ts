import { constants, crc32, createDeflate, deflateSync } from 'node:zlib';

/** RGBA pixels → PNG bytes (8-bit RGBA, no filter), for feeding the app a picture in tests. */
export function encodePng(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): Buffer {
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    rows[y * (width * 4 + 1)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(rows, y * (width * 4 + 1) + 1);
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** A smooth, colourful test picture (no randomness), opaque. */
export function testPicture(width: number, height: number): Uint8ClampedArray {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const i = (y * width + x) * 4;
    data[i] = (x * 255) / (width - 1);
    data[i + 1] = (y * 255) / (height - 1);
    data[i + 2] = 128 + 100 * Math.sin((x + y) / 9);
    data[i + 3] = 255;
  }
  return data;
}

/** One PNG chunk (length, type, data, CRC), built with Node's own zlib CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/** A PNG chunk as split by {@link splitPng}. */
export interface RawChunk {
  type: string;
  data: Buffer;
  crc: number;
  /** The whole chunk, length to CRC. */
  bytes: Buffer;
}

/** Splits a PNG into chunks with Node's own tools, independent of the code under test. */
export function splitPng(png: Uint8Array): RawChunk[] {
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

/** A small 4×3 PNG with extra chunks spliced in right after IHDR. */
export function pngWith(...extra: Buffer[]): Buffer {
  const chunks = splitPng(encodePng(4, 3, testPicture(4, 3)));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunks[0]!.bytes, ...extra, ...chunks.slice(1).map((c) => c.bytes)]);
}

/** A tEXt chunk: keyword, NUL, Latin-1 text. */
export const tEXt = (keyword: string, text: string): Buffer => pngChunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]));

/** A zTXt chunk whose zlib data is `compressed` (already deflated). */
export const zTXt = (keyword: string, compressed: Buffer): Buffer => pngChunk('zTXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0]), compressed]));

/**
 * zlib data that inflates to `bytes` zero bytes, made as a stream (a 1 GiB bomb costs about
 * 1 MiB and half a second, never 1 GiB of memory).
 */
export async function zlibBomb(bytes: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9, memLevel: 9, strategy: constants.Z_RLE });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const ended = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const zeros = Buffer.alloc(1 << 20);
  for (let left = bytes; left > 0; left -= zeros.length) {
    if (!deflate.write(zeros.subarray(0, Math.min(left, zeros.length)))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await ended;
  return Buffer.concat(parts);
}

// As A1111 v1.10 writes it (hires fix, LoRA, textual inversion, quoted hash lists).
export const A1111_SAMPLE = `masterpiece, best quality, 1girl, solo, long hair, looking at viewer, smile, cherry blossoms, <lora:add_detail:0.5>
(detailed background:1.2), soft lighting
Negative prompt: (worst quality, low quality:1.4), EasyNegative, bad-hands-5
watermark, text
Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 3456789012, Size: 512x768, Model hash: 7f96a1a9ca, Model: anything-v5-PrtRE, Denoising strength: 0.45, Clip skip: 2, Hires upscale: 2, Hires steps: 15, Hires upscaler: R-ESRGAN 4x+ Anime6B, Lora hashes: "add_detail: 7c6bad76eb54", TI hashes: "EasyNegative: c74b4e810b03, bad-hands-5: aa7651be154c", Version: v1.10.1`;
