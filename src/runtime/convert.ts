import type { Tensor, TensorData, ValueInfo } from '../diffusion/index.ts';
import { fromFloat16, toFloat16 } from './float16.ts';

/** Data in the element type a session declares for an input, from the pipeline's float32/int32/int64. */
export function toDeclaredType(t: Tensor, type: string): { type: string; data: TensorData | Uint16Array } {
  const src = t.data;
  switch (type) {
    case 'float32':
      return { type, data: src instanceof Float32Array ? src : Float32Array.from(src as ArrayLike<number>, Number) };
    case 'float16':
      return { type, data: toFloat16(src instanceof Float32Array ? src : Float32Array.from(src as ArrayLike<number>, Number)) };
    case 'int32':
      return { type, data: src instanceof Int32Array ? src : Int32Array.from(src as ArrayLike<number>, (v) => Math.trunc(Number(v))) };
    case 'int64':
      // Truncates like numpy's astype(int64), as diffusers' ONNX pipelines hand float timesteps over.
      return { type, data: src instanceof BigInt64Array ? src : BigInt64Array.from(src as ArrayLike<number>, (v) => BigInt(Math.trunc(Number(v)))) };
    default:
      throw new Error(`this app cannot feed a model input of type ${type}`);
  }
}

/** An output as the pipeline wants it: float16 and float64 become float32; ints stay. */
export function fromOutput(type: string, data: unknown, dims: readonly number[]): Tensor {
  if (type === 'float16') return { data: fromFloat16(data as Uint16Array), dims: [...dims] };
  if (type === 'float64') return { data: Float32Array.from(data as Float64Array), dims: [...dims] };
  return { data: data as TensorData, dims: [...dims] };
}

/** Metadata as the pipeline reads it, from onnxruntime's `inputMetadata`/`outputMetadata`. */
export function valueInfos(meta: readonly { name: string; isTensor: boolean; type?: string; shape?: readonly (number | string)[] }[]): Record<string, ValueInfo> {
  const out: Record<string, ValueInfo> = {};
  for (const m of meta) out[m.name] = { type: m.isTensor ? (m.type ?? 'float32') : 'non-tensor', dims: m.shape ?? [] };
  return out;
}
