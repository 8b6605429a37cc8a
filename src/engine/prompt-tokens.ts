// The token counter under the prompt box, worked out in the engine (the page loads no tokenizer):
// with the open model's tokenizer, else the cached repo's (its small tokenizer files, no session),
// else the CLIP tokenizer every Stable Diffusion model shares (only the pad token differs, which
// counting does not see). A flow-matching transformer's chat tokenizer counts the templated prompt
// against its one limit (Z-Image-Turbo: 512), with no chunks.
import {
  BUNDLED_TOKENIZER, bundledClipVocab, ChatTokenizer, ClipTokenizer, countTokens, MAX_PROMPT_CHUNKS, openTokenizer, pipelineKind, type RepoReader,
} from '../diffusion/index.ts';
import type { PromptTokenCount } from './types.ts';

/** The open model's tokenizer: CLIP's (with its UNet's fixed text length), or a chat tokenizer with its limit. */
export type OpenTokenizer = { tokenizer: ClipTokenizer; fixedTextLength?: number } | { tokenizer: ChatTokenizer; maxSequenceLength: number };

/** Where a model's tokenizer can be found: the open model's, or its cached files. */
export interface TokenizerSource {
  /** `repo@commit`, or undefined when the model is not cached. */
  key?: string;
  /** The open model's tokenizer, when this is the open model. */
  open?: OpenTokenizer;
  /** The cached repo's files, for the tokenizer files alone. */
  reader?: RepoReader;
}

/** The limit a chat tokenizer's prompt is cut to when the model does not say (Z-Image-Turbo's). */
const CHAT_MAX_LENGTH = 512;

/** Counts tokens with the right tokenizer, keeping each tokenizer it read. */
export class PromptTokenCounter {
  private readonly tokenizers = new Map<string, Promise<OpenTokenizer>>();

  async count(source: TokenizerSource, prompt: string): Promise<PromptTokenCount> {
    const open = source.open ?? (await this.tokenizer(source));
    if (open.tokenizer instanceof ChatTokenizer) {
      const max = 'maxSequenceLength' in open ? open.maxSequenceLength : CHAT_MAX_LENGTH;
      const e = open.tokenizer.encodePrompt(prompt, max);
      return { tokens: e.ids.length, limit: max, truncated: e.truncated, maxTokens: max };
    }
    const fixed = 'fixedTextLength' in open ? open.fixedTextLength : undefined;
    const maxChunks = fixed ? 1 : MAX_PROMPT_CHUNKS;
    const length = open.tokenizer.maxLength - 2;
    return { ...countTokens(prompt, open.tokenizer, { chunkLength: length, maxChunks }), maxTokens: maxChunks * length };
  }

  private tokenizer({ key, reader }: TokenizerSource): Promise<OpenTokenizer> {
    const shared = () => this.kept(BUNDLED_TOKENIZER, () => bundledClipVocab().then(({ vocab, merges }) => ({ tokenizer: new ClipTokenizer(vocab, merges) })));
    if (!key || !reader) return shared();
    // A repo whose tokenizer files are not all in the cache yet is counted with the shared one meanwhile.
    return this.kept(key, () => (pipelineKind(reader.files) === 'flow-match-transformer' ? chatTokenizer(reader) : openTokenizer(reader, 'tokenizer', '!'))).catch(shared);
  }

  private kept(id: string, open: () => Promise<{ tokenizer: ClipTokenizer | ChatTokenizer }>): Promise<OpenTokenizer> {
    let found = this.tokenizers.get(id);
    if (!found) {
      found = open().then((t) => ({ tokenizer: t.tokenizer }) as OpenTokenizer);
      found.catch(() => this.tokenizers.delete(id)); // tried again next time
      this.tokenizers.set(id, found);
    }
    return found;
  }
}

async function chatTokenizer(reader: RepoReader): Promise<{ tokenizer: ChatTokenizer }> {
  const text = (p: string) => (reader.files.includes(p) ? reader.readText(p) : Promise.resolve(undefined));
  const json = await text('tokenizer/tokenizer.json');
  if (!json) throw new Error('no tokenizer/tokenizer.json');
  return { tokenizer: ChatTokenizer.fromFiles(json, await text('tokenizer/tokenizer_config.json'), await text('tokenizer/chat_template.jinja')) };
}
