import { chunkPrompt, type ChunkOptions, type PromptTokenizer } from './chunks.ts';
import { extractExtraNetworks } from './extra-networks.ts';

/** What A1111 shows under its prompt box: `37/75`, `112/150`. */
export interface TokenCount {
  /** Tokens the prompt takes (BREAK and comma wrapping count the room they leave, as in A1111). */
  tokens: number;
  /** The next multiple of 75 at or above it (75 for an empty prompt): where another chunk starts. */
  limit: number;
  /** With `maxChunks`: the prompt needs more chunks than that, and `tokens` counts only those kept. */
  truncated: boolean;
}

/**
 * A1111's token counter: extra-network tags taken out, then the prompt chunked as it will be
 * encoded; `tokens` is A1111's `token_count`, `limit` is `⌈max(tokens, 1) / 75⌉ · 75`.
 */
export function countTokens(prompt: string, tokenizer: PromptTokenizer, options: ChunkOptions = {}): TokenCount {
  const length = options.chunkLength ?? 75;
  const { tokenCount, truncated } = chunkPrompt(extractExtraNetworks(prompt).text, tokenizer, options);
  return { tokens: tokenCount, limit: Math.ceil(Math.max(tokenCount, 1) / length) * length, truncated };
}
