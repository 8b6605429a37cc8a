import { describe, expect, it } from 'vitest';
import { ChatTokenizer, type RepoReader } from '../../src/diffusion/index.ts';
import { PromptTokenCounter } from '../../src/engine/prompt-tokens.ts';
import { QWEN3_STYLE_TEMPLATE, qwenTokenizer, qwenTokenizerConfig } from '../../tools/tiny-model/qwen-tokenizer.ts';

const q = qwenTokenizer();
const config = qwenTokenizerConfig(q.added, QWEN3_STYLE_TEMPLATE);

/** A cached repo as the counter reads it: only its text files are there. */
function reader(files: Record<string, string>): RepoReader {
  const get = async (p: string) => {
    if (!(p in files)) throw new Error(`${p} is missing`);
    return files[p]!;
  };
  return {
    files: Object.keys(files),
    readText: get,
    readBytes: async (p) => new TextEncoder().encode(await get(p)),
    readData: async (p) => new Blob([await get(p)]),
  };
}

const FLOW_REPO = {
  'onnx/transformer_model_q4f16.onnx': '',
  'onnx/text_encoder_model_q4f16.onnx': '',
  'onnx/vae_decoder_model_f16.onnx': '',
  'tokenizer/tokenizer.json': q.tokenizerJson,
  'tokenizer/tokenizer_config.json': config,
};

describe('the token counter', () => {
  it('counts a cached flow-matching repo’s prompt with its chat tokenizer, templated, against 512', async () => {
    const prompt = 'a red fox in the snow, photographed at dawn';
    const expected = ChatTokenizer.fromFiles(q.tokenizerJson, config).encodePrompt(prompt, 512);
    const got = await new PromptTokenCounter().count({ key: 'z@c', reader: reader(FLOW_REPO) }, prompt);
    expect(got).toEqual({ tokens: expected.ids.length, limit: 512, truncated: false, maxTokens: 512 });
    // The template's own tokens count: an empty prompt still takes some.
    expect((await new PromptTokenCounter().count({ key: 'z@c', reader: reader(FLOW_REPO) }, '')).tokens).toBeGreaterThan(0);
  });

  it('says when the templated prompt goes past the open model’s limit, and counts only what is kept', async () => {
    const tokenizer = ChatTokenizer.fromFiles(q.tokenizerJson, config);
    const long = 'word '.repeat(200);
    const got = await new PromptTokenCounter().count({ open: { tokenizer, maxSequenceLength: 64 } }, long);
    expect(got).toEqual({ tokens: 64, limit: 64, truncated: true, maxTokens: 64 });
  });

  it('counts a Stable Diffusion prompt in CLIP chunks of 75 when nothing is cached', async () => {
    const got = await new PromptTokenCounter().count({}, 'a cat');
    expect(got).toMatchObject({ tokens: 2, limit: 75, truncated: false, maxTokens: 750 });
  });
});
