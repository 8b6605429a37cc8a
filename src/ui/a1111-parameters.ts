/**
 * The AUTOMATIC1111 `parameters` infotext: written into our PNGs so a saved picture carries the
 * settings that made it (A1111, ComfyUI, Civitai… read it), and read back from dropped PNGs.
 *
 * The reader runs in time linear in the text: A1111's pair grammar is a regex (see {@link PAIR}'s
 * comment) whose direct use is quadratic on a long line without `:`, so pairs are found by a
 * hand-written scanner that gives the regex's matches.
 */

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

// A1111's pair grammar (modules/infotext_utils.py, re_param_code), for reference:
//   /\s*([\p{L}\p{M}\p{N}_][\p{L}\p{M}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu
// a key (a word character, then words, spaces, `-`, `/`), `:`, a value that is JSON-quoted or
// runs to the next comma. `nextPair` finds the same matches without the regex's backtracking.
const KEY = /^[\p{L}\p{M}\p{N}_][\p{L}\p{M}\p{N}_ \-/]+$/u;
const WORD = /^[\p{L}\p{M}\p{N}_]$/u;
const SPACE = /^\s$/u;
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

// Character classes by code point: ASCII by hand, the rest through the regexes once each.
const WORD_CLASS = new Uint8Array(0x110000); // 0 not looked at yet, 1 a word character, 2 not
const SPACE_CLASS = new Uint8Array(0x10000); // \s is all in the BMP

function isWord(cp: number): boolean {
  if (cp < 128) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95;
  if (WORD_CLASS[cp] === 0) WORD_CLASS[cp] = WORD.test(String.fromCodePoint(cp)) ? 1 : 2;
  return WORD_CLASS[cp] === 1;
}

const isKeyChar = (cp: number) => cp === 32 || cp === 45 || cp === 47 || isWord(cp); // space, -, /

function isSpace(unit: number): boolean {
  if (unit < 128) return unit === 32 || (unit >= 9 && unit <= 13);
  if (SPACE_CLASS[unit] === 0) SPACE_CLASS[unit] = SPACE.test(String.fromCharCode(unit)) ? 1 : 2;
  return SPACE_CLASS[unit] === 1;
}

/** What the regex's `.` does not match (the line has no `\n`: lines are split on it). */
const isLineTerminator = (unit: number) => unit === 10 || unit === 13 || unit === 0x2028 || unit === 0x2029;

const width = (cp: number) => (cp > 0xffff ? 2 : 1);

function skipSpaces(line: string, i: number): number {
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  return i;
}

/** The end of a JSON-quoted value starting at `v` (just past its closing quote), or -1 when there is none. */
function quotedEnd(line: string, v: number): number {
  for (let j = v + 1; j < line.length; ) {
    const c = line.charCodeAt(j);
    if (c === 34) return j > v + 1 ? j + 1 : -1; // `""` is no quoted value: the grammar wants one character or more
    if (c === 92) {
      if (j + 1 >= line.length || isLineTerminator(line.charCodeAt(j + 1))) return -1;
      j += 2;
    } else j++;
  }
  return -1;
}

interface PairMatch {
  /** Where the match starts (its leading spaces included) and ends (past its comma). */
  index: number;
  end: number;
  key: string;
  value: string;
}

/**
 * The first match of A1111's pair grammar at or after `from`, in one pass: every position that
 * cannot start a key is passed once, as is every run of key characters that is not followed by
 * `:` (no start inside that run can do better: they all end where it ends).
 */
function nextPair(line: string, from: number): PairMatch | undefined {
  const n = line.length;
  for (let p = from; p < n; ) {
    const q = skipSpaces(line, p);
    if (q >= n) return undefined;
    const first = line.codePointAt(q)!;
    if (!isWord(first)) {
      p = q + width(first);
      continue;
    }
    let e = q + width(first);
    let chars = 1;
    for (let c: number; e < n && isKeyChar((c = line.codePointAt(e)!)); chars++) e += width(c);
    if (chars < 2 || line.charCodeAt(e) !== 58) {
      p = e; // not followed by `:`
      continue;
    }
    const v = skipSpaces(line, e + 1);
    const close = line.charCodeAt(v) === 34 ? quotedEnd(line, v) : -1;
    if (close >= 0 && (close === n || line.charCodeAt(close) === 44)) {
      return { index: p, end: Math.min(close + 1, n), key: line.slice(q, e), value: line.slice(v, close) };
    }
    const comma = line.indexOf(',', v);
    const stop = comma < 0 ? n : comma;
    return { index: p, end: comma < 0 ? n : comma + 1, key: line.slice(q, e), value: line.slice(v, stop) };
  }
  return undefined;
}

/** The `Key: value` pairs of a line, and whether they make up the whole line. */
function pairsOf(line: string): { pairs: [string, string][]; whole: boolean } {
  const pairs: [string, string][] = [];
  let covered = 0;
  for (let m = nextPair(line, 0); m; m = m.end < line.length ? nextPair(line, m.end) : undefined) {
    covered = m.index === covered ? m.end : -Infinity;
    pairs.push([m.key, unquote(m.value.trim())]);
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
 * all other keys, go to `extra` verbatim. Takes time linear in the text's length.
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
