// The graphs of the tiny Z-Image-Turbo stand-ins: a Qwen3-like text encoder, a one-block
// diffusion transformer and a 16-channel VAE decoder, with int4 weights where the real repo has
// them (MatMulNBits for the linear layers, GatherBlockQuantized for the token embedding) and the
// I/O names, types and dims of webnn/Z-Image-Turbo's two layouts. Math is float32 inside (the real
// graphs compute in fp16), so onnxruntime's CPU backend and a WebGPU without shader-f16 run them.
import { DataType, type Dim, type GraphBuilder, tensor } from './onnx-writer.ts';
import { type FloatType, Net } from './layers.ts';

const { FLOAT, INT64 } = DataType;

/** Widths of the tiny stand-ins: the text encoder's output (2560 in Qwen3-4B) and the transformer's (3840). */
export const Z_TINY = { textWidth: 80, modelWidth: 64, positions: 512, latentChannels: 16, patch: 2 } as const;

/** What a text encoder export declares. */
export interface ZTextEncoderOptions {
  io: FloatType;
  /** `input_ids` dims, and `attention_mask` dims (both int64). */
  ids: readonly Dim[];
  mask: readonly Dim[];
  /** The hidden states' name (`encoder_hidden_states`, or the demo's `encoder_hidden_state`) and dims. */
  output: string;
  hidden: readonly Dim[];
  /** Bytes of tables that bring the weights to a real text encoder's size at no cost to run (see Net.ballast); for benchmarks. */
  ballastBytes?: number;
}

/** RMSNorm as exporters spell it without the contrib op: x / √(mean(x²) + ε) · w. */
function rmsNorm(n: Net, x: string, name: string, dim: number): string {
  const g = n.g;
  const meanSquare = g.node('ReduceMean', [g.node('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const scale = g.node('Sqrt', [g.node('Add', [meanSquare, n.scalar(`${name}.eps`, 1e-6)])]);
  return g.node('Mul', [g.node('Div', [x, scale]), n.filled(`${name}.weight`, [dim], 1)]);
}

/**
 * Qwen3-like, one decoder layer: int4 token embedding plus a position table, RMSNorm, causal
 * self-attention whose keys are masked by `attention_mask`, a SwiGLU MLP; the output is the
 * residual stream without the final norm (what Z-Image reads, hidden_states[-2]).
 */
export function zImageTextEncoderGraph(vocabSize: number, seed: number, o: ZTextEncoderOptions): GraphBuilder {
  const n = new Net('text_encoder', seed, FLOAT, 'q4');
  const { g } = n;
  const W = Z_TINY.textWidth;
  const ids = g.input('input_ids', INT64, o.ids);
  const mask = g.input('attention_mask', INT64, o.mask);
  const tokens = n.embedding('model.embed_tokens.weight', vocabSize, W, ids);
  const length = g.node('Slice', [g.node('Shape', [ids]), g.ints('seq_axis_start', [1]), g.ints('seq_axis_end', [2])]);
  const table = n.weight('model.position_table', [Z_TINY.positions, W], 1, 0.3);
  let h = g.node('Add', [tokens, g.node('Slice', [table, g.ints('pos_start', [0]), length, g.ints('pos_axes', [0])])]);

  const layer = 'model.layers.0';
  const a = rmsNorm(n, h, `${layer}.input_layernorm`, W);
  const q = n.linear(a, `${layer}.self_attn.q_proj`, W, W, 3, false);
  const k = n.linear(a, `${layer}.self_attn.k_proj`, W, W, 1, false);
  const v = n.linear(a, `${layer}.self_attn.v_proj`, W, W, 1, false);
  let logits = g.node('Mul', [g.node('MatMul', [q, g.node('Transpose', [k], { perm: [0, 2, 1] })]), n.scalar('attn_scale', 1 / Math.sqrt(W))]);
  // Causal: a token sees itself and those before it; masked keys are shut out too.
  const square = g.node('ConstantOfShape', [g.node('Concat', [length, length], { axis: 0 })], { value: tensor([1], Float32Array.of(1)) });
  const future = g.node('Trilu', [square, g.init('causal_offset', [], BigInt64Array.of(1n))], { upper: 1 });
  const keys = g.node('Unsqueeze', [g.node('Sub', [g.node('Cast', [mask], { to: FLOAT }), n.scalar('one', 1)]), g.ints('mask_axes', [1])]);
  logits = g.node('Add', [g.node('Add', [logits, g.node('Mul', [future, n.scalar('causal_fill', -1e4)])]), g.node('Mul', [keys, n.scalar('mask_fill', 1e4)])]);
  const attended = g.node('MatMul', [g.node('Softmax', [logits], { axis: -1 }), v]);
  h = g.node('Add', [h, n.linear(attended, `${layer}.self_attn.o_proj`, W, W, 1, false)]);

  const m = rmsNorm(n, h, `${layer}.post_attention_layernorm`, W);
  const gate = n.linear(m, `${layer}.mlp.gate_proj`, W, 2 * W, 1, false);
  const up = n.linear(m, `${layer}.mlp.up_proj`, W, 2 * W, 1, false);
  const down = n.linear(g.node('Mul', [n.silu(gate), up]), `${layer}.mlp.down_proj`, 2 * W, W, 1, false);
  // Read by the first token's id (mod the tables' 1000 rows): every byte is loaded, one row a table is used.
  const firstId = () => g.node('Slice', [g.node('Reshape', [ids, g.ints('ids_flat', [-1])]), g.ints('first_start', [0]), g.ints('first_end', [1])]);
  const ballast = o.ballastBytes ? ballastTerm(n, g.node('Mod', [firstId(), g.init('ballast_rows', [], BigInt64Array.of(1000n))]), o.ballastBytes) : undefined;
  n.floatOutput(o.output, o.io, o.hidden, (output) => (ballast ? g.node('Add', [g.node('Add', [h, down]), ballast], {}, output) : g.node('Add', [h, down], {}, output)));
  return g;
}

/** {@link Net.ballast}'s [1, 1, 1, 1] term as [1, 1, 1], to add to `[B, S, W]` hidden states (or broadcast over latents). */
function ballastTerm(n: Net, index: string, bytes: number, rank = 3): string {
  return n.g.node('Reshape', [n.ballast(index, bytes), n.g.ints(`ballast.shape${rank}`, Array(rank).fill(1))]);
}

/** What a transformer export declares. */
export interface ZTransformerOptions {
  io: FloatType;
  /** `hidden_states` dims: `[1, 16, h, w]` (re-export) or `[batch, 16, frames, h, w]` (the demo's). */
  latents: readonly Dim[];
  timestep: readonly Dim[];
  context: readonly Dim[];
  /** The output's name (`sample`, or the demo's `unified_results`) and dims (the demo's drop the batch axis). */
  output: string;
  out: readonly Dim[];
  /** As {@link ZTextEncoderOptions.ballastBytes}, read by the timestep. */
  ballastBytes?: number;
}

/**
 * One DiT block: 2×2 patches (SpaceToDepth) embedded, adaLN from a sinusoidal embedding of
 * 1000·t, attention from the patches to the caption, an MLP, the final layer back to patches
 * (DepthToSpace) as an estimate c of the clean latents. Its output is shaped as Z-Image's raw
 * output is on a straight flow, (c − x)/σ with σ = 1 − t, so the stand-in's pictures settle only
 * when the pipeline negates it and feeds 1 − σ.
 */
export function zImageTransformerGraph(seed: number, o: ZTransformerOptions): GraphBuilder {
  const n = new Net('transformer', seed, FLOAT, 'q4');
  const { g } = n;
  const M = Z_TINY.modelWidth;
  const P = Z_TINY.latentChannels * Z_TINY.patch ** 2;
  const input = n.floatInput('hidden_states', o.io, o.latents);
  const frames = o.latents.length === 5;
  const x = frames ? g.node('Squeeze', [input, g.ints('frame_axis', [2])]) : input; // [B, 16, h, w]
  const t = n.floatInput('timestep', o.io, o.timestep);
  const context = n.floatInput('encoder_hidden_states', o.io, o.context);

  const patches = g.node('SpaceToDepth', [x], { blocksize: Z_TINY.patch }); // [B, 64, h/2, w/2]
  const tokens = g.node('Transpose', [g.node('Reshape', [patches, g.ints('patch_flat', [0, P, -1])])], { perm: [0, 2, 1] }); // [B, N, 64]
  let h = n.linear(tokens, 'x_embedder', P, M);

  const half = 32;
  const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const args = g.node('Mul', [g.node('Unsqueeze', [g.node('Mul', [t, n.scalar('t_scale', 1000)]), g.ints('t_axis', [1])]), n.floats('t_embedder.freqs', [1, half], freqs)]);
  const temb = n.linear(n.silu(n.linear(g.node('Concat', [g.node('Cos', [args]), g.node('Sin', [args])], { axis: 1 }), 't_embedder.linear_1', 2 * half, M)), 't_embedder.linear_2', M, M);
  const mod = g.node('Unsqueeze', [n.linear(n.silu(temb), 'adaLN_modulation', M, 2 * M, 0.5), g.ints('mod_axis', [1])]); // [B, 1, 2M]
  const part = (name: string, from: number) => g.node('Slice', [mod, g.ints(`${name}_start`, [from]), g.ints(`${name}_end`, [from + M]), g.ints(`${name}_axes`, [2])]);
  const [scale, shift] = [part('scale', 0), part('shift', M)];
  const modulate = (v: string, name: string) => g.node('Add', [g.node('Mul', [n.layerNorm(v, name, M), g.node('Add', [scale, n.scalar(`${name}.one`, 1)])]), shift]);

  const caption = n.linear(rmsNorm(n, context, 'cap_embedder.norm', Z_TINY.textWidth), 'cap_embedder.linear', Z_TINY.textWidth, M);
  const q = n.linear(modulate(h, 'block.norm1'), 'block.attn.to_q', M, M, 4, false);
  const k = n.linear(caption, 'block.attn.to_k', M, M, 1, false);
  const v = n.linear(caption, 'block.attn.to_v', M, M, 1, false);
  const logits = g.node('Mul', [g.node('MatMul', [q, g.node('Transpose', [k], { perm: [0, 2, 1] })]), n.scalar('attn_scale', 1 / Math.sqrt(M))]);
  h = g.node('Add', [h, n.linear(g.node('MatMul', [g.node('Softmax', [logits], { axis: -1 }), v]), 'block.attn.to_out', M, M, 2)]);
  h = g.node('Add', [h, n.linear(n.silu(n.linear(n.layerNorm(h, 'block.norm2', M), 'block.ff.0', M, 2 * M)), 'block.ff.2', 2 * M, M)]);
  const out = n.linear(modulate(h, 'final_layer.norm'), 'final_layer.linear', M, P, 1.5);
  let estimate = g.node('DepthToSpace', [g.node('Reshape', [g.node('Transpose', [out], { perm: [0, 2, 1] }), g.node('Shape', [patches])])], { blocksize: Z_TINY.patch, mode: 'DCR' });

  if (o.ballastBytes) {
    const index = g.node('Cast', [g.node('Floor', [g.node('Mul', [t, n.scalar('ballast_rows', 999)])])], { to: INT64 }); // [B]
    estimate = g.node('Add', [estimate, ballastTerm(n, index, o.ballastBytes, 4)]);
  }
  const sigma = g.node('Reshape', [g.node('Max', [g.node('Sub', [n.scalar('sigma_one', 1), t]), n.scalar('sigma_floor', 0.02)]), g.ints('sigma_shape', [-1, 1, 1, 1])]);
  n.floatOutput(o.output, o.io, o.out, (output) => {
    const raw = g.node('Div', [g.node('Sub', [estimate, x]), sigma], {}, frames ? undefined : output);
    if (!frames) return raw;
    // The demo's export: [16, frames, h, w], no batch axis (reshaped by the input's own shape, so the frames axis stays symbolic).
    return g.node('Squeeze', [g.node('Reshape', [raw, g.node('Shape', [input])]), g.ints('out_batch_axis', [0])], {}, output);
  });
  return g;
}

/** What the VAE decoder export declares. */
export interface ZVaeDecoderOptions {
  io: FloatType;
  latent: readonly Dim[];
  sample: readonly Dim[];
}

/** 16 latent channels to RGB: a 3×3 conv, SiLU, a 1×1 conv, then ×8 bilinear and tanh into [-1, 1]. */
export function zImageVaeDecoderGraph(seed: number, o: ZVaeDecoderOptions): GraphBuilder {
  const n = new Net('vae_decoder', seed, FLOAT);
  const { g } = n;
  const C = Z_TINY.latentChannels;
  const z = n.floatInput('latent_sample', o.io, o.latent);
  const h = n.silu(n.conv(z, 'decoder.conv_in', C, C, { gain: 0.5 }));
  const rgb = n.conv(h, 'decoder.conv_out', C, 3, { k: 1, gain: 0.8 });
  const scales = g.init('decoder.resize.scales', [4], Float32Array.of(1, 1, 8, 8));
  const big = g.node('Resize', [rgb, '', scales], { mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' });
  n.floatOutput('sample', o.io, o.sample, (output) => g.node('Tanh', [big], {}, output));
  return g;
}

/** The I/O of a helper graph the repo holds and the app never opens. */
export interface ZHelperOptions {
  io: FloatType;
  /** 5-D latents (the demo's layout) or 4-D. */
  frames: boolean;
}

/**
 * Stand-ins of the repo's helper graphs, with their I/O names (z-image.md §3): `scheduler_step`
 * (noise_pred, latents, step_info → latents_out), `vae_pre_process` (latents → scaled_latents),
 * `sc_prep` (sample → clip_input), `safety_checker` (clip_input → has_nsfw_concepts). Their math is
 * a token version of the real one; they exist so a test can see the app never fetches them.
 */
export function zImageHelperGraph(path: string, o: ZHelperOptions): GraphBuilder {
  const name = path.replace(/^.*\//, '').replace(/_model_f16\.onnx$/, '');
  const n = new Net(name, 0, FLOAT);
  const { g } = n;
  const latent = o.frames ? ['batch', 16, 1, 'height', 'width'] : ['batch', 16, 'height', 'width'];
  switch (name) {
    case 'scheduler_step': {
      const pred = n.floatInput('noise_pred', o.io, o.frames ? [16, 1, 'height', 'width'] : latent);
      const latents = n.floatInput('latents', o.io, latent);
      const info = g.node('Cast', [g.input('step_info', INT64, [2])], { to: FLOAT });
      const dt = g.node('Div', [n.scalar('neg_one', -1), g.node('ReduceMax', [info], { keepdims: 0 })]);
      n.floatOutput('latents_out', o.io, latent, (output) => g.node('Sub', [latents, g.node('Mul', [pred, dt])], {}, output));
      break;
    }
    case 'vae_pre_process': {
      const latents = n.floatInput('latents', o.io, latent);
      const flat = o.frames ? g.node('Squeeze', [latents, g.ints('frame_axis', [2])]) : latents;
      const scaled = g.node('Add', [g.node('Div', [flat, n.scalar('scaling_factor', 0.3611)]), n.scalar('shift_factor', 0.1159)]);
      n.floatOutput('scaled_latents', o.io, ['batch', 16, 'height', 'width'], (output) => g.node('Identity', [scaled], {}, output));
      break;
    }
    case 'sc_prep': {
      const sample = n.floatInput('sample', o.io, ['batch', 'channels', 'height', 'width']);
      const sizes = g.ints('clip_size', [1, 3, 224, 224]);
      n.floatOutput('clip_input', o.io, [1, 3, 224, 224], (output) => g.node('Resize', [sample, '', '', sizes], { mode: 'linear' }, output));
      break;
    }
    case 'safety_checker': {
      const clip = n.floatInput('clip_input', o.io, [1, 3, 224, 224]);
      const pooled = g.node('ReduceMean', [clip], { axes: [2, 3], keepdims: 0 }); // [1, 3]
      const concepts = n.linear(pooled, 'concept_embeds', 3, 256); // 3 KB of weights: enough to go to its .onnx_data
      const flagged = g.node('Greater', [g.node('ReduceMax', [concepts], { axes: [1], keepdims: 0 }), n.scalar('threshold', 1e3)]);
      g.node('Identity', [flagged], {}, 'has_nsfw_concepts');
      g.output('has_nsfw_concepts', DataType.BOOL, [1]);
      break;
    }
    default:
      throw new Error(`no stand-in for helper graph ${path}`);
  }
  return g;
}
