// Prompt → what the UNet is conditioned on. One step, one function (`encodeText`), so that
// prompt syntax (chunks beyond 77 tokens, weights) can be added in one place.
// - SD 1.x/2.x, LCM, Turbo: the text encoder's last_hidden_state.
// - SDXL: both text encoders' penultimate hidden states side by side (768 + 1280 = 2048 wide),
//   and the second encoder's pooled, projected `text_embeds` (diffusers' encode_prompt with
//   clip_skip None: `hidden_states[-2]` of each, `text_embeds` of text_encoder_2).
import type { ClipTokenizer } from './clip-tokenizer.ts';
import { isGpuResident, type Feed, type ModelRunner, type Tensor } from './tensor.ts';

/** What `encodeText` needs of a model: its tokenizers and text encoders (two for SDXL). */
export interface TextEncoders {
  tokenizer: ClipTokenizer;
  textEncoder: ModelRunner;
  tokenizer2?: ClipTokenizer;
  textEncoder2?: ModelRunner;
}

/** The UNet's text conditioning for a batch of prompts. */
export interface TextConditioning {
  /** `encoder_hidden_states` `[n, 77, width]`; left in GPU memory where the runtime could (single encoder on WebGPU). */
  context: Feed;
  /** SDXL: the pooled `text_embeds` `[n, width₂]` of the second encoder. */
  pooled?: Tensor;
}

/**
 * Encodes `prompts` as one batch, in order. `null` stands for "no prompt": zeros instead of the
 * encoded empty string (SDXL's `force_zeros_for_empty_prompt` for an empty negative prompt).
 */
export async function encodeText(m: TextEncoders, prompts: readonly (string | null)[]): Promise<TextConditioning> {
  if (!m.textEncoder2 || !m.tokenizer2) return encodeSingle(m.tokenizer, m.textEncoder, prompts.map((p) => p ?? ''));
  const encoded: { context: Tensor; pooled: Tensor }[] = [];
  for (const p of prompts) if (p !== null) encoded.push(await encodeTwo(m as Required<TextEncoders>, p));
  if (!encoded.length) throw new Error('encodeText needs at least one prompt.');
  const zeros = (t: Tensor): Tensor => ({ data: new Float32Array(t.data.length), dims: t.dims });
  let next = 0;
  const items = prompts.map((p) => (p === null ? { context: zeros(encoded[0]!.context), pooled: zeros(encoded[0]!.pooled) } : encoded[next++]!));
  return { context: stack(items.map((i) => i.context)), pooled: stack(items.map((i) => i.pooled)) };
}

/**
 * One text encoder's last_hidden_state. On the GPU it stays in GPU memory, and every UNet call
 * takes it from there (a batch is encoded in one call then, when the encoder takes any batch size).
 */
async function encodeSingle(tokenizer: ClipTokenizer, encoder: ModelRunner, prompts: string[]): Promise<TextConditioning> {
  const ids = prompts.map((p) => tokenizer.encode(p));
  const output = 'last_hidden_state' in encoder.outputs ? 'last_hidden_state' : Object.keys(encoder.outputs)[0]!;
  const batchDim = encoder.inputs.input_ids?.dims[0];
  if (encoder.runGpuResident && (ids.length === 1 || typeof batchDim !== 'number')) {
    const data = new Int32Array(ids.length * ids[0]!.length);
    ids.forEach((one, i) => data.set(one, i * one.length));
    return { context: await encoder.runGpuResident({ input_ids: { data, dims: [ids.length, ids[0]!.length] } }, output) };
  }
  const encoded: Tensor[] = [];
  for (const one of ids) encoded.push((await encoder.run({ input_ids: { data: one, dims: [1, one.length] } }))[output]!);
  return { context: stack(encoded) };
}

/** SDXL, one prompt: [penultimate₁ ‖ penultimate₂] `[1, 77, w₁ + w₂]` and `text_embeds` `[1, w₂]`. */
async function encodeTwo(m: Required<TextEncoders>, prompt: string): Promise<{ context: Tensor; pooled: Tensor }> {
  const run = async (tokenizer: ClipTokenizer, encoder: ModelRunner) => {
    const ids = tokenizer.encode(prompt);
    return encoder.run({ input_ids: { data: ids, dims: [1, ids.length] } });
  };
  const first = await run(m.tokenizer, m.textEncoder);
  const second = await run(m.tokenizer2, m.textEncoder2);
  const pooled = second.text_embeds;
  if (!pooled) throw new Error(`The second text encoder has no text_embeds output (it gives ${Object.keys(second).join(', ')}); SDXL's UNet needs it.`);
  const a = first[penultimate(m.textEncoder)]!;
  const b = second[penultimate(m.textEncoder2)]!;
  return { context: concatLastAxis(a, b), pooled: { data: pooled.data, dims: [1, pooled.data.length] } };
}

/**
 * The penultimate hidden state's output name: with every `hidden_states.N` exported (optimum),
 * the second highest N; with one (webnn/sdxl-turbo keeps only `hidden_states.11` and
 * `hidden_states.31`), that one; else last_hidden_state.
 */
export function penultimate(encoder: ModelRunner): string {
  const numbered = Object.keys(encoder.outputs)
    .map((name) => ({ name, n: /^hidden_states\.(\d+)$/.exec(name)?.[1] }))
    .filter((o): o is { name: string; n: string } => o.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n));
  if (numbered.length >= 2) return numbered[numbered.length - 2]!.name;
  if (numbered.length === 1) return numbered[0]!.name;
  return 'last_hidden_state' in encoder.outputs ? 'last_hidden_state' : Object.keys(encoder.outputs)[0]!;
}

/** `[1, S, a]` ‖ `[1, S, b]` → `[1, S, a + b]`. */
function concatLastAxis(a: Tensor, b: Tensor): Tensor {
  const wa = a.dims.at(-1)!;
  const wb = b.dims.at(-1)!;
  const rows = a.data.length / wa;
  if (b.data.length / wb !== rows) throw new Error(`The text encoders' hidden states do not line up: [${a.dims}] and [${b.dims}].`);
  const out = new Float32Array(rows * (wa + wb));
  for (let r = 0; r < rows; r++) {
    out.set((a.data as Float32Array).subarray(r * wa, (r + 1) * wa), r * (wa + wb));
    out.set((b.data as Float32Array).subarray(r * wb, (r + 1) * wb), r * (wa + wb) + wa);
  }
  return { data: out, dims: [...a.dims.slice(0, -1), wa + wb] };
}

/** Stacks `[1, …]` tensors along the batch axis. */
export function stack(ts: Tensor[]): Tensor {
  if (ts.length === 1) return ts[0]!;
  const data = new Float32Array(ts.reduce((s, t) => s + t.data.length, 0));
  let at = 0;
  for (const t of ts) data.set(t.data as Float32Array, at), (at += t.data.length);
  return { data, dims: [ts.length, ...ts[0]!.dims.slice(1)] };
}

/** Frees the conditioning's GPU memory, if any. */
export function releaseConditioning(c: TextConditioning): void {
  if (isGpuResident(c.context)) c.context.dispose();
}
