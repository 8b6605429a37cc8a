/**
 * PNG text chunks (`tEXt`, `zTXt`, `iTXt`): written into our own PNGs, and read back from any PNG
 * a person drops on the page, which may be hostile. Reading is bounded: only the keywords asked
 * for are decoded (by default A1111's `parameters` and ComfyUI's `prompt`), each text is read up
 * to {@link PNG_TEXT_LIMIT} bytes compressed and inflated (inflating as a stream, stopped at the
 * limit), and the walk over the file is one pass over chunk headers. So the work on the main
 * thread is linear in the file and at most a few MiB of text, whatever the file holds.
 *
 * Dependency-free; runs in browsers and in Node ≥ 18 (compressed chunks are read with
 * `DecompressionStream`).
 */

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const TEXT_TYPES = new Set(['tEXt', 'zTXt', 'iTXt']);

/** The most bytes of one PNG text that are read, compressed or inflated: 1 MiB. */
export const PNG_TEXT_LIMIT = 1 << 20;

/** What {@link readTextChunks} reads unless told otherwise: A1111's `parameters` and ComfyUI's `prompt`. */
export const SETTINGS_KEYWORDS: readonly string[] = ['parameters', 'prompt'];

// A text chunk's data is its text plus a keyword (≤ 80 bytes) and, for iTXt, flags and tags;
// a chunk this much over the limit cannot hold a text within it, and is refused unread.
const HEADER_ROOM = 1024;
// One piece of compressed input inflates to at most ~1 MiB (deflate's ratio is at most 1032:1),
// so feeding 1 KiB at a time keeps what inflating allocates near the limit.
const INFLATE_PIECE = 1024;

const sizeText = (bytes: number) => (bytes % (1 << 20) === 0 ? `${bytes / (1 << 20)} MiB` : `${bytes} bytes`);

/** A file that is not a PNG, or is cut short. */
export class PngFormatError extends Error {
  override name = 'PngFormatError';
}

/** A PNG text that was not read because it is larger than {@link PNG_TEXT_LIMIT}. */
export class PngTextTooLargeError extends Error {
  override name = 'PngTextTooLargeError';
  constructor(
    /** The chunk's keyword (`parameters`, `prompt`). */
    readonly keyword: string,
    readonly limit: number = PNG_TEXT_LIMIT,
  ) {
    super(`The settings text in this PNG is larger than ${sizeText(limit)}, so it was not read.`);
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses it) of `bytes`. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  /** Offset of the chunk (its length field) in the file. */
  start: number;
  /** Offset just past its CRC. */
  end: number;
  data: Uint8Array;
}

/** The chunks of a PNG, in order, up to IEND; throws PngFormatError on a bad signature or a truncated file. */
function* chunks(png: Uint8Array): Generator<Chunk> {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new PngFormatError('Not a PNG file (bad signature)');
  if (png.length === 8) throw new PngFormatError('Truncated PNG: no chunk after the signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at < png.length; ) {
    if (at + 12 > png.length) throw new PngFormatError('Truncated PNG chunk');
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (end > png.length) throw new PngFormatError('Truncated PNG chunk');
    const type = latin1(png.subarray(at + 4, at + 8));
    if (at === 8 && type !== 'IHDR') throw new PngFormatError('PNG does not start with IHDR');
    yield { type, start: at, end, data: png.subarray(at + 8, at + 8 + length) };
    at = end;
    if (type === 'IEND') return;
  }
}

function crcOk(png: Uint8Array, c: Chunk): boolean {
  const stored = new DataView(png.buffer, png.byteOffset + c.end - 4, 4).getUint32(0);
  return crc32(png.subarray(c.start + 4, c.end - 4)) === stored;
}

/** One complete chunk: length, type, data, CRC over type and data. */
function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(encodeLatin1(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

function encodeLatin1(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

/** Whether `text` can be a tEXt value: Latin-1 only, no NUL. */
function fitsLatin1(text: string): boolean {
  return /^[\u0001-\u00ff]*$/.test(text);
}

/** PNG keyword rule: 1–79 printable Latin-1 characters, no leading, trailing or double spaces. */
function checkKeyword(keyword: string): void {
  const ok =
    keyword.length >= 1 &&
    keyword.length <= 79 &&
    /^[\u0020-\u007e\u00a1-\u00ff]+$/.test(keyword) &&
    !/^ | $| {2}/.test(keyword);
  if (!ok) throw new RangeError(`Invalid PNG text keyword: ${JSON.stringify(keyword)}`);
}

function textChunk(keyword: string, value: string): Uint8Array {
  checkKeyword(keyword);
  if (fitsLatin1(value)) return makeChunk('tEXt', concat([encodeLatin1(keyword), new Uint8Array([0]), encodeLatin1(value)]));
  // iTXt: keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, UTF-8 text.
  return makeChunk('iTXt', concat([encodeLatin1(keyword), new Uint8Array([0, 0, 0, 0, 0]), new TextEncoder().encode(value)]));
}

/** The keyword of a text chunk (it ends at the first NUL, within 80 bytes), or undefined when it has none. */
function keywordOf(data: Uint8Array): string | undefined {
  const nul = data.subarray(0, 80).indexOf(0);
  return nul < 1 ? undefined : latin1(data.subarray(0, nul));
}

/**
 * Returns a copy of `png` with one text chunk per entry, placed right after IHDR.
 *
 * A value is written as `tEXt` when it is Latin-1, otherwise as an uncompressed `iTXt` chunk
 * holding UTF-8 (as PIL does). Existing text chunks with the same keywords are dropped, so the
 * new values are the only ones; every other chunk is copied byte for byte.
 *
 * @param png - a complete PNG file.
 * @param entries - keyword → text; keywords must be 1–79 Latin-1 characters.
 * @throws PngFormatError when `png` is not a PNG; RangeError on an invalid keyword.
 */
export function addTextChunks(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  const list = [...chunks(png)];
  const added = Object.entries(entries).map(([k, v]) => textChunk(k, v));
  const keys = new Set(Object.keys(entries));
  const kept = list.slice(1).filter((c) => !(TEXT_TYPES.has(c.type) && keys.has(keywordOf(c.data) ?? '')));
  const tail = list.at(-1)!.end; // anything after IEND is kept as it was
  return concat([
    png.subarray(0, list[0]!.end),
    ...added,
    ...kept.map((c) => png.subarray(c.start, c.end)),
    png.subarray(tail),
  ]);
}

/**
 * zlib-inflates `data` with the platform's DecompressionStream, fed a piece at a time and read as
 * a stream, so it stops as soon as the output passes `limit`. Resolves undefined when it does;
 * rejects on corrupt data.
 */
export async function inflateAtMost(data: Uint8Array, limit: number): Promise<Uint8Array | undefined> {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const feeding = (async () => {
    for (let at = 0; at < data.length; at += INFLATE_PIECE) await writer.write(data.slice(at, at + INFLATE_PIECE));
    await writer.close();
  })();
  feeding.catch(() => {}); // a failure here surfaces in the reader too
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    parts.push(value);
  }
  await feeding;
  return concat(parts);
}

const tooLarge = Symbol('too large');

/** The text of one tEXt, zTXt or iTXt chunk, or `tooLarge`; throws on a damaged chunk. */
async function decodeText(type: string, data: Uint8Array, limit: number): Promise<string | typeof tooLarge> {
  const rest = data.subarray(data.indexOf(0) + 1);
  if (type === 'tEXt') return rest.length > limit ? tooLarge : latin1(rest);
  if (type === 'zTXt') {
    if (rest[0] !== 0) throw new Error('unknown compression method');
    if (rest.length - 1 > limit) return tooLarge;
    const text = await inflateAtMost(rest.subarray(1), limit);
    return text ? latin1(text) : tooLarge;
  }
  // iTXt: compression flag, method, language tag \0, translated keyword \0, text.
  const [flag, method] = [rest[0], rest[1]];
  const langEnd = rest.indexOf(0, 2);
  const transEnd = langEnd < 0 ? -1 : rest.indexOf(0, langEnd + 1);
  if (transEnd < 0) throw new Error('malformed iTXt chunk');
  let text: Uint8Array | undefined = rest.subarray(transEnd + 1);
  if (text.length > limit) return tooLarge;
  if (flag === 1) {
    if (method !== 0) throw new Error('unknown compression method');
    text = await inflateAtMost(text, limit);
    if (!text) return tooLarge;
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(text);
}

/**
 * Reads the text chunks (`tEXt`, `zTXt`, `iTXt`, compressed or not) with the given keywords;
 * the PNG's other chunks, and text chunks with other keywords, are never decoded.
 *
 * When a keyword occurs more than once the last chunk with a good CRC wins (as in PIL); that
 * chunk is the only one decoded, and when it cannot be read (unknown compression, corrupt data)
 * the keyword is left out, as decoders do with damaged ancillary chunks.
 *
 * @param png - a complete PNG file.
 * @param keywords - the keywords to read; default {@link SETTINGS_KEYWORDS}.
 * @param limit - the most bytes of one text, compressed or inflated; default {@link PNG_TEXT_LIMIT}.
 * @returns keyword → text, for the keywords found.
 * @throws PngFormatError when `png` is not a PNG or is truncated; PngTextTooLargeError when a
 *   text asked for is larger than `limit`.
 */
export async function readTextChunks(
  png: Uint8Array,
  keywords: readonly string[] = SETTINGS_KEYWORDS,
  limit = PNG_TEXT_LIMIT,
): Promise<Record<string, string>> {
  const wanted = new Set(keywords);
  const last = new Map<string, Chunk | typeof tooLarge>();
  for (const c of chunks(png)) {
    if (!TEXT_TYPES.has(c.type)) continue;
    const keyword = keywordOf(c.data);
    if (keyword === undefined || !wanted.has(keyword)) continue;
    // Too big to hold a text within the limit: no need to read it (not even its CRC).
    if (c.data.length > limit + HEADER_ROOM) last.set(keyword, tooLarge);
    else if (crcOk(png, c)) last.set(keyword, c);
  }
  const out: Record<string, string> = {};
  for (const [keyword, c] of last) {
    let text: string | typeof tooLarge;
    try {
      text = c === tooLarge ? tooLarge : await decodeText(c.type, c.data, limit);
    } catch {
      continue; // a damaged ancillary chunk: ignore it
    }
    if (text === tooLarge) throw new PngTextTooLargeError(keyword, limit);
    out[keyword] = text;
  }
  return out;
}
