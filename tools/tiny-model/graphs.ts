// The four models of a Stable Diffusion ONNX repo, tiny. Each builder takes the I/O
// signature of the export it stands in for (names are fixed by the role; float types,
// symbolic dimension names and a few features vary), so every family shares one
// definition. The defaults are the SD-Turbo stand-in's, whose bytes must not change.
import { DataType, type Dim, type ElemType, type GraphBuilder } from './onnx-writer.ts';
import { type FloatType, Net, TINY } from './layers.ts';

const { FLOAT, INT64 } = DataType;

/** What a text encoder export declares. */
export interface TextEncoderOptions {
  /** Width of last_hidden_state: stands for 1024 (SD 2.x) or 768 (SD 1.x). */
  hidden: number;
  /** Type of the float outputs. */
  io: FloatType;
  /** Type of the weights and math. */
  compute: FloatType;
  /** `input_ids` dims (int32). */
  ids: readonly Dim[];
  /** `last_hidden_state` dims. */
  hiddenState: readonly Dim[];
  /** `pooler_output` dims, for exports that keep CLIP's second output (diffusers, optimum). */
  pooler?: readonly Dim[];
  /** Transformer layers; 1 unless the penultimate hidden state must differ from the embeddings (SDXL). */
  layers?: number;
  /** `input_ids` type: int32, or int64 (Olive's SDXL text_encoder_2). */
  idsType?: ElemType;
  /** Leave out last_hidden_state (webnn/sdxl-turbo's encoders give only what SDXL uses). */
  noLastHiddenState?: boolean;
  /**
   * `hidden_states.N` outputs (dims as hiddenState): `all` for 0…layers (optimum with
   * output_hidden_states), or chosen layers under chosen names (webnn: the penultimate as `hidden_states.11`).
   */
  hiddenStates?: 'all' | { layer: number; name: string }[];
  /** CLIPTextModelWithProjection's `text_embeds`: the pooled end-of-text token through text_projection, `width` wide. */
  textEmbeds?: { dims: readonly Dim[]; width: number };
  /** int4 weights (MatMulNBits, GatherBlockQuantized), float32 math. */
  quantize?: 'q4';
}

export const SD_TURBO_TEXT: TextEncoderOptions = {
  hidden: TINY.hidden,
  io: FLOAT,
  compute: FLOAT,
  ids: ['batch_size', 'sequence_length'],
  hiddenState: ['batch_size', 'sequence_length', TINY.hidden],
};

/** CLIP text model: embeddings, pre-norm transformer layers (one by default), final LayerNorm. */
export function textEncoderGraph(vocabSize: number, seed: number, opts: TextEncoderOptions = SD_TURBO_TEXT): GraphBuilder {
  const n = new Net('text_encoder', seed, opts.compute, opts.quantize);
  const { g } = n;
  const H = opts.hidden;
  const ids = g.input('input_ids', opts.idsType ?? DataType.INT32, opts.ids);
  const tokens = n.embedding('text_model.embeddings.token_embedding.weight', vocabSize, H, ids);
  const length = g.node('Slice', [g.node('Shape', [ids]), g.ints('seq_axis_start', [1]), g.ints('seq_axis_end', [2])]);
  const table = n.weight('text_model.embeddings.position_embedding.weight', [TINY.maxLength, H], 1, 0.3);
  const positions = g.node('Slice', [table, g.ints('pos_start', [0]), length, g.ints('pos_axes', [0])]);
  let h = g.node('Add', [tokens, positions]);
  const hidden = [h]; // hidden_states[0] is the embeddings, [i] the output of layer i, as transformers' CLIP gives them

  for (let i = 0; i < (opts.layers ?? 1); i++) {
    const layer = `text_model.encoder.layers.${i}`;
    // No causal mask: every position sees the whole prompt, which only makes the
    // tiny model more prompt-sensitive; the real CLIP is causal.
    const a = n.layerNorm(h, `${layer}.layer_norm1`, H);
    const q = n.linear(a, `${layer}.self_attn.q_proj`, H, H, 3);
    const k = n.linear(a, `${layer}.self_attn.k_proj`, H, H);
    const v = n.linear(a, `${layer}.self_attn.v_proj`, H, H);
    const logits = g.node('Mul', [g.node('MatMul', [q, g.node('Transpose', [k], { perm: [0, 2, 1] })]), n.scalar(i ? `attn_scale_${i}` : 'attn_scale', 1 / Math.sqrt(H))]);
    const attended = g.node('MatMul', [g.node('Softmax', [logits], { axis: -1 }), v]);
    h = g.node('Add', [h, n.linear(attended, `${layer}.self_attn.out_proj`, H, H)]);

    const m = n.linear(n.layerNorm(h, `${layer}.layer_norm2`, H), `${layer}.mlp.fc1`, H, 4 * H);
    const quickGelu = g.node('Mul', [m, g.node('Sigmoid', [g.node('Mul', [m, n.scalar(i ? `quick_gelu_alpha_${i}` : 'quick_gelu_alpha', 1.702)])])]);
    h = g.node('Add', [h, n.linear(quickGelu, `${layer}.mlp.fc2`, 4 * H, H)]);
    hidden.push(h);
  }

  const last = opts.noLastHiddenState
    ? n.layerNorm(h, 'text_model.final_layer_norm', H)
    : n.floatOutput('last_hidden_state', opts.io, opts.hiddenState, (output) => n.layerNorm(h, 'text_model.final_layer_norm', H, output));
  // CLIP pools the end-of-text token, found as the largest id (argmax), as transformers does.
  const pool = (output?: string) => {
    const eos = g.node('ArgMax', [ids], { axis: 1, keepdims: 1 }); // [B, 1]
    const index = g.node('Expand', [g.node('Unsqueeze', [eos, g.ints('pool_axes', [2])]), g.ints('pool_shape', [1, 1, H])]);
    return g.node('Squeeze', [g.node('GatherElements', [last, index], { axis: 1 }), g.ints('pool_squeeze', [1])], {}, output);
  };
  if (opts.pooler) n.floatOutput('pooler_output', opts.io, opts.pooler, pool);
  if (opts.textEmbeds) {
    const { width, dims } = opts.textEmbeds;
    n.floatOutput('text_embeds', opts.io, dims, (output) => n.linear(pool(), 'text_projection', H, width, 1, false, output));
  }
  const wanted = opts.hiddenStates === 'all' ? hidden.map((_, layer) => ({ layer, name: `hidden_states.${layer}` })) : (opts.hiddenStates ?? []);
  for (const { layer, name } of wanted) n.floatOutput(name, opts.io, opts.hiddenState, (output) => g.node('Identity', [hidden[layer]!], {}, output));
  return g;
}

/** What a UNet export declares, and how big its key-bias tables are. */
export interface UnetOptions {
  /** Type of sample, encoder_hidden_states, out_sample (and timestep_cond). */
  io: FloatType;
  compute: FloatType;
  /** The `timestep` input: int64, float32 or float16, and its dims. */
  timestep: { type: ElemType; dims: readonly Dim[] };
  sample: readonly Dim[];
  /** `encoder_hidden_states` dims; the last one is the text width. */
  context: readonly Dim[];
  out: readonly Dim[];
  /** Text width (cross_attention_dim). */
  hidden: number;
  /** See {@link AttentionOptions.timeBiasTokens}. */
  timeBiasTokens: number;
  /** LCM's `timestep_cond` ([batch, dim], the guidance-scale embedding) projected into the time embedding, as diffusers' time_cond_proj_dim. */
  timeCond?: { dim: number; dims: readonly Dim[] };
  /** Bytes of per-timestep tables that bring the weights to a real UNet's size (see Net.ballast); float32 compute only. */
  ballastBytes?: number;
  /**
   * SDXL's added conditioning (diffusers' addition_embed_type "text_time"): `text_embeds`
   * [batch, width] and `time_ids` [batch, 6], each id through a sinusoid (add_time_proj), concatenated
   * with text_embeds, through add_embedding's MLP into the time embedding.
   */
  added?: { textEmbeds: readonly Dim[]; textEmbedsWidth: number; timeIds: readonly Dim[] };
  /** int4 weights for the linear layers (MatMulNBits), float32 math; convolutions stay float. */
  quantize?: 'q4';
}

export const SD_TURBO_UNET: UnetOptions = {
  io: FLOAT,
  compute: FLOAT,
  timestep: { type: INT64, dims: ['steps'] },
  sample: ['batch_size', 'num_channels', 'height', 'width'],
  context: ['batch_size', 'sequence_length', TINY.hidden],
  out: ['batch_size', 4, 'height', 'width'],
  hidden: TINY.hidden,
  timeBiasTokens: TINY.maxLength,
};

/** A two-level UNet, narrow enough that a software GPU runs it in about a second. */
export function unetGraph(seed: number, opts: UnetOptions = SD_TURBO_UNET): GraphBuilder {
  const n = new Net('unet', seed, opts.compute, opts.quantize);
  const { g } = n;
  const [c0, c1] = TINY.unetChannels;
  const sample = n.floatInput('sample', opts.io, opts.sample);
  const timestep = g.input('timestep', opts.timestep.type, opts.timestep.dims);
  const context = n.floatInput('encoder_hidden_states', opts.io, opts.context);
  const timeCond = opts.timeCond && n.floatInput('timestep_cond', opts.io, opts.timeCond.dims);
  const timestepIndex = keyBiasIndex(n, timestep, opts.timestep.type);

  // Sinusoidal timestep embedding (flip_sin_to_cos: cos first), then an MLP.
  const half = 32;
  const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const time = opts.timestep.type === opts.compute ? timestep : g.node('Cast', [timestep], { to: opts.compute });
  const t = g.node('Unsqueeze', [time, g.ints('time_axis', [1])]);
  const args = g.node('Mul', [t, n.floats('time_proj.freqs', [1, half], freqs)]);
  let sinusoid = g.node('Concat', [g.node('Cos', [args]), g.node('Sin', [args])], { axis: 1 });
  if (opts.timeCond && timeCond) {
    // diffusers' TimestepEmbedding adds cond_proj(condition) to the sinusoid before linear_1.
    const cond = n.linear(timeCond, 'time_embedding.cond_proj', opts.timeCond.dim, 2 * half, 2, false);
    sinusoid = g.node('Add', [sinusoid, cond]);
  }
  const temb1 = n.linear(sinusoid, 'time_embedding.linear_1', 2 * half, TINY.timeDim);
  let temb = n.linear(n.silu(temb1), 'time_embedding.linear_2', TINY.timeDim, TINY.timeDim);
  if (opts.added) temb = g.node('Add', [temb, addedEmbedding(n, opts.added, opts.io)]);

  // Few, narrow convs: on SwiftShader each costs tens of ms even at 16x16.
  const attention = { hidden: opts.hidden, timeBiasTokens: opts.timeBiasTokens };
  let h = n.conv(sample, 'conv_in', 4, c0);
  const skip = h;
  h = n.conv(h, 'down_blocks.0.downsamplers.0.conv', c0, c1, { stride: 2 });
  h = n.resnet(h, 'mid_block.resnets.0', c1, c1, temb);
  h = n.crossAttention(h, context, timestepIndex, 'mid_block.attentions.0', c1, attention);
  h = n.resnet(h, 'mid_block.resnets.1', c1, c1, temb);
  h = n.crossAttention(h, context, timestepIndex, 'mid_block.attentions.1', c1, attention);
  h = n.conv(n.upsample(h, 'up_blocks.0.upsamplers.0'), 'up_blocks.0.upsamplers.0.conv', c1, c0);
  h = g.node('Concat', [h, skip], { axis: 1 });
  h = n.conv(n.silu(n.groupNorm(h, 'up_blocks.1.norm', 2 * c0)), 'up_blocks.1.conv', 2 * c0, c0);
  // A trained UNet at t=999 predicts ε ≈ its input; the identity path mimics that, so
  // x0 = latents − σ·ε is the small learned part (std ≈ 1, like real latents) and the
  // picture comes from the network, not from the raw noise.
  let learned = n.conv(n.silu(n.groupNorm(h, 'conv_norm_out', c0)), 'conv_out', c0, 4, { gain: 0.12 });
  if (opts.ballastBytes) learned = g.node('Add', [learned, n.ballast(timestepIndex, opts.ballastBytes)]);
  n.floatOutput('out_sample', opts.io, opts.out, (output) => g.node('Add', [sample, learned], {}, output));
  return g;
}

/** SDXL's aug_emb: [sinusoids of each time id ‖ text_embeds] → linear → SiLU → linear, `[batch, timeDim]`. */
function addedEmbedding(n: Net, added: NonNullable<UnetOptions['added']>, io: FloatType): string {
  const { g } = n;
  const textEmbeds = n.floatInput('text_embeds', io, added.textEmbeds);
  const timeIds = n.floatInput('time_ids', io, added.timeIds);
  // Frequencies low enough that pixel sizes (hundreds) and crop offsets (0) give distinct sinusoids.
  const perId = 8;
  const freqs = Float32Array.from({ length: perId / 2 }, (_, i) => Math.exp((-Math.log(10000) * (i + 2)) / (perId / 2)));
  const args = g.node('Mul', [g.node('Unsqueeze', [timeIds, g.ints('add_time_axis', [2])]), n.floats('add_time_proj.freqs', [1, 1, perId / 2], freqs)]);
  const sinusoids = g.node('Concat', [g.node('Cos', [args]), g.node('Sin', [args])], { axis: 2 }); // [B, 6, perId]
  const flat = g.node('Reshape', [sinusoids, g.ints('add_time_flat', [0, -1])]); // [B, 6·perId]
  const joined = g.node('Concat', [flat, textEmbeds], { axis: 1 });
  const width = 6 * perId + added.textEmbedsWidth;
  const a = n.linear(joined, 'add_embedding.linear_1', width, TINY.timeDim, 2);
  return n.linear(n.silu(a), 'add_embedding.linear_2', TINY.timeDim, TINY.timeDim, 2);
}

/**
 * The int64 row of the key-bias tables for a timestep. A float timestep is truncated
 * and clipped to the table: schedulers hand out fractional or, rarely, 1000-ish values
 * that a real UNet (sinusoids only) takes without complaint.
 */
function keyBiasIndex(n: Net, timestep: string, type: ElemType): string {
  if (type === INT64) return timestep;
  const { g } = n;
  const index = g.node('Cast', [timestep], { to: INT64 });
  const lowest = g.init('timestep_index_min', [], BigInt64Array.of(0n));
  const highest = g.init('timestep_index_max', [], BigInt64Array.of(BigInt(TINY.trainTimesteps - 1)));
  return g.node('Clip', [index, lowest, highest]);
}

/** What a VAE decoder export declares; `tanh` makes it end in Conv → Tanh. */
export interface VaeDecoderOptions {
  io: FloatType;
  compute: FloatType;
  latent: readonly Dim[];
  sample: readonly Dim[];
  /**
   * Ends the decoder in a full-resolution 3x3 Conv whose pre-activations reach the hundreds,
   * then Tanh: a fixture for onnxruntime-web's WebGPU fused Conv+Tanh returning NaN
   * beyond ±45 (wasm stays finite). The value is the last conv's weight gain.
   */
  tanhGain?: number;
}

export const SD_TURBO_VAE_DECODER: VaeDecoderOptions = {
  io: FLOAT,
  compute: FLOAT,
  latent: ['batch_size', 'num_channels_latent', 'height_latent', 'width_latent'],
  sample: ['batch_size', 3, 'height', 'width'],
};

/** Name of the value the tanh decoder's last Conv writes (its pre-activation), for tests that expose it. */
export const TANH_PRE_ACTIVATION = '/decoder/conv_act/Conv_output_0';

/** VAE decoder: 4 latent channels up to RGB at 8x the resolution. */
export function vaeDecoderGraph(seed: number, opts: VaeDecoderOptions = SD_TURBO_VAE_DECODER): GraphBuilder {
  const n = new Net('vae_decoder', seed, opts.compute);
  const { g } = n;
  const [, , c2, c3] = TINY.vaeChannels;
  const latent = n.floatInput('latent_sample', opts.io, opts.latent);
  let h = n.conv(latent, 'post_quant_conv', 4, 4, { k: 1 });
  h = n.conv(h, 'decoder.conv_in', 4, c3);
  h = n.resnet(h, 'decoder.mid_block.resnets.0', c3, c3);
  h = n.conv(n.upsample(h, 'decoder.up_blocks.0.upsamplers.0'), 'decoder.up_blocks.0.upsamplers.0.conv', c3, c2);
  h = n.silu(n.groupNorm(h, 'decoder.conv_norm_out', c2));
  h = n.conv(h, 'decoder.conv_out', c2, 3, { gain: 1.1 });
  const { tanhGain } = opts;
  n.floatOutput('sample', opts.io, opts.sample, (output) => {
    // The last two doublings are plain bilinear resizes: on SwiftShader a conv at
    // 128x128 takes 1-2 s however narrow (even 8 → 3 channels). The tanh fixture pays
    // for one 3 → 3 conv there, since the fused Conv+Tanh is what it is for.
    const image = n.upsample(n.upsample(h, 'decoder.resize.0', 'linear'), 'decoder.resize.1', 'linear', tanhGain ? undefined : output);
    if (!tanhGain) return image;
    const preActivation = n.conv(image, 'decoder.conv_act', 3, 3, { gain: tanhGain, output: TANH_PRE_ACTIVATION });
    return g.node('Tanh', [preActivation], {}, output);
  });
  return g;
}

/** What a VAE encoder export declares. */
export interface VaeEncoderOptions {
  io: FloatType;
  compute: FloatType;
  sample: readonly Dim[];
  latent: readonly Dim[];
}

/**
 * VAE encoder: RGB down to 4 latent channels at 1/8 the resolution. It returns the
 * posterior's mean, so it is deterministic; diffusers' export samples it instead
 * (a RandomNormalLike node), which tests could not pin down.
 */
export function vaeEncoderGraph(seed: number, opts: VaeEncoderOptions): GraphBuilder {
  const n = new Net('vae_encoder', seed, opts.compute);
  const { g } = n;
  const [, , , c3] = TINY.vaeChannels;
  const image = n.floatInput('sample', opts.io, opts.sample);
  // Pool 8x8 first, the mirror of the decoder's resizes: convs at image resolution are
  // what a software GPU cannot afford.
  let h = g.node('AveragePool', [image], { kernel_shape: [8, 8], strides: [8, 8] });
  h = n.conv(h, 'encoder.conv_in', 3, c3);
  h = n.resnet(h, 'encoder.mid_block.resnets.0', c3, c3);
  h = n.conv(n.silu(n.groupNorm(h, 'encoder.conv_norm_out', c3)), 'encoder.conv_out', c3, 8);
  const moments = n.conv(h, 'quant_conv', 8, 8, { k: 1 }); // mean and log-variance, 4 channels each
  n.floatOutput('latent_sample', opts.io, opts.latent, (output) =>
    g.node('Slice', [moments, g.ints('mean_start', [0]), g.ints('mean_end', [4]), g.ints('mean_axes', [1])], {}, output),
  );
  return g;
}

/**
 * A stand-in for the small helper graphs a flat webnn repo also holds (concat, latents,
 * scheduler, safety checker): float16 in, float16 out. The app never opens them; they are there
 * so a test can see they are not fetched.
 */
export function helperGraph(path: string): GraphBuilder {
  const n = new Net(path.replace(/^.*\//, '').replace(/\.onnx$/, ''), 0, DataType.FLOAT16);
  const x = n.g.input('sample', DataType.FLOAT16, ['batch', 4, 'height', 'width']);
  n.g.node('Identity', [x], {}, 'out');
  n.g.output('out', DataType.FLOAT16, ['batch', 4, 'height', 'width']);
  return n.g;
}
