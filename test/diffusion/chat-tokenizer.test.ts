import { describe, expect, it } from 'vitest';
import { CHATML_TEMPLATE, ChatTokenizer, truncationNotice } from '../../src/diffusion/chat-tokenizer.ts';
import { QWEN3_STYLE_TEMPLATE, qwenTokenizer, qwenTokenizerConfig } from '../../tools/tiny-model/qwen-tokenizer.ts';

// The stand-in's tokenizer: Qwen2's byte-level BPE and pre-tokenizer with a tiny learned vocabulary.
const q = qwenTokenizer();
const plainConfig = qwenTokenizerConfig(q.added); // as the Z-Image demo's: no chat_template
const CHATML = (prompt: string) => `<|im_start|>user\n${prompt}<|im_end|>\n<|im_start|>assistant\n`;

describe('ChatTokenizer', () => {
  it("renders one user message with the generation prompt and no think block, whichever template the repo has", () => {
    const tokenizers = [
      ChatTokenizer.fromFiles(q.tokenizerJson, plainConfig),
      ChatTokenizer.fromFiles(q.tokenizerJson, qwenTokenizerConfig(q.added, QWEN3_STYLE_TEMPLATE)),
      ChatTokenizer.fromFiles(q.tokenizerJson, plainConfig, QWEN3_STYLE_TEMPLATE),
      ChatTokenizer.fromFiles(q.tokenizerJson),
    ];
    expect(tokenizers.map((t) => t.templateSource)).toEqual(['built-in ChatML', 'tokenizer_config.json', 'chat_template.jinja', 'built-in ChatML']);
    const prompt = 'a photo of a cat, 35mm — “golden hour”';
    const encoded = tokenizers.map((t) => t.encodePrompt(prompt));
    for (const e of encoded) {
      expect(e.text).toBe(CHATML(prompt));
      expect(e.ids).toEqual(encoded[0]!.ids);
      expect(e.truncated).toBe(false);
      expect(e.ids.length).toBe(e.tokens); // never padded
    }
  });

  it('keeps the template’s special tokens whole and splits the rest as Qwen2 does (digits one by one, bytes for the unknown)', () => {
    const t = ChatTokenizer.fromFiles(q.tokenizerJson, plainConfig);
    const { ids } = t.encodePrompt('cat 2024 Ω');
    expect(ids[0]).toBe(q.added['<|im_start|>']);
    expect(ids.filter((id) => id === q.added['<|im_start|>'])).toHaveLength(2);
    expect(ids.filter((id) => id === q.added['<|im_end|>'])).toHaveLength(1);
    const digits = t.tokenize('2024');
    expect(digits).toHaveLength(4);
    // Ω is two UTF-8 bytes, neither merged in the tiny vocabulary: two byte tokens (ids below 256).
    const omega = t.tokenize('Ω');
    expect(omega).toHaveLength(2);
    for (const id of omega) expect(id).toBeLessThan(256);
    // NFC: a decomposed é tokenizes as the composed one.
    expect(t.tokenize('cafe\u0301')).toEqual(t.tokenize('caf\u00e9'));
  });

  it('cuts a prompt over the limit after templating, losing the template’s tail as diffusers does, and says so', () => {
    const t = ChatTokenizer.fromFiles(q.tokenizerJson, plainConfig);
    const long = Array.from({ length: 600 }, (_, i) => `word${i % 7}`).join(' ');
    const full = t.tokenize(CHATML(long));
    const e = t.encodePrompt(long);
    expect(full.length).toBeGreaterThan(512);
    expect(e).toMatchObject({ truncated: true, tokens: full.length, maxLength: 512 });
    expect(e.ids).toEqual(full.slice(0, 512));
    expect(e.ids).not.toContain(q.added['<|im_end|>']);
    expect(truncationNotice(e)).toBe(`The prompt is ${full.length} tokens with its chat template, more than the text encoder's 512: the last ${full.length - 512} were cut off.`);
    const short = t.encodePrompt('a cat', 512);
    expect(short.truncated).toBe(false);
    expect(t.encodePrompt('a cat', short.tokens).truncated).toBe(false);
    expect(t.encodePrompt('a cat', short.tokens - 1)).toMatchObject({ truncated: true, ids: short.ids.slice(0, -1) });
  });

  it('takes the default of a list of named templates, and hands the special tokens to the template', () => {
    const config = JSON.parse(plainConfig);
    config.chat_template = [
      { name: 'tool_use', template: 'TOOLS' },
      { name: 'default', template: "{{ eos_token }}|{{ pad_token }}|{{ messages[0]['content'] }}" },
    ];
    const t = ChatTokenizer.fromFiles(q.tokenizerJson, JSON.stringify(config));
    expect(t.applyTemplate('x')).toBe('<|im_end|>|<|endoftext|>|x');
    expect(CHATML_TEMPLATE).toContain("'<|im_start|>assistant\\n'");
  });

  it('refuses unreadable files with the file named', () => {
    expect(() => ChatTokenizer.fromFiles('{not json')).toThrow(/^tokenizer\.json is not valid JSON/);
    expect(() => ChatTokenizer.fromFiles(q.tokenizerJson, '[1]')).toThrow(/^tokenizer_config\.json should hold a JSON object/);
    const wordPiece = JSON.parse(q.tokenizerJson);
    wordPiece.model.type = 'WordPiece';
    expect(() => ChatTokenizer.fromFiles(JSON.stringify(wordPiece))).toThrow(/expected a BPE model/);
    expect(() => ChatTokenizer.fromFiles(q.tokenizerJson, plainConfig, '{% for m in messages %}')).toThrow(/^The chat template \(chat_template\.jinja\) cannot be read/);
    const t = ChatTokenizer.fromFiles(q.tokenizerJson);
    expect(() => t.encodePrompt('a', 0)).toThrow(RangeError);
  });
});
