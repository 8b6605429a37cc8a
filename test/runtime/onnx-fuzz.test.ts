// Property tests of the ONNX header walker (readOnnxInfo) and the skeleton builder
// (externalizeInitializers): thousands of mutations and truncations of small valid models, each
// ending in a result or an OnnxFormatError, within a time and memory bound.
import { describe, expect, it } from 'vitest';
import { OnnxFormatError, readOnnxInfo } from '../../src/runtime/onnx-info.ts';
import { externalizeInitializers } from '../../src/runtime/onnx-skeleton.ts';
import { DataType, Float16Data, GraphBuilder, tensor } from '../../tools/tiny-model/onnx-writer.ts';
import { CASE_TIME_CAP_MS, MEMORY_CAP, mutateBytes, prng, watch } from '../support/fuzz.ts';

/** A small model with what the walkers look at: big and small initializers, fp16, a Cast, a Constant, typed I/O. */
function smallModel(): GraphBuilder {
  const g = new GraphBuilder('fuzz');
  const x = g.input('x', DataType.FLOAT, ['batch', 16]);
  const w = g.init('w', [16, 16], Float32Array.from({ length: 256 }, (_, i) => Math.sin(i))); // 1 KiB: externalized
  const b = g.init('b', [16], new Float32Array(16)); // small: stays
  const h = g.init('h', [4], Float16Data.from([1, 2, 3, 4]));
  const c = g.node('Constant', [], { value: tensor([2], Float32Array.of(1, 2)) });
  const y = g.node('Add', [g.node('MatMul', [x, w]), b]);
  g.node('Cast', [h], { to: DataType.FLOAT }, 'h32');
  g.output(g.node('Cast', [g.node('Add', [y, c])], { to: DataType.FLOAT16 }, 'y16'), DataType.FLOAT16, ['batch', 16]);
  return g;
}

const single = smallModel().toModel();
const external = smallModel().toModelWithExternalData('weights.pb').model;

/** Runs `work`; a result passes, an OnnxFormatError passes, anything else is returned as a failure. */
async function outcome<T>(work: () => T | Promise<T>): Promise<{ ok: T } | { error: unknown }> {
  try {
    return { ok: await work() };
  } catch (error) {
    return { error };
  }
}
const untyped = (o: { ok: unknown } | { error: unknown }) => 'error' in o && !(o.error instanceof OnnxFormatError);

describe('ONNX walkers on valid input', () => {
  it('read the seeds as expected (so mutations start from something real)', async () => {
    expect(readOnnxInfo(single)).toEqual({ externalData: [], usesFloat16: true });
    expect(readOnnxInfo(external)).toEqual({ externalData: ['weights.pb'], usesFloat16: true });
    const { model, externalBytes } = await externalizeInitializers(single, 'self.bin');
    expect(externalBytes).toBe(1024);
    expect(readOnnxInfo(model).externalData).toEqual(['self.bin']);
  });
});

describe('ONNX walkers on thousands of mutated and truncated models', () => {
  it('end in a result or an OnnxFormatError, in bounded time and memory', async () => {
    const w = watch();
    const failures: string[] = [];
    for (let seed = 1; seed <= 3000; seed++) {
      const rand = prng(seed);
      const bytes = mutateBytes(seed % 2 ? single : external, rand);
      await w.case_(seed, async () => {
        const info = await outcome(() => readOnnxInfo(bytes));
        // Every other case reads through a Blob, in slices, as a stored file is read.
        const skeleton = await outcome(() => externalizeInitializers(seed % 4 < 2 ? bytes : new Blob([bytes]), 'self.bin'));
        if (untyped(info)) failures.push(`seed ${seed}: readOnnxInfo threw ${String((info as { error: unknown }).error)}`);
        if (untyped(skeleton)) failures.push(`seed ${seed}: externalizeInitializers threw ${String((skeleton as { error: unknown }).error)}`);
        if ('ok' in skeleton) {
          // The rebuilt model is never bigger than the file (plus a few references), and reads back.
          if (skeleton.ok.model.length > bytes.length + 256) failures.push(`seed ${seed}: skeleton of ${skeleton.ok.model.length} bytes from ${bytes.length}`);
          if (untyped(await outcome(() => readOnnxInfo(skeleton.ok.model)))) failures.push(`seed ${seed}: its skeleton does not read back`);
        }
      });
    }
    const { slowest, peakBytes } = w.report();
    expect(failures).toEqual([]);
    expect(slowest.ms).toBeLessThan(CASE_TIME_CAP_MS);
    expect(peakBytes).toBeLessThan(MEMORY_CAP);
  });

  it('say plainly when a varint is longer than 64 bits, instead of ending the walk with NaN', () => {
    // ModelProto.ir_version (field 1, varint) with an 11-byte value, then the graph.
    const overlong = Uint8Array.from([0x08, ...Array(200).fill(0x80), 0x01, ...single]);
    expect(() => readOnnxInfo(overlong)).toThrow(OnnxFormatError);
    expect(() => readOnnxInfo(overlong)).toThrow(/varint at byte 1 is longer than 10 bytes/);
    return expect(externalizeInitializers(overlong, 'self.bin')).rejects.toThrow(/varint/);
  });

  it('refuse subgraphs nested deeper than any model has, instead of overflowing the stack', () => {
    // graph.node.attribute.g, 20 000 times over, written inside out (each header needs its body's length).
    const headers: number[][] = [];
    let size = 0;
    for (let depth = 0; depth < 20_000; depth++) {
      for (const no of [6, 5, 1]) {
        const header = [...varint(no * 8 + 2), ...varint(size)];
        headers.push(header);
        size += header.length;
      }
    }
    const graph = Uint8Array.from(headers.reverse().flat());
    const field = (no: number, body: Uint8Array) => Uint8Array.from([...varint(no * 8 + 2), ...varint(body.length), ...body]);
    const err = (() => { try { readOnnxInfo(field(7, graph)); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(OnnxFormatError);
    expect((err as Error).message).toMatch(/subgraphs nest more than 64 deep/);
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  return [...out, n];
}
