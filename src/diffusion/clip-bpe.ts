// OpenAI CLIP's BPE vocabulary (assets/bpe_simple_vocab_16e6.txt.gz, MIT, see assets/LICENSE-CLIP),
// shipped with the app for repos that carry no tokenizer: every Stable Diffusion text encoder
// (SD 1.x, SD 2.x, both SDXL encoders) uses this vocabulary, only the pad token differs.

/** The number of merges CLIP uses: lines [1, 49152-256-2+1) of the BPE file. */
export const CLIP_MERGES = 49152 - 256 - 2;

/** GPT-2's byte → printable character table (bytes_to_unicode), in its insertion order. */
export function bytesToUnicode(): Map<number, string> {
  const printable: number[] = [];
  for (const [lo, hi] of [[33, 126], [161, 172], [174, 255]]) for (let b = lo!; b <= hi!; b++) printable.push(b);
  const table = new Map<number, string>(printable.map((b) => [b, String.fromCharCode(b)]));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!table.has(b)) table.set(b, String.fromCharCode(256 + n++));
  return table;
}

/**
 * CLIP's vocabulary and merges from the BPE text, as CLIP's simple_tokenizer.py builds them.
 * With fewer merges the construction is the same, so ids below 512 + numMerges equal CLIP's and
 * the two special tokens take the last two ids.
 */
export function clipVocab(bpeText: string, numMerges: number = CLIP_MERGES): { vocab: Record<string, number>; merges: string[] } {
  const lines = bpeText.split('\n');
  const merges = lines.slice(1, 1 + Math.min(numMerges, CLIP_MERGES));
  const bytes = [...bytesToUnicode().values()];
  const tokens = [...bytes, ...bytes.map((b) => b + '</w>'), ...merges.map((m) => m.split(/\s+/).join('')), '<|startoftext|>', '<|endoftext|>'];
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => (vocab[token] = id));
  return { vocab, merges };
}

/** Where the shipped BPE file is: an asset of the built app, or a file beside this module in Node. */
const BUNDLED_BPE = new URL('./assets/bpe_simple_vocab_16e6.txt.gz', import.meta.url);

/** The name the page shows for the shipped tokenizer. */
export const BUNDLED_TOKENIZER = 'the standard CLIP tokenizer shipped with the app (OpenAI’s bpe_simple_vocab_16e6, MIT)';

let bundled: Promise<{ vocab: Record<string, number>; merges: string[] }> | undefined;

/** The full CLIP vocabulary and merges from the shipped BPE file (read once, then kept). */
export function bundledClipVocab(): Promise<{ vocab: Record<string, number>; merges: string[] }> {
  bundled ??= readGzipText(BUNDLED_BPE).then((text) => clipVocab(text));
  bundled.catch(() => (bundled = undefined)); // a failed read is retried next time
  return bundled;
}

async function readGzipText(url: URL): Promise<string> {
  let bytes: Uint8Array;
  if (url.protocol === 'file:') {
    // Node (tests, tools): fetch() does not read files. Kept out of the browser bundle.
    const module = 'node:fs/promises';
    const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ module);
    bytes = new Uint8Array(await fs.readFile(url));
  } else {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`The app's CLIP vocabulary (${url.pathname}) could not be loaded: HTTP ${response.status}.`);
    bytes = new Uint8Array(await response.arrayBuffer());
  }
  // A server that labels .gz files `Content-Encoding: gzip` has the browser unpack it already.
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).text();
}
