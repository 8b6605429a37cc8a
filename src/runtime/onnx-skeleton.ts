// Loads a single-file ONNX model without a whole copy in JavaScript. The model's initializers are
// turned into references to external data that point back into the stored file itself (ONNX's
// external_data: location, offset, length), so onnxruntime gets a small graph plus the file as
// external data, and uploads it tensor by tensor to where each tensor lives (the GPU on WebGPU).
// The stored file stays exactly as the Hub serves it; only the small graph is rebuilt in memory.
// Field numbers are those of onnx/onnx.proto; fields are decoded by onnx-info.ts's fieldAt.

import { fieldAt, OnnxFormatError, type Field } from './onnx-info.ts';

/** A model file: bytes in memory or a stored Blob/File, read in slices. */
export type ModelSource = Uint8Array | Blob;

/** The model rebuilt with its larger tensors as references into the original file. */
export interface Skeleton {
  /** The rebuilt model (graph, attributes, small tensors). */
  model: Uint8Array;
  /** Bytes of tensor data that now live in the original file instead of `model`. */
  externalBytes: number;
}

/** Tensors smaller than this stay in the graph, as onnx's convert_model_to_external_data does by default. */
export const MIN_EXTERNAL_BYTES = 1024;

const GRAPH = 7; // ModelProto.graph
const INITIALIZER = 5; // GraphProto.initializer
const RAW_DATA = 9; // TensorProto.raw_data
const EXTERNAL_DATA = 13; // TensorProto.external_data
const DATA_LOCATION = 14; // TensorProto.data_location (1 = EXTERNAL)

/** Random reads through a window, so walking field headers costs one read per skipped tensor. */
class Reader {
  private window: Uint8Array = new Uint8Array(0);
  private windowStart = 0;
  constructor(private readonly source: ModelSource, readonly size: number) {}

  async bytes(pos: number, n: number): Promise<Uint8Array> {
    if (pos < this.windowStart || pos + n > this.windowStart + this.window.length) {
      const end = Math.min(this.size, pos + Math.max(n, 1 << 16));
      this.window =
        this.source instanceof Uint8Array
          ? this.source.subarray(pos, end)
          : new Uint8Array(await this.source.slice(pos, end).arrayBuffer());
      this.windowStart = pos;
    }
    return this.window.subarray(pos - this.windowStart, pos - this.windowStart + n);
  }
}

/** The fields of the message in [start, end), read through the window a header at a time; values are skipped. */
async function* fields(r: Reader, start: number, end: number): AsyncGenerator<Field> {
  for (let pos = start; pos < end; ) {
    // A key and a length are at most 20 bytes (two varints of at most 10).
    const f = fieldAt(await r.bytes(pos, Math.min(20, end - pos)), pos, pos, end);
    yield f;
    pos = f.end;
  }
}

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A protobuf message being written as a list of parts (copied fields and new ones). */
class Writer {
  readonly parts: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  /** A length-delimited field holding `body`. */
  message(no: number, body: Writer): void {
    this.push(new Uint8Array([...varintBytes(no * 8 + 2), ...varintBytes(body.length)]));
    for (const p of body.parts) this.push(p);
  }
  string(no: number, text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.push(new Uint8Array([...varintBytes(no * 8 + 2), ...varintBytes(bytes.length)]));
    this.push(bytes);
  }
  varint(no: number, value: number): void {
    this.push(new Uint8Array([...varintBytes(no * 8), ...varintBytes(value)]));
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) out.set(p, (at += p.length) - p.length);
    return out;
  }
}

/**
 * Rebuilds a single-file model so that every initializer with at least `minBytes` of raw data
 * refers to `location` (the original file) at the offset where its bytes already are. Reads only
 * field headers and the small parts of the model, never the large tensors.
 */
export async function externalizeInitializers(file: ModelSource, location: string, minBytes = MIN_EXTERNAL_BYTES): Promise<Skeleton> {
  const size = file instanceof Uint8Array ? file.length : file.size;
  const r = new Reader(file, size);
  let externalBytes = 0;
  const copy = async (w: Writer, f: Field) => w.push((await r.bytes(f.keyStart, f.end - f.keyStart)).slice());

  const tensor = async (f: Field): Promise<Writer> => {
    const w = new Writer();
    let raw: Field | undefined;
    let alreadyExternal = false;
    for await (const t of fields(r, f.start, f.end)) {
      if (t.no === RAW_DATA && t.wire === 2 && t.end - t.start >= minBytes) raw = t;
      else {
        if (t.no === EXTERNAL_DATA || t.no === DATA_LOCATION) alreadyExternal = true;
        await copy(w, t);
      }
    }
    if (!raw || alreadyExternal) {
      if (raw) await copy(w, raw);
      return w;
    }
    for (const [key, value] of [['location', location], ['offset', String(raw.start)], ['length', String(raw.end - raw.start)]]) {
      const entry = new Writer();
      entry.string(1, key);
      entry.string(2, value);
      w.message(EXTERNAL_DATA, entry);
    }
    w.varint(DATA_LOCATION, 1);
    externalBytes += raw.end - raw.start;
    return w;
  };

  const graph = async (f: Field): Promise<Writer> => {
    const w = new Writer();
    for await (const g of fields(r, f.start, f.end)) {
      if (g.no === INITIALIZER && g.wire === 2) w.message(INITIALIZER, await tensor(g));
      else await copy(w, g);
    }
    return w;
  };

  const model = new Writer();
  let sawGraph = false;
  for await (const f of fields(r, 0, size)) {
    if (f.no === GRAPH && f.wire === 2) {
      sawGraph = true;
      model.message(GRAPH, await graph(f));
    } else await copy(model, f);
  }
  if (!sawGraph) throw new OnnxFormatError('not an ONNX model: it has no graph');
  return { model: model.bytes(), externalBytes };
}
