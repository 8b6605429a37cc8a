// CLIP's vocab.json and merges.txt, derived from OpenAI's bpe_simple_vocab_16e6.txt
// exactly as CLIP's simple_tokenizer.py builds them (the derivation lives in src/diffusion,
// which ships the same file), so tokenizer tests can use the real vocabulary offline and the
// tiny model can ship a consistent small one.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export { bytesToUnicode, CLIP_MERGES, clipVocab } from '../../src/diffusion/clip-bpe.ts';

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

/** Where the BPE file lives: $CLIP_BPE, else the copy the app ships (src/diffusion/assets), else ../shared/data/clip. */
export function clipBpePath(): string {
  if (process.env.CLIP_BPE) return process.env.CLIP_BPE;
  const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const relative = '../shared/data/clip/bpe_simple_vocab_16e6.txt.gz';
  const candidates = [resolve(projectRoot, 'src/diffusion/assets/bpe_simple_vocab_16e6.txt.gz'), resolve(projectRoot, relative), resolve(process.cwd(), relative)];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/** The text of OpenAI's bpe_simple_vocab_16e6.txt (gunzipped). */
export function readClipBpe(path: string = clipBpePath()): string {
  if (!existsSync(path)) throw new Error(`OpenAI CLIP's BPE vocabulary is not at ${path}: set CLIP_BPE to bpe_simple_vocab_16e6.txt.gz.`);
  return gunzipSync(readFileSync(path)).toString('utf8');
}
