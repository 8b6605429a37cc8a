// CLIP's vocab.json and merges.txt, derived from OpenAI's bpe_simple_vocab_16e6.txt
// exactly as CLIP's simple_tokenizer.py builds them, so tokenizer tests can use the
// real vocabulary offline and the tiny model can ship a consistent small one.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The number of merges CLIP uses: lines [1, 49152-256-2+1) of the BPE file. */
export const CLIP_MERGES = 49152 - 256 - 2;

/** GPT-2's byte → printable character table (bytes_to_unicode), in its insertion order. */
export function bytesToUnicode(): Map<number, string> {
  const printable: number[] = [];
  const range = (a: string, b: string) => {
    for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) printable.push(c);
  };
  range('!', '~');
  range('¡', '¬');
  range('®', 'ÿ');
  const table = new Map<number, string>(printable.map((b) => [b, String.fromCharCode(b)]));
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!table.has(b)) table.set(b, String.fromCharCode(256 + n++));
  }
  return table;
}

/**
 * CLIP's vocabulary and merges from the BPE text. With fewer merges the construction
 * is the same, so ids below 512 + numMerges equal CLIP's and the two special tokens
 * take the last two ids.
 */
export function clipVocab(
  bpeText: string,
  numMerges: number = CLIP_MERGES,
): { vocab: Record<string, number>; merges: string[] } {
  const lines = bpeText.split('\n');
  const merges = lines.slice(1, 1 + Math.min(numMerges, CLIP_MERGES));
  const bytes = [...bytesToUnicode().values()];
  const tokens = [
    ...bytes,
    ...bytes.map((b) => b + '</w>'),
    ...merges.map((m) => m.split(/\s+/).join('')),
    '<|startoftext|>',
    '<|endoftext|>',
  ];
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => (vocab[token] = id));
  return { vocab, merges };
}

/**
 * vocab.json as transformers' CLIPTokenizer saves it (sorted keys, indent 2). Built by
 * hand because a JS object would list integer-like keys ("0"…"9") first.
 */
export function vocabJson(vocab: Record<string, number>): string {
  const keys = Object.keys(vocab).sort(); // UTF-16 order = Python's code point order for these BMP tokens
  return `{\n${keys.map((k) => `  ${JSON.stringify(k)}: ${vocab[k]}`).join(',\n')}\n}\n`;
}

/** merges.txt as Hugging Face writes it: a version header, then one merge per line. */
export function mergesTxt(merges: readonly string[]): string {
  return ['#version: 0.2', ...merges].join('\n') + '\n';
}

/** Where the BPE file lives: $CLIP_BPE, else ../shared/data/clip beside the project root. */
export function clipBpePath(): string {
  if (process.env.CLIP_BPE) return process.env.CLIP_BPE;
  const relative = '../shared/data/clip/bpe_simple_vocab_16e6.txt.gz';
  const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  // CI lays shared/ beside the clone; a clone elsewhere (e.g. /tmp) still finds the workplace's copy.
  const candidates = [resolve(projectRoot, relative), resolve(process.cwd(), relative), '/work/shared/data/clip/bpe_simple_vocab_16e6.txt.gz'];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/** The text of OpenAI's bpe_simple_vocab_16e6.txt (gunzipped). */
export function readClipBpe(path: string = clipBpePath()): string {
  if (!existsSync(path)) throw new Error(`OpenAI CLIP's BPE vocabulary is not at ${path}: set CLIP_BPE to bpe_simple_vocab_16e6.txt.gz.`);
  return gunzipSync(readFileSync(path)).toString('utf8');
}
