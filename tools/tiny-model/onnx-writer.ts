// A minimal ONNX writer: just enough protobuf to emit a ModelProto that onnxruntime
// loads, plus a small graph builder so model definitions read top to bottom.
// Field numbers are those of onnx/onnx.proto (proto2); repeated scalars are written
// unpacked, the canonical proto2 encoding every parser accepts. Models whose tensors are
// too big to hold in memory (StreamedFloats) are streamed to disk by writeModel and
// writeModelWithExternalData, the same bytes toModel would give.
import { type FileHandle, open } from 'node:fs/promises';
import { toHalfBitsArray } from '../../src/runtime/float16.ts';

/** TensorProto.DataType values the generator uses. */
export const DataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
/** One of {@link DataType}'s values. */
export type ElemType = (typeof DataType)[keyof typeof DataType];

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/**
 * A protobuf message being written: a list of byte chunks, concatenated once at the end
 * (finish) or written out one after the other (writeTo), when some are streamed.
 */
class Message {
  private parts: (Uint8Array | StreamedFloats)[] = [];
  length = 0;

  private push(bytes: Uint8Array | StreamedFloats): void {
    this.parts.push(bytes);
    this.length += bytes instanceof StreamedFloats ? bytes.byteLength : bytes.length;
  }

  private key(field: number, wireType: number): void {
    this.push(varint(BigInt((field << 3) | wireType)));
  }

  int(field: number, value: number | bigint): this {
    this.key(field, 0);
    // Negative int64s are sent as their 64-bit two's complement (10-byte varint).
    this.push(varint(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.push(varint(BigInt(value.length)));
    this.push(value);
    return this;
  }

  /** A bytes field whose contents are made while writing: the length goes first, then the chunks. */
  streamed(field: number, value: StreamedFloats): this {
    this.key(field, 2);
    this.push(varint(BigInt(value.byteLength)));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  // Nested messages keep their chunks: a 40 MB tensor is copied once, in finish().
  message(field: number, value: Message): this {
    this.key(field, 2);
    this.push(varint(BigInt(value.length)));
    for (const part of value.parts) this.push(part);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      for (const piece of piecesOf(part)) {
        out.set(piece, offset);
        offset += piece.length;
      }
    }
    return out;
  }

  /** Writes the message at the file's current position, small parts gathered into large writes. */
  async writeTo(file: FileHandle): Promise<void> {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes) await file.write(Buffer.concat(pending, pendingBytes));
      pending = [];
      pendingBytes = 0;
    };
    for (const part of this.parts) {
      if (part instanceof StreamedFloats) {
        await flush();
        for (const piece of part.chunks()) await file.write(piece);
      } else {
        pending.push(part);
        pendingBytes += part.length;
        if (pendingBytes >= 1 << 23) await flush();
      }
    }
    await flush();
  }
}

/**
 * float32 tensor contents too big to hold in memory, made a chunk at a time while the
 * model is written. `start()` begins the sequence afresh and returns a filler that
 * writes the next `out.length` values each call, so a tensor can be written twice.
 */
export class StreamedFloats {
  constructor(
    readonly length: number,
    private readonly start: () => (out: Float32Array) => void,
    private readonly chunkLength = 1 << 22, // 16 MB at a time
  ) {}

  get byteLength(): number {
    return this.length * 4;
  }

  /** The bytes in order; each chunk is a view of one buffer, overwritten by the next. */
  *chunks(): Generator<Uint8Array> {
    const fill = this.start();
    const buffer = new Float32Array(Math.min(this.chunkLength, this.length));
    for (let done = 0; done < this.length; ) {
      const view = buffer.subarray(0, Math.min(buffer.length, this.length - done));
      fill(view);
      done += view.length;
      yield new Uint8Array(view.buffer, 0, view.byteLength);
    }
  }
}

function varint(value: bigint): Uint8Array {
  const bytes: number[] = [];
  do {
    let byte = Number(value & 0x7fn);
    value >>= 7n;
    if (value) byte |= 0x80;
    bytes.push(byte);
  } while (value);
  return Uint8Array.from(bytes);
}

/**
 * float16 tensor contents: the bits of each value, rounded to nearest even from the
 * numbers given. A class of its own because a Uint16Array would read as uint16 data.
 */
export class Float16Data {
  private constructor(readonly bits: Uint16Array) {}
  static from(values: ArrayLike<number>): Float16Data {
    return new Float16Data(toHalfBitsArray(values));
  }
  get length(): number {
    return this.bits.length;
  }
}

/** The bytes of a part or tensor, in one piece or, streamed, in several. */
function piecesOf(data: Uint8Array | TensorData): Iterable<Uint8Array> {
  if (data instanceof Uint8Array) return [data];
  return data instanceof StreamedFloats ? data.chunks() : [bytesOf(data)];
}

/** What an initializer or tensor attribute can hold; the element type follows from it. */
export type TensorData = Float32Array | Int32Array | BigInt64Array | Float16Data | StreamedFloats | Uint8Array;

function elemTypeOf(data: TensorData): ElemType {
  if (data instanceof Float32Array || data instanceof StreamedFloats) return DataType.FLOAT;
  if (data instanceof Uint8Array) return DataType.UINT8; // packed 4-bit weights (MatMulNBits, GatherBlockQuantized)
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof Float16Data) return DataType.FLOAT16;
  return DataType.INT64;
}

function bytesOf(data: Exclude<TensorData, StreamedFloats>): Uint8Array {
  const view = data instanceof Float16Data ? data.bits : data;
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

const byteLengthOf = (data: TensorData): number => (data instanceof StreamedFloats ? data.byteLength : bytesOf(data).length);

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkTensor(name: string, dims: readonly number[], data: TensorData): void {
  // raw_data is little-endian by spec; typed arrays use host order, so refuse the rare big-endian host.
  if (!hostIsLittleEndian) throw new Error('onnx-writer needs a little-endian host');
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`${name}: dims [${dims}] need ${count} values, got ${data.length}`);
}

function tensorProto(name: string, dims: readonly number[], data: TensorData): Message {
  checkTensor(name, dims, data);
  const m = new Message();
  for (const d of dims) m.int(1, d);
  m.int(2, elemTypeOf(data));
  if (name) m.string(8, name);
  return data instanceof StreamedFloats ? m.streamed(9, data) : m.bytes(9, bytesOf(data));
}

/** Where one tensor's bytes sit in an external data file. */
interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

/** A TensorProto whose bytes live in a side file: data_location EXTERNAL plus location/offset/length entries. */
function externalTensorProto(name: string, dims: readonly number[], data: TensorData, ref: ExternalRef): Message {
  checkTensor(name, dims, data);
  const m = new Message();
  for (const d of dims) m.int(1, d);
  m.int(2, elemTypeOf(data));
  m.string(8, name);
  const entries: [string, string][] = [
    ['location', ref.location],
    ['offset', String(ref.offset)],
    ['length', String(ref.length)],
  ];
  for (const [key, value] of entries) m.message(13, new Message().string(1, key).string(2, value));
  return m.int(14, 1); // DataLocation.EXTERNAL
}

/** How {@link GraphBuilder.toModelWithExternalData} lays out its side file. */
export interface ExternalDataOptions {
  /** Each tensor starts at a multiple of this many bytes. Default 4096, a page, so a runtime could map each one. */
  align?: number;
  /**
   * Tensors smaller than this many bytes stay inside the model. Default 1024, as
   * onnx.save_model's size_threshold. It matters: onnxruntime's shape inference reads
   * shapes, axes and Resize scales while loading, before external data is resolved, and
   * fails on a model whose small tensors are outside.
   */
  threshold?: number;
  /** ModelProto.producer_name. */
  producer?: string;
  /**
   * Split the data over this many files, `location`, `location_1`, …, as ort-web-perf's
   * onnx-chunk-external-data.py does for browsers (no file over ~2 GB); a tensor never spans two.
   */
  shards?: number;
}

/** A dimension: a fixed size, or a symbolic name (dim_param) such as 'batch_size'. */
export type Dim = number | string;

/** Without dims the shape is left out (unknown rank); `[]` would declare a scalar. */
function valueInfo(name: string, elemType: ElemType, dims?: readonly Dim[]): Message {
  const tensorType = new Message().int(1, elemType);
  if (dims) {
    const shape = new Message();
    for (const d of dims) {
      const dim = typeof d === 'number' ? new Message().int(1, d) : new Message().string(2, d);
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  const type = new Message().message(1, tensorType);
  return new Message().string(1, name).message(2, type);
}

/** Float attributes must be marked: in JS 1 and 1.0 are the same number. */
export class FloatAttr {
  constructor(readonly value: number | readonly number[]) {}
}
export const float = (value: number | readonly number[]): FloatAttr => new FloatAttr(value);

/** A tensor-valued attribute, e.g. Constant's `value`. */
export class TensorAttr {
  constructor(
    readonly dims: readonly number[],
    readonly data: TensorData,
  ) {}
}
export const tensor = (dims: readonly number[], data: TensorData): TensorAttr => new TensorAttr(dims, data);

export type AttrValue = number | readonly number[] | string | FloatAttr | TensorAttr;

function attribute(name: string, value: AttrValue): Message {
  const m = new Message().string(1, name);
  if (value instanceof TensorAttr) return m.message(5, tensorProto('', value.dims, value.data)).int(20, AttrType.TENSOR);
  if (value instanceof FloatAttr) {
    if (typeof value.value === 'number') return m.float(2, value.value).int(20, AttrType.FLOAT);
    for (const v of value.value) m.float(7, v);
    return m.int(20, AttrType.FLOATS);
  }
  if (typeof value === 'string') return m.string(4, value).int(20, AttrType.STRING);
  if (typeof value === 'number') return m.int(3, value).int(20, AttrType.INT);
  for (const v of value) m.int(8, v);
  return m.int(20, AttrType.INTS);
}

/**
 * Builds one ONNX graph. `node()` returns its output's name, so a model reads like
 * the math: `const y = g.node('Add', [g.node('MatMul', [x, w]), b])`.
 */
export class GraphBuilder {
  private nodes: Message[] = [];
  private initializers: { name: string; dims: readonly number[]; data: TensorData }[] = [];
  private inputs: Message[] = [];
  private outputs: Message[] = [];
  private names = new Set<string>();
  private domains = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate value name ${name}`);
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims));
    return name;
  }

  output(name: string, elemType: ElemType, dims?: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  init(name: string, dims: readonly number[], data: TensorData): string {
    checkTensor(name, dims, data);
    this.initializers.push({ name: this.claim(name), dims, data });
    return name;
  }

  /** A small int64 constant such as a shape or a list of axes. */
  ints(name: string, values: readonly number[]): string {
    return this.init(name, [values.length], BigInt64Array.from(values, BigInt));
  }

  /** A float scalar (rank 0), broadcast by Mul/Add; float16 when the graph computes in float16. */
  scalar(name: string, value: number, elemType: typeof DataType.FLOAT | typeof DataType.FLOAT16 = DataType.FLOAT): string {
    return this.init(name, [], elemType === DataType.FLOAT16 ? Float16Data.from([value]) : Float32Array.of(value));
  }

  /**
   * Adds a node; returns the name of its (first) output. `output` names the result,
   * e.g. a graph output; otherwise a unique name is made up. An empty string in
   * `inputs` skips an optional input, as in ONNX. `domain` names an operator set other than
   * ONNX's own (e.g. `com.microsoft` for onnxruntime's contrib ops); the model then imports it.
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, output?: string, domain?: string): string {
    const id = this.counter++;
    const out = this.claim(output ?? `/${opType}_${id}_output_0`);
    const m = new Message();
    for (const i of inputs) m.string(1, i);
    m.string(2, out);
    m.string(3, `/${opType}_${id}`);
    m.string(4, opType);
    for (const [name, value] of Object.entries(attrs)) m.message(5, attribute(name, value));
    if (domain) {
      m.string(7, domain);
      this.domains.add(domain);
    }
    this.nodes.push(m);
    return out;
  }

  /** Serializes a ModelProto (ir_version 8, default domain opset 17) with every initializer inside. */
  toModel(producer = 'tiny-model'): Uint8Array {
    return this.model(this.inlineTensors(), producer).finish();
  }

  /**
   * Writes what {@link toModel} returns to `path`, streaming big tensors, so a model of
   * gigabytes needs megabytes of memory. One of 2 GB or more is refused: protobuf (and
   * so onnxruntime) cannot read it.
   */
  async writeModel(path: string, producer = 'tiny-model'): Promise<void> {
    const model = this.model(this.inlineTensors(), producer);
    if (model.length >= 2 ** 31) throw new Error(`${this.name}: a ${model.length}-byte model is over protobuf's 2 GB limit; use external data`);
    await writeFile(path, (file) => model.writeTo(file));
  }

  /**
   * Serializes the model with its initializers' bytes in a side file, as onnx.save_model
   * with save_as_external_data and all_tensors_to_one_file does. `location` is stored
   * verbatim (e.g. `weights.pb`, `model.onnx_data`): a runtime finds the file beside the
   * model, or, in onnxruntime-web, among `externalData` under exactly that path.
   */
  toModelWithExternalData(location: string, opts: ExternalDataOptions = {}): { model: Uint8Array; data: Uint8Array } {
    if ((opts.shards ?? 1) > 1) throw new Error(`${this.name}: toModelWithExternalData writes one data file; use writeModelWithExternalData for shards`);
    const { model, chunks, size } = this.externalLayout(location, opts);
    const file = new Uint8Array(size);
    for (const { offset, data } of chunks) {
      let position = offset;
      for (const piece of piecesOf(data)) {
        file.set(piece, position);
        position += piece.length;
      }
    }
    return { model: model.finish(), data: file };
  }

  /**
   * Writes what {@link toModelWithExternalData} returns to two files (or, with `shards`, the
   * model and `dataPath`, `dataPath_1`, …), streaming big tensors.
   */
  async writeModelWithExternalData(modelPath: string, dataPath: string, location: string, opts: ExternalDataOptions = {}): Promise<void> {
    const { model, chunks } = this.externalLayout(location, opts);
    await writeFile(modelPath, (file) => model.writeTo(file));
    for (let shard = 0; shard < (opts.shards ?? 1); shard++) {
      await writeFile(shardName(dataPath, shard), async (file) => {
        // Each tensor at its offset; the alignment gaps read back as zeros, as in the in-memory file.
        for (const { offset, data } of chunks.filter((c) => c.shard === shard)) {
          let position = offset;
          for (const piece of piecesOf(data)) position += (await file.write(piece, 0, piece.length, position)).bytesWritten;
        }
      });
    }
  }

  private inlineTensors(): Message[] {
    return this.initializers.map((t) => tensorProto(t.name, t.dims, t.data));
  }

  /** Which tensors go to the side file, and where: the one layout both external-data writers follow. */
  private externalLayout(location: string, opts: ExternalDataOptions) {
    const { align = 4096, threshold = 1024, producer, shards = 1 } = opts;
    const chunks: { offset: number; data: TensorData; shard: number }[] = [];
    const outside = this.initializers.reduce((sum, t) => sum + (byteLengthOf(t.data) >= threshold ? byteLengthOf(t.data) : 0), 0);
    const sizes = new Array<number>(shards).fill(0);
    let before = 0; // external bytes of the tensors written so far, which decide the shard
    const tensors = this.initializers.map(({ name, dims, data }) => {
      const length = byteLengthOf(data);
      if (length < threshold) return tensorProto(name, dims, data);
      const shard = Math.min(shards - 1, Math.floor((before * shards) / outside));
      before += length;
      const offset = Math.ceil(sizes[shard]! / align) * align;
      chunks.push({ offset, data, shard });
      sizes[shard] = offset + length;
      return externalTensorProto(name, dims, data, { location: shardName(location, shard), offset, length });
    });
    return { model: this.model(tensors, producer), chunks, size: sizes[0]! };
  }

  private model(initializers: Message[], producer = 'tiny-model'): Message {
    const graph = new Message();
    for (const n of this.nodes) graph.message(1, n);
    graph.string(2, this.name);
    for (const t of initializers) graph.message(5, t);
    for (const i of this.inputs) graph.message(11, i);
    for (const o of this.outputs) graph.message(12, o);
    const model = new Message().int(1, 8).message(8, new Message().string(1, '').int(2, 17));
    for (const domain of this.domains) model.message(8, new Message().string(1, domain).int(2, 1));
    return model.string(2, producer).message(7, graph);
  }
}

/** The name of shard `k` of an external data file: `name`, then `name_1`, `name_2`, … */
export const shardName = (name: string, k: number): string => (k === 0 ? name : `${name}_${k}`);

/** Creates (or empties) the file at path and lets `write` fill it. */
async function writeFile(path: string, write: (file: FileHandle) => Promise<void>): Promise<void> {
  const file = await open(path, 'w');
  try {
    await write(file);
  } finally {
    await file.close();
  }
}
