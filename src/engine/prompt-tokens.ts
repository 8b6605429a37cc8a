// The token counter under the prompt box, worked out in the engine (the page loads no tokenizer):
// with the open model's tokenizer, else the cached repo's (its small tokenizer files, no session),
// else the CLIP tokenizer every Stable Diffusion model shares (only the pad token differs, which
// counting does not see).
import { BUNDLED_TOKENIZER, bundledClipVocab, ClipTokenizer, countTokens, MAX_PROMPT_CHUNKS, openTokenizer, type RepoReader } from '../diffusion/index.ts';
import type { PromptTokenCount } from './types.ts';

/** Where a model's tokenizer can be found: the open model's, or its cached files. */
export interface TokenizerSource {
  /** `repo@commit`, or undefined when the model is not cached. */
  key?: string;
  /** The open model's tokenizer and its UNet's fixed text length, when this is the open model. */
  open?: { tokenizer: ClipTokenizer; fixedTextLength?: number };
  /** The cached repo's files, for the tokenizer files alone. */
  reader?: RepoReader;
}

/** Counts tokens with the right tokenizer, keeping each tokenizer it read. */
export class PromptTokenCounter {
  private readonly tokenizers = new Map<string, Promise<ClipTokenizer>>();

  async count(source: TokenizerSource, prompt: string): Promise<PromptTokenCount> {
    const tokenizer = source.open?.tokenizer ?? (await this.tokenizer(source));
    const fixed = source.open?.fixedTextLength;
    const maxChunks = fixed ? 1 : MAX_PROMPT_CHUNKS;
    const length = tokenizer.maxLength - 2;
    return { ...countTokens(prompt, tokenizer, { chunkLength: length, maxChunks }), maxTokens: maxChunks * length };
  }

  private tokenizer({ key, reader }: TokenizerSource): Promise<ClipTokenizer> {
    if (!key || !reader) return this.kept(BUNDLED_TOKENIZER, () => bundledClipVocab().then(({ vocab, merges }) => new ClipTokenizer(vocab, merges)));
    // A repo whose tokenizer files are not all in the cache yet is counted with the shared one meanwhile.
    return this.kept(key, () => openTokenizer(reader, 'tokenizer', '!').then((t) => t.tokenizer)).catch(() => this.tokenizer({}));
  }

  private kept(id: string, open: () => Promise<ClipTokenizer>): Promise<ClipTokenizer> {
    let found = this.tokenizers.get(id);
    if (!found) {
      found = open();
      found.catch(() => this.tokenizers.delete(id)); // tried again next time
      this.tokenizers.set(id, found);
    }
    return found;
  }
}
