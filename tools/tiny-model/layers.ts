// The building blocks of the tiny models: sizes, seeded weights and diffusers-like layers
// over a GraphBuilder. A Net computes in float32 or float16; its I/O helpers add the Cast
// nodes a model needs when its inputs and outputs use another float type than its math.
import { type AttrValue, DataType, type Dim, float, Float16Data, GraphBuilder, StreamedFloats } from './onnx-writer.ts';

/** Sizes shared by every tiny model. */
export const TINY = {
  merges: 2000, // ~2.5k tokens: enough for 'a photo of a cat', small enough to read
  hidden: 64, // text hidden size = UNet cross_attention_dim (1024 in SD-Turbo and SD 2.x)
  maxLength: 77,
  trainTimesteps: 1000,
  timeDim: 128, // width of the timestep embedding MLP
  unetChannels: [32, 64] as const, // at the latent resolution, then at half of it
  attentionDim: 56, // also the width of the per-timestep key-bias tables, ~35 MB in all
  vaeChannels: [8, 8, 16, 32] as const, // diffusers block_out_channels: 4 levels = 8x
  // SD uses 32; WebGPU's InstanceNormalization costs ~3-5 ms per group on SwiftShader.
  normGroups: 8,
  // Largest ballast table (see Net.ballast): about a real SD UNet's largest tensor (59 MB),
  // well inside WebGPU's default 128 MiB storage-buffer binding and protobuf's 2 GB.
  ballastTableBytes: 64 * 2 ** 20,
} as const;

/** The float types a tiny model computes in or exchanges. */
export type FloatType = typeof DataType.FLOAT | typeof DataType.FLOAT16;

/** Block size of the int4 weights (MatMulNBits and GatherBlockQuantized take 16 and up, powers of two). */
export const Q4_BLOCK = 16;

/**
 * int4 block quantization of `rows` × `cols` values (row-major) along each row, as onnxruntime's
 * MatMulNBits and GatherBlockQuantized store it: two values a byte, low nibble first, zero point
 * 8 (their default), one float scale per block of Q4_BLOCK, each row padded to whole blocks.
 * `dequantized` are the values the model computes with.
 */
export function quantizeQ4(values: Float32Array, rows: number, cols: number) {
  const blocks = Math.ceil(cols / Q4_BLOCK);
  const packed = new Uint8Array(rows * blocks * (Q4_BLOCK / 2));
  const scales = new Float32Array(rows * blocks);
  const dequantized = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      const start = b * Q4_BLOCK;
      const end = Math.min(cols, start + Q4_BLOCK);
      let max = 0;
      for (let c = start; c < end; c++) max = Math.max(max, Math.abs(values[r * cols + c]!));
      const scale = max / 7 || 1;
      scales[r * blocks + b] = scale;
      for (let c = start; c < end; c++) {
        const q = Math.max(0, Math.min(15, Math.round(values[r * cols + c]! / scale) + 8));
        dequantized[r * cols + c] = (q - 8) * Math.fround(scale);
        const at = r * blocks * (Q4_BLOCK / 2) + (c >> 1);
        packed[at] = packed[at]! | (c & 1 ? q << 4 : q);
      }
      for (let c = end; c < start + Q4_BLOCK; c++) {
        const at = r * blocks * (Q4_BLOCK / 2) + (c >> 1);
        packed[at] = packed[at]! | (c & 1 ? 8 << 4 : 8); // padding reads as 0
      }
    }
  }
  return { packed, scales, blocks, dequantized };
}

// Each tensor gets its own stream seeded by (seed, name), so adding a tensor leaves
// the others' bytes alone. mulberry32 is integer math and a uniform draw needs no
// Math.random or libm: the same bytes on every machine.
function rng(seed: number, name: string): () => number {
  let a = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) a = Math.imul(a ^ name.charCodeAt(i), 0x01000193);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How a cross-attention block reads the text. */
export interface AttentionOptions {
  /** Width of the text embeddings (the UNet's cross_attention_dim). */
  hidden: number;
  /**
   * Token positions in the per-timestep bias table: 77 (a bias on the keys, per token)
   * makes the default model a 35 MB download; 1 keeps a repo small, and then biases the
   * values, since a bias shared by every key cancels out in the softmax.
   */
  timeBiasTokens: number;
}

/** Layers over a GraphBuilder, with weights drawn like PyTorch's default init. */
export class Net {
  readonly g: GraphBuilder;
  /**
   * @param compute float type of the weights and the arithmetic. float16 weights are the
   *   float32 draws rounded, so a float16 model is its float32 twin at lower precision.
   */
  constructor(
    name: string,
    private readonly seed: number,
    readonly compute: FloatType = DataType.FLOAT,
    /** `q4`: linear layers as MatMulNBits and embeddings as GatherBlockQuantized (com.microsoft), as int4 exports are; float32 compute only. */
    readonly quantize?: 'q4',
  ) {
    this.g = new GraphBuilder(name);
    if (quantize && compute !== DataType.FLOAT) throw new Error(`${name}: int4 weights are written for float32 compute only`);
  }

  /** A float initializer in the compute type. */
  floats(name: string, dims: readonly number[], values: Float32Array): string {
    return this.g.init(name, dims, this.compute === DataType.FLOAT16 ? Float16Data.from(values) : values);
  }

  /** A float scalar in the compute type. */
  scalar(name: string, value: number): string {
    return this.g.scalar(name, value, this.compute);
  }

  /** Uniform weights with std = gain / sqrt(fanIn), which keeps activations near unit scale. */
  weight(name: string, dims: number[], fanIn: number, gain = 1): string {
    return this.floats(name, dims, this.draw(name, dims, fanIn, gain));
  }

  /** The values of {@link weight}, drawn from the tensor's own stream. */
  private draw(name: string, dims: number[], fanIn: number, gain: number): Float32Array {
    const next = rng(this.seed, `${this.g.name}/${name}`);
    const half = gain * Math.sqrt(3 / fanIn);
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (2 * next() - 1) * half;
    return data;
  }

  /** A lookup table `[rows, width]` read with `ids` (Gather), or its int4 form (GatherBlockQuantized) when quantized. */
  embedding(name: string, rows: number, width: number, ids: string): string {
    if (!this.quantize) return this.g.node('Gather', [this.weight(name, [rows, width], 1), ids]);
    const { packed, scales, blocks } = quantizeQ4(this.draw(name, [rows, width], 1, 1), rows, width);
    if (blocks * Q4_BLOCK !== width) throw new Error(`${name}: GatherBlockQuantized wants the width (${width}) in whole blocks of ${Q4_BLOCK}`);
    const data = this.g.init(`${name}_Q4`, [rows, width / 2], packed);
    const s = this.g.init(`${name}_scales`, [rows, blocks], scales);
    return this.g.node('GatherBlockQuantized', [data, ids, s], { gather_axis: 0, quantize_axis: 1, block_size: Q4_BLOCK, bits: 4 }, undefined, 'com.microsoft');
  }

  /**
   * Uniform weights in [-amp, amp) from xorshift32, made while the model is written:
   * for tables of hundreds of megabytes, at about a nanosecond a value.
   */
  streamedWeight(name: string, dims: number[], amp: number): string {
    if (this.compute !== DataType.FLOAT) throw new Error(`${name}: streamed weights are float32 only`);
    const seed = Math.floor(rng(this.seed, `${this.g.name}/${name}`)() * 4294967296) | 0 || 1; // xorshift needs a non-zero state
    const scale = amp / 2147483648;
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new StreamedFloats(count, () => {
      let x = seed;
      return (out) => {
        for (let i = 0; i < out.length; i++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          out[i] = x * scale;
        }
      };
    });
    return this.g.init(name, dims, data);
  }

  filled(name: string, dims: number[], value: number): string {
    return this.floats(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value));
  }

  /** A float graph input of type `io`, cast to the compute type when they differ (as keep_io_types exports do). */
  floatInput(name: string, io: FloatType, dims: readonly Dim[]): string {
    const x = this.g.input(name, io, dims);
    return io === this.compute ? x : this.g.node('Cast', [x], { to: this.compute });
  }

  /**
   * Declares graph output `name` of type `io`. `produce` builds the last computed value,
   * naming it `name` when no Cast is needed, and returns its name.
   */
  floatOutput(name: string, io: FloatType, dims: readonly Dim[], produce: (output?: string) => string): string {
    const last = io === this.compute ? produce(name) : produce();
    if (io !== this.compute) this.g.node('Cast', [last], { to: io }, name);
    this.g.output(name, io, dims);
    return last;
  }

  /** x · W (+ b); `output` names the result. */
  linear(x: string, name: string, inDim: number, outDim: number, gain = 1, bias = true, output?: string): string {
    const mm = (out?: string) =>
      this.quantize ? this.matMulNBits(x, `${name}.weight`, inDim, outDim, gain, out) : this.g.node('MatMul', [x, this.weight(`${name}.weight`, [inDim, outDim], inDim, gain)], {}, out);
    if (!bias) return mm(output);
    return this.g.node('Add', [mm(), this.weight(`${name}.bias`, [outDim], inDim, 0.1)], {}, output);
  }

  /** x · W with W `[inDim, outDim]` stored as MatMulNBits keeps it: transposed, int4 blocks along inDim. */
  private matMulNBits(x: string, name: string, inDim: number, outDim: number, gain: number, output?: string): string {
    const w = this.draw(name, [inDim, outDim], inDim, gain);
    const transposed = new Float32Array(inDim * outDim);
    for (let k = 0; k < inDim; k++) for (let n = 0; n < outDim; n++) transposed[n * inDim + k] = w[k * outDim + n]!;
    const { packed, scales, blocks } = quantizeQ4(transposed, outDim, inDim);
    const b = this.g.init(`${name}_Q4`, [outDim, blocks, Q4_BLOCK / 2], packed);
    const s = this.g.init(`${name}_scales`, [outDim * blocks], scales);
    return this.g.node('MatMulNBits', [x, b, s], { K: inDim, N: outDim, bits: 4, block_size: Q4_BLOCK }, output, 'com.microsoft');
  }

  conv(x: string, name: string, cin: number, cout: number, { k = 3, stride = 1, gain = 1, output = '' } = {}): string {
    const fanIn = cin * k * k;
    const w = this.weight(`${name}.weight`, [cout, cin, k, k], fanIn, gain);
    const b = this.weight(`${name}.bias`, [cout], fanIn, 0.1);
    const p = (k - 1) >> 1;
    return this.g.node('Conv', [x, w, b], { kernel_shape: [k, k], pads: [p, p, p, p], strides: [stride, stride] }, output || undefined);
  }

  silu(x: string): string {
    return this.g.node('Mul', [x, this.g.node('Sigmoid', [x])]);
  }

  /** GroupNorm as torch.onnx exports it for opset < 18: InstanceNormalization over [N, G, -1]. */
  groupNorm(x: string, name: string, channels: number, groups = TINY.normGroups): string {
    const grouped = this.g.node('Reshape', [x, this.g.ints(`${name}.groups_shape`, [0, groups, -1])]);
    const normed = this.g.node(
      'InstanceNormalization',
      [grouped, this.filled(`${name}.instance_scale`, [groups], 1), this.filled(`${name}.instance_bias`, [groups], 0)],
      { epsilon: float(1e-5) },
    );
    const back = this.g.node('Reshape', [normed, this.g.node('Shape', [x])]);
    const scaled = this.g.node('Mul', [back, this.filled(`${name}.weight`, [channels, 1, 1], 1)]);
    return this.g.node('Add', [scaled, this.filled(`${name}.bias`, [channels, 1, 1], 0)]);
  }

  layerNorm(x: string, name: string, dim: number, output?: string): string {
    const scale = this.filled(`${name}.weight`, [dim], 1);
    const bias = this.filled(`${name}.bias`, [dim], 0);
    return this.g.node('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: float(1e-5) }, output);
  }

  /** ×2 as torch.onnx exports F.interpolate(scale_factor=2), nearest or bilinear. */
  upsample(x: string, name: string, mode: 'nearest' | 'linear' = 'nearest', output?: string): string {
    // Resize takes its scales as float32 whatever the data's type.
    const scales = this.g.init(`${name}.scales`, [4], Float32Array.of(1, 1, 2, 2));
    const attrs: Record<string, AttrValue> =
      mode === 'nearest'
        ? { mode, coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
        : { mode, coordinate_transformation_mode: 'pytorch_half_pixel' };
    return this.g.node('Resize', [x, '', scales], attrs, output);
  }

  /** diffusers ResnetBlock2D: norm, SiLU, conv, (+ time), norm, SiLU, conv, + shortcut. */
  resnet(x: string, name: string, cin: number, cout: number, temb?: string): string {
    let h = this.conv(this.silu(this.groupNorm(x, `${name}.norm1`, cin)), `${name}.conv1`, cin, cout);
    if (temb) {
      const t = this.linear(this.silu(temb), `${name}.time_emb_proj`, TINY.timeDim, cout);
      h = this.g.node('Add', [h, this.g.node('Unsqueeze', [t, this.g.ints(`${name}.time_axes`, [2, 3])])]);
    }
    h = this.conv(this.silu(this.groupNorm(h, `${name}.norm2`, cout)), `${name}.conv2`, cout, cout);
    const shortcut = cin === cout ? x : this.conv(x, `${name}.conv_shortcut`, cin, cout, { k: 1 });
    return this.g.node('Add', [shortcut, h]);
  }

  /**
   * Bytes that make a model as big as a real one at no cost to run: `bytes` of float32
   * tables [1000 timesteps, width], none over TINY.ballastTableBytes, each read with one
   * Gather by the int64 `timestepIndex` and averaged, so onnxruntime must load every byte
   * but computes only a row's mean. Returns their sum, [steps, 1, 1, 1]: a small
   * per-timestep term (about ±0.3 / √width a table).
   */
  ballast(timestepIndex: string, bytes: number): string {
    const g = this.g;
    const rows = TINY.trainTimesteps;
    const count = Math.ceil(bytes / TINY.ballastTableBytes);
    const width = Math.floor(bytes / count / (rows * 4));
    if (width < 1) throw new Error(`ballast of ${bytes} bytes is too small for a [${rows}, width] float32 table`);
    const terms = Array.from({ length: count }, (_, i) => {
      const table = this.streamedWeight(`ballast.${i}.time_table`, [rows, width], 0.5);
      return g.node('ReduceMean', [g.node('Gather', [table, timestepIndex])], { axes: [1], keepdims: 1 }); // [steps, 1]
    });
    const sum = count === 1 ? terms[0]! : g.node('Sum', terms);
    return g.node('Unsqueeze', [sum, g.ints('ballast.axes', [2, 3])]);
  }

  /**
   * Single-head attention of the feature map (queries) over the text (keys, values).
   * Sharp logits and a strong output projection make the prompt change the picture.
   * The keys (or, with one position, the values) also get a learned bias per (timestep,
   * token position), read with one Gather by the int64 `timestepIndex`: with 77
   * positions these tables are most of the file, so a download is a real ~35 MB stream
   * that costs nothing to run. The same bytes as conv weights would cost seconds per run
   * on SwiftShader's WebGPU (a 5 MB 3x3 conv at 8x8 takes ~1 s there).
   */
  crossAttention(x: string, context: string, timestepIndex: string, name: string, channels: number, opts: AttentionOptions): string {
    const g = this.g;
    const d = TINY.attentionDim;
    const flat = g.node('Reshape', [this.groupNorm(x, `${name}.norm`, channels), g.ints(`${name}.flat_shape`, [0, 0, -1])]);
    const tokens = g.node('Transpose', [flat], { perm: [0, 2, 1] }); // [B, H*W, C]
    const q = this.linear(tokens, `${name}.to_q`, channels, d, 8, false);
    const onKeys = opts.timeBiasTokens > 1;
    const tableName = `${name}.${onKeys ? 'time_key_bias' : 'time_value_bias'}`;
    const table = this.weight(tableName, [TINY.trainTimesteps, opts.timeBiasTokens, d], 1, onKeys ? 0.3 : 1);
    // Slicing to the prompt's length leaves a 1-position table whole, to broadcast over tokens.
    const length = g.node('Slice', [g.node('Shape', [context]), g.ints(`${name}.seq_start`, [1]), g.ints(`${name}.seq_end`, [2])]);
    const bias = g.node('Slice', [g.node('Gather', [table, timestepIndex]), g.ints(`${name}.bias_start`, [0]), length, g.ints(`${name}.bias_axes`, [1])]);
    let k = this.linear(context, `${name}.to_k`, opts.hidden, d, 1, false);
    if (onKeys) k = g.node('Add', [k, bias]);
    let v = this.linear(context, `${name}.to_v`, opts.hidden, d, 1, false);
    if (!onKeys) v = g.node('Add', [v, bias]);
    const logits = g.node('Mul', [g.node('MatMul', [q, g.node('Transpose', [k], { perm: [0, 2, 1] })]), this.scalar(`${name}.scale`, 1 / Math.sqrt(d))]);
    const attended = g.node('MatMul', [g.node('Softmax', [logits], { axis: -1 }), v]);
    const out = this.linear(attended, `${name}.to_out.0`, d, channels, 8);
    const map = g.node('Reshape', [g.node('Transpose', [out], { perm: [0, 2, 1] }), g.node('Shape', [x])]);
    return g.node('Add', [x, map]);
  }
}
