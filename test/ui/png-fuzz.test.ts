// Property tests of the PNG text-chunk reader and writer: thousands of mutations and truncations
// of real PNGs carrying settings (tEXt, zTXt, iTXt), each ending in a result or a typed error
// (PngFormatError, PngTextTooLargeError, RangeError for a bad keyword), in bounded time and memory.
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { addTextChunks, PNG_TEXT_LIMIT, PngFormatError, PngTextTooLargeError, readTextChunks } from '../../src/ui/png-text-chunks.ts';
import { below, CASE_TIME_CAP_MS, MEMORY_CAP, mutateBytes, prng, watch } from '../support/fuzz.ts';
import { A1111_SAMPLE, encodePng, pngChunk, pngWith, splitPng, tEXt, testPicture, zTXt } from '../support/png.ts';

const z = Buffer.from([0]);
const SEEDS = [
  addTextChunks(encodePng(8, 8, testPicture(8, 8)), { parameters: A1111_SAMPLE, Software: 'diffusion-studio' }),
  addTextChunks(encodePng(4, 3, testPicture(4, 3)), { parameters: 'a cat ☕ 猫\nSteps: 1, Seed: 2' }), // an iTXt
  pngWith(zTXt('parameters', deflateSync(Buffer.from(A1111_SAMPLE, 'latin1'))), tEXt('Comment', 'x')),
  pngWith(pngChunk('iTXt', Buffer.concat([Buffer.from('prompt'), z, Buffer.from([1, 0]), Buffer.from('en'), z, z, deflateSync(Buffer.from('{"3":{"inputs":{}}}'))]))),
];
const KEYWORDS = ['parameters', 'prompt', 'Comment', 'Software'];
/** Recomputes every chunk's CRC where the chunk framing still holds, so mutated data gets past the CRC check to the decoders. */
function repairCrcs(png: Uint8Array): Uint8Array {
  const out = Buffer.from(png);
  for (let at = 8; at + 12 <= out.length; ) {
    const end = at + 12 + out.readUInt32BE(at);
    if (end > out.length) break;
    out.writeUInt32BE(crc32(out.subarray(at + 4, end - 4)), end - 4);
    at = end;
  }
  return out;
}

/** The PNG with one chunk's data mutated and the chunk rebuilt around it (length and CRC right): what reaches the text decoders. */
function mutateOneChunk(png: Uint8Array, rand: () => number): Uint8Array {
  const chunks = splitPng(png);
  const i = 1 + below(rand, chunks.length - 2); // neither IHDR nor IEND
  const c = chunks[i]!;
  chunks[i] = { ...c, bytes: pngChunk(c.type, Buffer.from(mutateBytes(c.data, rand))) };
  return Buffer.concat([png.subarray(0, 8), ...chunks.map((x) => x.bytes)]);
}

const typed = (e: unknown) => e instanceof PngFormatError || e instanceof PngTextTooLargeError;

describe('PNG text chunks on thousands of mutated and truncated PNGs', () => {
  it('end in texts within the limit or a typed error, in bounded time and memory', async () => {
    const w = watch();
    const failures: string[] = [];
    let read = 0;
    for (let seed = 1; seed <= 2500; seed++) {
      const rand = prng(seed);
      const valid = SEEDS[seed % SEEDS.length]!;
      const png = seed % 2 ? mutateOneChunk(valid, rand) : seed % 4 ? repairCrcs(mutateBytes(valid, rand)) : mutateBytes(valid, rand);
      await w.case_(seed, async () => {
        try {
          const texts = await readTextChunks(png, seed % 3 ? KEYWORDS : undefined);
          if (Object.keys(texts).length) read++;
          for (const [k, v] of Object.entries(texts)) {
            if (!KEYWORDS.includes(k) || (seed % 3 === 0 && k !== 'parameters' && k !== 'prompt')) failures.push(`seed ${seed}: read ${k}, which was not asked for`);
            if (v.length > PNG_TEXT_LIMIT) failures.push(`seed ${seed}: ${k} is ${v.length} characters`);
          }
        } catch (e) {
          if (!typed(e)) failures.push(`seed ${seed}: readTextChunks threw ${String(e)}`);
        }
        try {
          addTextChunks(png, { parameters: 'x' });
        } catch (e) {
          if (!(e instanceof PngFormatError)) failures.push(`seed ${seed}: addTextChunks threw ${String(e)}`);
        }
      });
    }
    const { slowest, peakBytes } = w.report();
    expect(failures).toEqual([]);
    expect(read).toBeGreaterThan(500); // many mutated PNGs still give texts: the fuzz reaches the decoders
    expect(slowest.ms).toBeLessThan(CASE_TIME_CAP_MS);
    expect(peakBytes).toBeLessThan(MEMORY_CAP);
  });
});
