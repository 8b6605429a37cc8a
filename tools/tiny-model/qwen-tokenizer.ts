// A tiny Qwen2-style fast tokenizer (Z-Image-Turbo's text side): tokenizer.json with byte-level BPE
// in Qwen2's shape (NFC normalizer; the Qwen2 split regex, then ByteLevel without its own regex;
// ByteLevel post-processor and decoder; no unk token), merges learned here from a fixed corpus, and
// Qwen3's added tokens after them. tokenizer_config.json has the fields of the one
// webnn-developer-preview ships for Z-Image (demos/z-image-turbo/models/tokenizer/), plus, when
// asked, a chat template written in Qwen3's shape.
import { bytesToUnicode } from '../../src/diffusion/clip-bpe.ts';

/** Qwen2's pre-tokenizer split pattern, as its tokenizer.json and tokenization_qwen2.py give it. */
export const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Qwen3's added tokens in id order, and whether each is special (tokenizer_config.json's added_tokens_decoder). */
const ADDED: [string, boolean][] = [
  ['<|endoftext|>', true],
  ['<|im_start|>', true],
  ['<|im_end|>', true],
  ...['object_ref', 'box', 'quad', 'vision'].flatMap((n): [string, boolean][] => [[`<|${n}_start|>`, true], [`<|${n}_end|>`, true]]),
  ...['vision', 'image', 'video'].map((n): [string, boolean] => [`<|${n}_pad|>`, true]),
  ['<tool_call>', false],
  ['</tool_call>', false],
  ...['prefix', 'middle', 'suffix', 'pad'].map((n): [string, boolean] => [`<|fim_${n}|>`, false]),
  ['<|repo_name|>', false],
  ['<|file_sep|>', false],
  ['<tool_response>', false],
  ['</tool_response>', false],
  ['<think>', false],
  ['</think>', false],
];

// What the merges are learned from: prompt-like English and the chat template's words, so common
// words become single tokens and the rest falls back to bytes, as with the real vocabulary.
const CORPUS = `user assistant system
a photo of a cat sitting on a windowsill in the morning light, highly detailed, sharp focus
a red dog running through a field of yellow flowers, golden hour, soft light, shallow depth of field
portrait of an old man with a beard, oil painting, dramatic lighting, studio photograph
a castle on a hill at sunset, clouds, mountains in the background, fantasy landscape, wide angle
a bowl of fruit on a wooden table, still life, natural colors, the light from the window
the city at night with neon signs and rain on the street, cinematic, reflections, a photo
a small house in the forest, snow, winter, warm light in the windows, quiet and peaceful
an astronaut riding a horse on the moon, digital art, trending, beautiful, vivid colors
the ocean with waves and a lighthouse, storm, dark sky, painting in the style of the old masters`;

const SPLIT = new RegExp(QWEN2_SPLIT.replace('(?i:', '(?:'), 'giu'); // JS has no inline (?i:…); `i` on the whole has the same effect here

/**
 * Byte-level BPE merges learned from {@link CORPUS}: the most frequent adjacent pair merged each
 * round, ties broken by the pair's text, so the same count always gives the same merges.
 */
export function learnMerges(count: number): [string, string][] {
  const byte = bytesToUnicode();
  const words = new Map<string, number>();
  for (const piece of CORPUS.normalize('NFC').match(SPLIT) ?? []) {
    const chars = [...new TextEncoder().encode(piece)].map((b) => byte.get(b)!).join('\u0000');
    words.set(chars, (words.get(chars) ?? 0) + 1);
  }
  let split = [...words].map(([w, n]) => ({ parts: w.split('\u0000'), n }));
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const pairs = new Map<string, number>();
    for (const { parts, n } of split) for (let i = 0; i + 1 < parts.length; i++) pairs.set(`${parts[i]}\u0000${parts[i + 1]}`, (pairs.get(`${parts[i]}\u0000${parts[i + 1]}`) ?? 0) + n);
    const best = [...pairs].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))[0];
    if (!best) break;
    const [left, right] = best[0].split('\u0000') as [string, string];
    merges.push([left, right]);
    split = split.map(({ parts, n }) => {
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (parts[i] === left && parts[i + 1] === right) merged.push(left + right), i++;
        else merged.push(parts[i]!);
      }
      return { parts: merged, n };
    });
  }
  return merges;
}

/** A tiny Qwen2-style tokenizer: the files' contents and the ids the text encoder must cover. */
export interface QwenTokenizerFiles {
  tokenizerJson: string;
  /** Every id, added tokens included, is below this. */
  vocabSize: number;
  /** The id of each added token. */
  added: Record<string, number>;
}

/** Options of {@link qwenTokenizer}. */
export interface QwenTokenizerOptions {
  merges?: number;
  /** How merges are written: `"a b"` strings (older tokenizers releases), or `["a", "b"]` pairs (tokenizers ≥ 0.20). */
  mergeFormat?: 'string' | 'pair';
}

/** tokenizer.json of a tiny Qwen2-style tokenizer. */
export function qwenTokenizer({ merges: count = 300, mergeFormat = 'string' }: QwenTokenizerOptions = {}): QwenTokenizerFiles {
  const vocab: Record<string, number> = {};
  for (const char of bytesToUnicode().values()) vocab[char] = Object.keys(vocab).length;
  const merges = learnMerges(count);
  for (const [a, b] of merges) vocab[a + b] ??= Object.keys(vocab).length;
  const first = Object.keys(vocab).length;
  const added: Record<string, number> = {};
  ADDED.forEach(([content], i) => (added[content] = first + i));
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ADDED.map(([content, special], i) => ({ id: first + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => (mergeFormat === 'pair' ? [a, b] : `${a} ${b}`)),
    },
  };
  return { tokenizerJson: JSON.stringify(json, null, 2) + '\n', vocabSize: first + ADDED.length, added };
}

/**
 * A chat template in Qwen3's shape (system message, tools, a user turn, assistant turns with their
 * reasoning in a think block, tool responses, and the generation prompt, with an empty think block
 * only when `enable_thinking` is false). Written for the stand-in; what matters for Z-Image is that
 * one user message with the generation prompt renders as ChatML.
 */
export const QWEN3_STYLE_TEMPLATE = [
  "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0].role == 'system' %}{{- messages[0].content + '\\n\\n' }}{%- endif %}",
  "{{- '# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n<tools>' }}{%- for tool in tools %}{{- '\\n' }}{{- tool | tojson }}{%- endfor %}{{- '\\n</tools><|im_end|>\\n' }}",
  "{%- elif messages[0].role == 'system' %}{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}{%- endif %}",
  '{%- set ns = namespace(last_query_index=messages|length - 1) %}',
  "{%- for message in messages %}{%- if message.role == 'user' and message.content is string and not message.content.startswith('<tool_response>') %}{%- set ns.last_query_index = loop.index0 %}{%- endif %}{%- endfor %}",
  '{%- for message in messages %}',
  "{%- set content = message.content if message.content is string else '' %}",
  "{%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}{{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>\\n' }}",
  "{%- elif message.role == 'assistant' %}{%- set reasoning = '' %}{%- if '</think>' in content %}{%- set reasoning = content.split('</think>')[0].split('<think>')[-1].strip() %}{%- set content = content.split('</think>')[-1].lstrip() %}{%- endif %}",
  "{%- if loop.index0 > ns.last_query_index and reasoning %}{{- '<|im_start|>assistant\\n<think>\\n' + reasoning + '\\n</think>\\n\\n' + content }}{%- else %}{{- '<|im_start|>assistant\\n' + content }}{%- endif %}{{- '<|im_end|>\\n' }}",
  "{%- elif message.role == 'tool' %}{{- '<|im_start|>user\\n<tool_response>\\n' + content + '\\n</tool_response><|im_end|>\\n' }}{%- endif %}",
  '{%- endfor %}',
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}",
].join('');

/** tokenizer_config.json as the Z-Image demo's (Qwen2Tokenizer, `<|im_end|>` ends, `<|endoftext|>` pads), with the tiny ids, and a chat template when given. */
export function qwenTokenizerConfig(added: Record<string, number>, chatTemplate?: string): string {
  const decoder = Object.fromEntries(
    ADDED.map(([content, special]) => [String(added[content]), { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special }]),
  );
  const config = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: ADDED.filter(([c, special]) => special && c !== '<|endoftext|>').map(([c]) => c),
    bos_token: null,
    ...(chatTemplate ? { chat_template: chatTemplate } : {}),
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    extra_special_tokens: {},
    model_max_length: 131072,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
  return JSON.stringify(config, null, 2) + '\n';
}
