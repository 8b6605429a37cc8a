// Reads just enough of an ONNX ModelProto to know, before creating a session, which external
// data files it references (under the exact location strings stored in it) and whether it
// uses 16-bit floats anywhere. Large tensors are skipped by length, so a 1.7 GB model costs a
// walk over field headers, not a copy. Field numbers are those of onnx/onnx.proto.

const FLOAT16 = 10;
// A varint is at most 10 bytes (64 bits); protobuf parsers refuse longer ones.
const VARINT_MAX_BYTES = 10;
// Subgraphs (If/Loop bodies) nest; real models go a few levels deep. A file that nests deeper is
// refused rather than walked until the stack runs out.
const MAX_GRAPH_DEPTH = 64;

/** A file that is not an ONNX model, or is cut short or damaged: what the header walk found wrong. */
export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

/** What a model file says about itself that decides how it can be loaded. */
export interface OnnxInfo {
  /** Locations of external data files, as stored in the model (e.g. `weights.pb`, `model.onnx_data`). */
  externalData: string[];
  /** True when any initializer, input, output, value or Cast uses float16. */
  usesFloat16: boolean;
}

/** One protobuf field: its number, wire type, varint value, and where its key and its value start and end in the file. */
export type Field = { no: number; wire: number; value: number; keyStart: number; start: number; end: number };

/**
 * The field whose key is at `pos` (a position in the file) in a message ending at `end`. `buf`
 * holds the file's bytes from position `base` on: all of it, or just a window over the header.
 * A length-delimited value is skipped, not read. Varints over 64 bits, field number 0, group
 * wire types and values that run past `end` throw OnnxFormatError (never a NaN that would quietly
 * end a walk).
 */
export function fieldAt(buf: Uint8Array, base: number, pos: number, end: number): Field {
  const keyStart = pos;
  const varint = (): number => {
    let result = 0;
    for (let i = 0, scale = 1; i < VARINT_MAX_BYTES; i++, scale *= 128) {
      if (pos >= end || pos - base >= buf.length) throw new OnnxFormatError('truncated ONNX file');
      const b = buf[pos++ - base]!;
      result += (b & 0x7f) * scale;
      if (!(b & 0x80)) return result;
    }
    throw new OnnxFormatError(`not an ONNX file (a varint at byte ${pos - VARINT_MAX_BYTES} is longer than ${VARINT_MAX_BYTES} bytes)`);
  };
  const key = varint();
  const no = Math.floor(key / 8);
  const wire = key % 8;
  if (no === 0 || no > 0x1fffffff) throw new OnnxFormatError(`not an ONNX file (field number ${no} at byte ${keyStart})`);
  let value = 0;
  let start = pos;
  if (wire === 0) value = varint();
  else if (wire === 1) pos += 8;
  else if (wire === 5) pos += 4;
  else if (wire === 2) {
    value = varint();
    start = pos;
    pos += value;
  } else throw new OnnxFormatError(`not an ONNX file (wire type ${wire})`);
  if (pos > end) throw new OnnxFormatError('truncated ONNX file');
  return { no, wire, value, keyStart, start: wire === 0 ? pos : start, end: pos };
}

function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  for (let pos = start; pos < end; ) {
    const f = fieldAt(buf, 0, pos, end);
    yield f;
    pos = f.end;
  }
}

const text = (buf: Uint8Array, f: Field) => new TextDecoder().decode(buf.subarray(f.start, f.end));

/** Reads the external-data locations and float16 use of an ONNX model. Throws OnnxFormatError on a file that is not ONNX. */
export function readOnnxInfo(model: Uint8Array): OnnxInfo {
  const locations = new Set<string>();
  let usesFloat16 = false;

  const tensor = (f: Field) => {
    for (const t of fields(model, f.start, f.end)) {
      if (t.no === 2 && t.wire === 0 && t.value === FLOAT16) usesFloat16 = true;
      if (t.no === 13 && t.wire === 2) {
        let key = '';
        let value = '';
        for (const kv of fields(model, t.start, t.end)) {
          if (kv.no === 1) key = text(model, kv);
          if (kv.no === 2) value = text(model, kv);
        }
        if (key === 'location') locations.add(value);
      }
    }
  };
  const valueInfo = (f: Field) => {
    // ValueInfoProto.type (2) → TypeProto.tensor_type (1) → elem_type (1)
    for (const t of fields(model, f.start, f.end)) if (t.no === 2 && t.wire === 2)
      for (const tt of fields(model, t.start, t.end)) if (tt.no === 1 && tt.wire === 2)
        for (const e of fields(model, tt.start, tt.end)) if (e.no === 1 && e.wire === 0 && e.value === FLOAT16) usesFloat16 = true;
  };
  const graph = (f: Field, depth: number): void => {
    if (depth > MAX_GRAPH_DEPTH) throw new OnnxFormatError(`not an ONNX model this app can read: subgraphs nest more than ${MAX_GRAPH_DEPTH} deep`);
    for (const g of fields(model, f.start, f.end)) {
      if (g.wire !== 2) continue;
      if (g.no === 5) tensor(g); // initializer
      else if (g.no === 11 || g.no === 12 || g.no === 13) valueInfo(g); // input, output, value_info
      else if (g.no === 1) node(g, depth);
    }
  };
  const node = (f: Field, depth: number) => {
    for (const a of fields(model, f.start, f.end)) {
      if (a.no !== 5 || a.wire !== 2) continue; // attribute
      let name = '';
      let int = -1;
      for (const x of fields(model, a.start, a.end)) {
        if (x.no === 1) name = text(model, x);
        else if (x.no === 3 && x.wire === 0) int = x.value;
        else if (x.no === 5 && x.wire === 2) tensor(x); // a Constant's value
        else if (x.no === 6 && x.wire === 2) graph(x, depth + 1); // If/Loop bodies
      }
      if (name === 'to' && int === FLOAT16) usesFloat16 = true;
    }
  };

  let sawGraph = false;
  for (const f of fields(model, 0, model.length)) {
    if (f.no === 7 && f.wire === 2) {
      sawGraph = true;
      graph(f, 0);
    }
  }
  if (!sawGraph) throw new OnnxFormatError('not an ONNX model: it has no graph');
  return { externalData: [...locations], usesFloat16 };
}
