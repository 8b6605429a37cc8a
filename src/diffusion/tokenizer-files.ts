// Which tokenizer a repo has: `vocab.json` + `merges.txt` (the slow tokenizer's files),
// `tokenizer.json` (a fast tokenizer's, e.g. Cyronius/sdxl-lightning-4step-onnx-web), or none
// (browser exports that take it from elsewhere, like every public loader of
// schmuell/sd-turbo-ort-web and microsoft/sd-turbo-webnn). With none, the CLIP tokenizer the app
// ships is used, with the family's pad token.
import { BUNDLED_TOKENIZER, bundledClipVocab } from './clip-bpe.ts';
import { ClipTokenizer } from './clip-tokenizer.ts';

/** What a tokenizer loader reads: the repo's file list and text. */
export interface TokenizerFiles {
  /** Paths of every file in the repo. */
  files: readonly string[];
  /** The file at `path` as text. */
  readText(path: string): Promise<string>;
}

/** A tokenizer and, in words, where it came from (for the page). */
export interface OpenedTokenizer {
  tokenizer: ClipTokenizer;
  source: string;
  /** Set when the repo had no tokenizer and the shipped one was used. */
  assumed?: string;
}

/**
 * The tokenizer in `dir` (`tokenizer` or `tokenizer_2`); for `tokenizer`, a `tokenizer.json` at the
 * repo's root (transformers.js style) also counts. `pad` is the family's pad token, used when the
 * repo's files do not name one.
 */
export async function openTokenizer(repo: TokenizerFiles, dir: 'tokenizer' | 'tokenizer_2', pad: string): Promise<OpenedTokenizer> {
  const has = (f: string) => repo.files.includes(f);
  const text = (f: string) => repo.readText(f);
  const config = async (d: string) => (has(`${d}tokenizer_config.json`) ? text(`${d}tokenizer_config.json`) : undefined);
  const where = (f: string, fn: () => Promise<ClipTokenizer>) =>
    fn().catch((err: Error) => {
      throw new Error(`${f}: ${err.message}`);
    });
  if (has(`${dir}/vocab.json`) && has(`${dir}/merges.txt`)) {
    const tokenizer = await where(`${dir}/vocab.json`, async () => ClipTokenizer.fromFiles(await text(`${dir}/vocab.json`), await text(`${dir}/merges.txt`), await config(`${dir}/`), pad));
    return { tokenizer, source: `${dir}/vocab.json + merges.txt` };
  }
  for (const d of dir === 'tokenizer' ? [`${dir}/`, ''] : [`${dir}/`]) {
    if (!has(`${d}tokenizer.json`)) continue;
    const tokenizer = await where(`${d}tokenizer.json`, async () => ClipTokenizer.fromTokenizerJson(await text(`${d}tokenizer.json`), await config(d), pad));
    return { tokenizer, source: `${d}tokenizer.json` };
  }
  const { vocab, merges } = await bundledClipVocab();
  return {
    tokenizer: new ClipTokenizer(vocab, merges, { padToken: pad }),
    source: BUNDLED_TOKENIZER,
    assumed: `The repo has no ${dir}/ (neither vocab.json + merges.txt nor tokenizer.json): using ${BUNDLED_TOKENIZER}, padded with “${pad}”.`,
  };
}
