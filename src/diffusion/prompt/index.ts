/**
 * AUTOMATIC1111's prompt syntax as pure functions: emphasis `(a:1.2)`, `[a]`, `BREAK`, extra-network
 * tags `<lora:…>`, 75-token chunks with comma wrapping, the mean-restoring weighting of the
 * encoded chunks, and the token counter.
 * @module
 */
import { chunkPrompt, type ChunkOptions, type ChunkedPrompt, type PromptTokenizer } from './chunks.ts';
import { extractExtraNetworks, type ExtraNetwork } from './extra-networks.ts';

export { parsePromptAttention, type PromptPart, type WeightedText, type PromptBreak } from './attention.ts';
export { extractExtraNetworks, type ExtraNetwork } from './extra-networks.ts';
export { chunkPrompt, emptyChunk, padChunks, commaIdOf, type PromptTokenizer, type PromptChunk, type ChunkedPrompt, type ChunkOptions } from './chunks.ts';
export { applyEmphasis, encodeChunks } from './emphasis.ts';
export { countTokens, type TokenCount } from './count.ts';

/** A prompt ready for the text encoder: its chunks, A1111's token count, and the extra networks it named. */
export interface PreparedPrompt extends ChunkedPrompt {
  /** The `<lora:…>`/`<hypernet:…>` tags taken out of the text (not applied: the app has no LoRA yet). */
  networks: ExtraNetwork[];
}

/**
 * What A1111 does with a prompt before encoding it: takes the extra-network tags out (for the
 * prompt, not for a negative prompt: pass `{ negative: true }`, whose tags A1111 leaves as text),
 * then chunks it. Encode the result with `encodeChunks`, after `padChunks` has given the prompt
 * and the negative prompt the same number of chunks.
 */
export function preparePrompt(prompt: string, tokenizer: PromptTokenizer, options: ChunkOptions & { negative?: boolean } = {}): PreparedPrompt {
  const { text, networks } = options.negative ? { text: prompt, networks: [] } : extractExtraNetworks(prompt);
  return { ...chunkPrompt(text, tokenizer, options), networks };
}
