// A minimal ONNX writer: just enough protobuf to emit a ModelProto that onnxruntime
// loads, plus a small graph builder so model definitions read top to bottom.
// Field numbers are those of onnx/onnx.proto (proto2); repeated scalars are written
// unpacked, the canonical proto2 encoding every parser accepts.

export const DataType = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
export type ElemType = (typeof DataType)[keyof typeof DataType];

const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** A protobuf message being written: a list of byte chunks, concatenated once at the end. */
class Message {
  private parts: Uint8Array[] = [];
  length = 0;

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
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
      out.set(part, offset);
      offset += part.length;
    }
    return out;
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

export type TensorData = Float32Array | Int32Array | BigInt64Array;

function elemTypeOf(data: TensorData): ElemType {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Int32Array) return DataType.INT32;
  return DataType.INT64;
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function tensorProto(name: string, dims: readonly number[], data: TensorData): Message {
  // raw_data is little-endian by spec; typed arrays use host order, so refuse the rare big-endian host.
  if (!hostIsLittleEndian) throw new Error('onnx-writer needs a little-endian host');
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`${name}: dims [${dims}] need ${count} values, got ${data.length}`);
  const m = new Message();
  for (const d of dims) m.int(1, d);
  m.int(2, elemTypeOf(data));
  if (name) m.string(8, name);
  m.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return m;
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
  private initializers: Message[] = [];
  private inputs: Message[] = [];
  private outputs: Message[] = [];
  private names = new Set<string>();
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
    this.initializers.push(tensorProto(this.claim(name), dims, data));
    return name;
  }

  /** A small int64 constant such as a shape or a list of axes. */
  ints(name: string, values: readonly number[]): string {
    return this.init(name, [values.length], BigInt64Array.from(values, BigInt));
  }

  /** A float scalar (rank 0), broadcast by Mul/Add. */
  scalar(name: string, value: number): string {
    return this.init(name, [], Float32Array.of(value));
  }

  /**
   * Adds a node; returns the name of its (first) output. `output` names the result,
   * e.g. a graph output; otherwise a unique name is made up. An empty string in
   * `inputs` skips an optional input, as in ONNX.
   */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    const id = this.counter++;
    const out = this.claim(output ?? `/${opType}_${id}_output_0`);
    const m = new Message();
    for (const i of inputs) m.string(1, i);
    m.string(2, out);
    m.string(3, `/${opType}_${id}`);
    m.string(4, opType);
    for (const [name, value] of Object.entries(attrs)) m.message(5, attribute(name, value));
    this.nodes.push(m);
    return out;
  }

  /** Serializes a ModelProto (ir_version 8, default domain opset 17). */
  toModel(producer = 'tiny-model'): Uint8Array {
    const graph = new Message();
    for (const n of this.nodes) graph.message(1, n);
    graph.string(2, this.name);
    for (const t of this.initializers) graph.message(5, t);
    for (const i of this.inputs) graph.message(11, i);
    for (const o of this.outputs) graph.message(12, o);
    const opset = new Message().string(1, '').int(2, 17);
    return new Message().int(1, 8).message(8, opset).string(2, producer).message(7, graph).finish();
  }
}
