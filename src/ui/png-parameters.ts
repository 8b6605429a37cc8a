/**
 * PNG text chunks and the AUTOMATIC1111 `parameters` infotext, so a saved picture carries the
 * settings that made it (and A1111, ComfyUI, Civitai… can read them back).
 *
 * Dependency-free; runs in browsers and in Node ≥ 18 (compressed chunks are read with
 * `DecompressionStream`).
 */

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const TEXT_TYPES = new Set(['tEXt', 'zTXt', 'iTXt']);

// ---------------------------------------------------------------------------------------------
// PNG chunks

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
  crcOk: boolean;
}

/** Every chunk of a PNG, in order; throws on a bad signature or a truncated file. */
function chunks(png: Uint8Array): Chunk[] {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error('Not a PNG file (bad signature)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const list: Chunk[] = [];
  let at = 8;
  while (at < png.length) {
    if (at + 12 > png.length) throw new Error('Truncated PNG chunk');
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (end > png.length) throw new Error('Truncated PNG chunk');
    const type = latin1(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    const crcOk = crc32(png.subarray(at + 4, at + 8 + length)) === view.getUint32(at + 8 + length);
    list.push({ type, start: at, end, data, crcOk });
    at = end;
    if (type === 'IEND') break;
  }
  if (list[0]?.type !== 'IHDR') throw new Error('PNG does not start with IHDR');
  return list;
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

/**
 * Returns a copy of `png` with one text chunk per entry, placed right after IHDR.
 *
 * A value is written as `tEXt` when it is Latin-1, otherwise as an uncompressed `iTXt` chunk
 * holding UTF-8 (as PIL does). Existing text chunks with the same keywords are dropped, so the
 * new values are the only ones; every other chunk is copied byte for byte.
 *
 * @param png - a complete PNG file.
 * @param entries - keyword → text; keywords must be 1–79 Latin-1 characters.
 * @throws Error when `png` is not a PNG; RangeError on an invalid keyword.
 */
export function addTextChunks(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  const list = chunks(png);
  const added = Object.entries(entries).map(([k, v]) => textChunk(k, v));
  const keys = new Set(Object.keys(entries));
  const kept = list.slice(1).filter((c) => !(TEXT_TYPES.has(c.type) && keys.has(keywordOf(c.data))));
  const tail = list.at(-1)!.end; // anything after IEND is kept as it was
  return concat([
    png.subarray(0, list[0]!.end),
    ...added,
    ...kept.map((c) => png.subarray(c.start, c.end)),
    png.subarray(tail),
  ]);
}

function keywordOf(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return latin1(data.subarray(0, nul < 0 ? data.length : nul));
}

/** zlib-inflates `data` with the platform's DecompressionStream. */
async function inflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  writer.write(data as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

/** Keyword and text of one tEXt, zTXt or iTXt chunk. */
async function decodeText(type: string, data: Uint8Array): Promise<[string, string]> {
  const nul = data.indexOf(0);
  if (nul < 1) throw new Error('text chunk without keyword');
  const keyword = latin1(data.subarray(0, nul));
  const rest = data.subarray(nul + 1);
  if (type === 'tEXt') return [keyword, latin1(rest)];
  if (type === 'zTXt') {
    if (rest[0] !== 0) throw new Error('unknown compression method');
    return [keyword, latin1(await inflate(rest.subarray(1)))];
  }
  // iTXt: compression flag, method, language tag \0, translated keyword \0, text.
  const [flag, method] = [rest[0], rest[1]];
  const langEnd = rest.indexOf(0, 2);
  const transEnd = langEnd < 0 ? -1 : rest.indexOf(0, langEnd + 1);
  if (transEnd < 0) throw new Error('malformed iTXt chunk');
  let text = rest.subarray(transEnd + 1);
  if (flag === 1) {
    if (method !== 0) throw new Error('unknown compression method');
    text = await inflate(text);
  }
  return [keyword, new TextDecoder('utf-8', { fatal: true }).decode(text)];
}

/**
 * Reads every text chunk (`tEXt`, `zTXt`, `iTXt`, compressed or not) of a PNG.
 *
 * When a keyword occurs more than once the last chunk wins (as in PIL). Chunks that cannot be
 * read — bad CRC, unknown compression, corrupt data — are skipped, as decoders do with
 * damaged ancillary chunks.
 *
 * @param png - a complete PNG file.
 * @returns keyword → text.
 * @throws Error when `png` is not a PNG or is truncated.
 */
export async function readTextChunks(png: Uint8Array): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of chunks(png)) {
    if (!TEXT_TYPES.has(c.type) || !c.crcOk) continue;
    try {
      const [keyword, text] = await decodeText(c.type, c.data);
      out[keyword] = text;
    } catch {
      // a damaged ancillary chunk: ignore it
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A1111 infotext

/** The settings of one generation, as carried by the A1111 `parameters` text. */
export interface GenerationParameters {
  prompt: string;
  negativePrompt?: string;
  steps?: number;
  /** A1111 sampler name, e.g. `DPM++ 2M Karras`, `Euler a`. */
  sampler?: string;
  cfgScale?: number;
  seed?: number;
  width?: number;
  height?: number;
  /** Model (checkpoint) name; for us the Hub repo id. */
  model?: string;
  modelHash?: string;
  /** Every other `Key: value` pair, in order (`Clip skip`, `Version`, `Hires upscale`, …). */
  extra?: Record<string, string>;
}

/** A1111's pair grammar: a key (word character, then words, spaces, `-`, `/`), `:`, a value that is JSON-quoted or runs to the next comma. */
const PAIR = /\s*([\p{L}\p{M}\p{N}_][\p{L}\p{M}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu;
const KEY = /^[\p{L}\p{M}\p{N}_][\p{L}\p{M}\p{N}_ \-/]+$/u;
const SIZE = /^(\d+)x(\d+)$/;
/** Keys this module writes itself; a last line made of pairs with one of them is a parameters line even with fewer than three pairs. */
const KNOWN = new Set(['Steps', 'Sampler', 'CFG scale', 'Seed', 'Size', 'Model hash', 'Model']);

/** A1111's quoting: values with a comma, newline or colon become a JSON string. */
function quote(value: string): string {
  return /[,\n:]/.test(value) ? JSON.stringify(value) : value;
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}

/**
 * Writes the A1111 infotext: the prompt, `Negative prompt: …` when there is one, then one line
 * of `Key: value` pairs (`Steps`, `Sampler`, `CFG scale`, `Seed`, `Size`, `Model hash`,
 * `Model`, then `extra` in order), values with `,`, `:` or a newline JSON-quoted as A1111 does.
 *
 * A1111 reads a last line as parameters only if it holds at least three pairs; {@link parseParameters}
 * also accepts fewer when one of the keys above is present. Prompt lines lose their leading and
 * trailing spaces on the way back (A1111 strips them).
 *
 * @throws RangeError when an `extra` key is not a valid A1111 key (letters, digits, `_`, space, `-`, `/`; two characters or more).
 */
export function formatParameters(p: GenerationParameters): string {
  const pairs: [string, string | number | undefined][] = [
    ['Steps', p.steps],
    ['Sampler', p.sampler],
    ['CFG scale', p.cfgScale],
    ['Seed', p.seed],
    ['Size', p.width !== undefined && p.height !== undefined ? `${p.width}x${p.height}` : undefined],
    ['Model hash', p.modelHash],
    ['Model', p.model],
    ...Object.entries(p.extra ?? {}),
  ];
  const line = pairs
    .filter((pair): pair is [string, string | number] => pair[1] !== undefined)
    .map(([key, value]) => {
      if (!KEY.test(key)) throw new RangeError(`Invalid parameter key: ${JSON.stringify(key)}`);
      return `${key}: ${quote(String(value))}`;
    })
    .join(', ');
  const negative = p.negativePrompt ? `\nNegative prompt: ${p.negativePrompt}` : '';
  return `${p.prompt}${negative}\n${line}`.trim();
}

/** The `Key: value` pairs of a line, and whether they make up the whole line. */
function pairsOf(line: string): { pairs: [string, string][]; whole: boolean } {
  const pairs: [string, string][] = [];
  let covered = 0;
  for (const m of line.matchAll(PAIR)) {
    if (m[0] === '') break; // the empty match at the very end
    if (m.index !== covered) covered = -Infinity;
    covered += m[0].length;
    pairs.push([m[1]!, unquote(m[2]!.trim())]);
  }
  return { pairs, whole: covered === line.length };
}

function toNumber(value: string): number | undefined {
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

/**
 * Reads an A1111 infotext (the PNG `parameters` text) as A1111's `parse_generation_parameters`
 * does: prompt lines up to a line starting `Negative prompt:`, negative prompt lines after it,
 * and the last line as `Key: value` pairs when it holds at least three of them (or, as an
 * extension, is made only of pairs including a key such as `Steps` or `Seed`). Quoted values
 * are unquoted; `Size: WxH` gives width and height; numeric fields that are not numbers, and
 * all other keys, go to `extra` verbatim.
 */
export function parseParameters(text: string): GenerationParameters {
  const lines = text.trim().split('\n');
  let params: [string, string][] = [];
  const last = pairsOf(lines.at(-1)!);
  if (last.pairs.length >= 3 || (last.whole && last.pairs.some(([k]) => KNOWN.has(k)))) {
    params = last.pairs;
    lines.pop();
  }

  const prompt: string[] = [];
  let negative: string[] | undefined;
  for (let line of lines) {
    line = line.trim();
    if (line.startsWith('Negative prompt:')) {
      negative ??= [];
      line = line.slice('Negative prompt:'.length).trim();
    }
    (negative ?? prompt).push(line);
  }

  const result: GenerationParameters = { prompt: prompt.join('\n') };
  if (negative) result.negativePrompt = negative.join('\n');
  const extra: Record<string, string> = {};
  const numeric = { Steps: 'steps', 'CFG scale': 'cfgScale', Seed: 'seed' } as const;
  for (const [key, value] of params) {
    const size = key === 'Size' ? SIZE.exec(value) : null;
    const field = numeric[key as keyof typeof numeric];
    const n = field ? toNumber(value) : undefined;
    if (size) [result.width, result.height] = [Number(size[1]), Number(size[2])];
    else if (field && n !== undefined) result[field] = n;
    else if (key === 'Sampler') result.sampler = value;
    else if (key === 'Model') result.model = value;
    else if (key === 'Model hash') result.modelHash = value;
    else extra[key] = value;
  }
  if (Object.keys(extra).length > 0) result.extra = extra;
  return result;
}
