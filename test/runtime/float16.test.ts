import { describe, expect, it } from 'vitest';
import { fromFloat16, fromHalfBits, toFloat16, toHalfBits, toHalfBitsArray } from '../../src/runtime/float16.ts';
import { fromOutput, toDeclaredType } from '../../src/runtime/convert.ts';

describe('float16 bits', () => {
  it('round-trips every finite half value exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = fromHalfBits(h);
      if (Number.isNaN(v)) expect(Number.isNaN(fromHalfBits(toHalfBits(v)))).toBe(true);
      else expect(toHalfBits(v)).toBe(h);
    }
  });

  it('knows the landmarks', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff); // largest half
    expect(toHalfBits(65520)).toBe(0x7c00); // rounds up to Infinity
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(-Infinity)).toBe(0xfc00);
    expect(toHalfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalfBits(2 ** -26)).toBe(0); // below half of it: zero
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(fromHalfBits(0x3555)).toBeCloseTo(1 / 3, 3);
  });

  it('rounds to nearest, ties to even, as Float16Array does', () => {
    // 1 + 2^-11 lies exactly between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies between 1+2^-10 (odd) and 1+2·2^-10 (even): rounds up to even.
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toHalfBits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    // In the subnormal range too.
    expect(toHalfBits(1.5 * 2 ** -24)).toBe(0x0002);
    expect(toHalfBits(2.5 * 2 ** -24)).toBe(0x0002);
  });

  it('converts arrays without Float16Array and reads both kinds back', () => {
    const values = Float32Array.of(0, 1, -1.5, 3.14159, 1e-5, 70000);
    const half = toHalfBitsArray(values);
    expect(half).toBeInstanceOf(Uint16Array);
    expect(fromFloat16(toFloat16(values))).toEqual(fromFloat16(half)); // native or not, the same values
    const back = fromFloat16(half);
    expect(Array.from(back.slice(0, 3))).toEqual([0, 1, -1.5]);
    expect(back[3]).toBeCloseTo(3.140625, 6);
    expect(back[5]).toBe(Infinity);
    // A native Float16Array holds values, not bits.
    expect(Array.from(fromFloat16(Float64Array.of(0.5, 2) as unknown as ArrayLike<number>))).toEqual([0.5, 2]);
  });
});

describe('inputs in the declared type', () => {
  it('turns the pipeline’s float32/int32 into float16, int64 (truncated like numpy) and back', () => {
    const ts = { data: Float32Array.of(999, 946.7), dims: [2] };
    expect(toDeclaredType(ts, 'int64').data).toEqual(BigInt64Array.of(999n, 946n));
    expect(toDeclaredType(ts, 'float32').data).toBe(ts.data);
    const half = toDeclaredType(ts, 'float16');
    expect(half.type).toBe('float16');
    expect(Array.from(fromFloat16(half.data as Uint16Array))).toEqual([999, 946.5]);
    expect(toDeclaredType({ data: Int32Array.of(5), dims: [1] }, 'int64').data).toEqual(BigInt64Array.of(5n));
    expect(toDeclaredType({ data: Float32Array.of(7.9), dims: [1] }, 'int32').data).toEqual(Int32Array.of(7));
    expect(() => toDeclaredType(ts, 'string')).toThrow(/cannot feed a model input of type string/);
    expect(fromOutput('float16', Uint16Array.of(0x3c00), [1]).data).toEqual(Float32Array.of(1));
  });
});
