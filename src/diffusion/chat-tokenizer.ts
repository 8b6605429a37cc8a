// The text side of chat-model text encoders (Z-Image-Turbo's Qwen3): the prompt becomes one user
// message of the tokenizer's chat template, then a byte-level BPE (tokenizer.json) makes ids.
// diffusers' ZImagePipeline._encode_prompt does exactly this: apply_chat_template(add_generation_prompt,
// enable_thinking=True), then the tokenizer with max_length 512 and truncation, keeping only the
// unpadded tokens, so cutting the templated ids at 512 is the same thing.
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

/**
 * The ChatML template transformers.js v2 falls back to when a tokenizer has none (what
 * webnn-developer-preview's Z-Image demo gets, its tokenizer_config.json having no
 * `chat_template`): `<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n`. Qwen3's own
 * template gives the same string for one user message with `enable_thinking` true.
 */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Where a {@link ChatTokenizer}'s template came from, for the page. */
export type ChatTemplateSource = 'chat_template.jinja' | 'tokenizer_config.json' | 'built-in ChatML';

/** A prompt as the text encoder takes it. */
export interface EncodedPrompt {
  /** Token ids of the templated prompt, cut to the limit. */
  ids: number[];
  /** The templated text that was tokenized. */
  text: string;
  /** How many tokens the templated prompt had before it was cut. */
  tokens: number;
  /** True when tokens were cut off (the prompt's end and the template's tail are lost, as in diffusers). */
  truncated: boolean;
  /** The limit it was cut to. */
  maxLength: number;
}

/**
 * A Hugging Face fast tokenizer (tokenizer.json, through `@huggingface/tokenizers`) with its chat
 * template (through `@huggingface/jinja`): `chat_template.jinja` when the repo has one (transformers
 * saves it there and prefers it), else `tokenizer_config.json`'s `chat_template`, else the built-in
 * {@link CHATML_TEMPLATE}.
 */
export class ChatTokenizer {
  private readonly template: Template;
  private readonly specials: Record<string, string>;

  private constructor(
    private readonly tokenizer: Tokenizer,
    template: string,
    /** Where the template came from. */
    readonly templateSource: ChatTemplateSource,
    config: Record<string, unknown>,
  ) {
    try {
      this.template = new Template(template);
    } catch (err) {
      throw new Error(`The chat template (${templateSource}) cannot be read: ${(err as Error).message}`);
    }
    // transformers hands the special tokens to the template too (some templates start with bos_token).
    this.specials = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      const token = tokenText(config[key]);
      if (token !== undefined) this.specials[key] = token;
    }
  }

  /**
   * From the text of `tokenizer.json`, and optionally `tokenizer_config.json` and a
   * `chat_template.jinja`. Throws a message naming the file when one cannot be read.
   */
  static fromFiles(tokenizerJson: string, configJson?: string, chatTemplate?: string): ChatTokenizer {
    const json = parseJson(tokenizerJson, 'tokenizer.json');
    if (json.model?.type !== 'BPE') throw new Error(`tokenizer.json: expected a BPE model (Qwen2's byte-level BPE), not ${JSON.stringify(json.model?.type)}.`);
    const config = configJson === undefined ? {} : parseJson(configJson, 'tokenizer_config.json');
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, config);
    } catch (err) {
      throw new Error(`tokenizer.json cannot be used: ${(err as Error).message}`);
    }
    if (chatTemplate !== undefined) return new ChatTokenizer(tokenizer, chatTemplate, 'chat_template.jinja', config);
    const fromConfig = configTemplate(config.chat_template);
    if (fromConfig !== undefined) return new ChatTokenizer(tokenizer, fromConfig, 'tokenizer_config.json', config);
    return new ChatTokenizer(tokenizer, CHATML_TEMPLATE, 'built-in ChatML', config);
  }

  /** The prompt as one user message with the generation prompt, thinking left on (no think block), as diffusers renders it. */
  applyTemplate(prompt: string): string {
    return this.template.render({
      messages: [{ role: 'user', content: prompt }],
      add_generation_prompt: true,
      enable_thinking: true,
      ...this.specials,
    });
  }

  /** Token ids of `text` as it stands (special tokens such as `<|im_start|>` match whole). */
  tokenize(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }

  /** The templated prompt's ids, cut to `maxLength` after templating and never padded. */
  encodePrompt(prompt: string, maxLength = 512): EncodedPrompt {
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maxLength must be a positive integer, not ${maxLength}.`);
    const text = this.applyTemplate(prompt);
    const all = this.tokenize(text);
    return { ids: all.slice(0, maxLength), text, tokens: all.length, truncated: all.length > maxLength, maxLength };
  }
}

/** In words, for the page: what was cut from a prompt over the limit. */
export function truncationNotice(e: EncodedPrompt): string {
  return `The prompt is ${e.tokens} tokens with its chat template, more than the text encoder's ${e.maxLength}: the last ${e.tokens - e.maxLength} were cut off.`;
}

function parseJson(text: string, file: string): Record<string, any> {
  try {
    const value = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  throw new Error(`${file} should hold a JSON object.`);
}

/** A special token as tokenizer_config.json writes it: a string, or an AddedToken `{content}`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** `chat_template` is a string, or a list of named templates of which `default` is the one. */
function configTemplate(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((t) => t?.name === 'default') ?? value[0];
    return typeof named?.template === 'string' ? named.template : undefined;
  }
  return undefined;
}
