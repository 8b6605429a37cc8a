/** The element types the pipeline hands over: float32 values, int32 ids, or int64 as a BigInt64Array. */
export type TensorData = Float32Array | Int32Array | BigInt64Array;

/** A plain tensor that crosses between the pipeline, the runtime and the worker boundary. */
export interface Tensor {
  data: TensorData;
  dims: number[];
}

/** What a model declares about one input or output: its element type and shape (numbers or symbolic names). */
export interface ValueInfo {
  /** onnxruntime's name of the element type: `float32`, `float16`, `int32`, `int64`, … */
  type: string;
  dims: readonly (number | string)[];
}

/**
 * One model the pipeline can run (text encoder, UNet, VAE). The runtime implements it over
 * onnxruntime-web and converts every input to the type the model declares (float16, int64, …)
 * and every float output back to float32, so the pipeline works in float32 only.
 */
export interface ModelRunner {
  /** Inputs by name, as the model declares them. */
  readonly inputs: Readonly<Record<string, ValueInfo>>;
  /** Outputs by name, in the model's order. */
  readonly outputs: Readonly<Record<string, ValueInfo>>;
  /** Runs the model once; inputs and outputs are keyed by the model's own names. */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  /** Frees the session (and its GPU memory). */
  release(): Promise<void>;
}

/** How a session is created: on which backend, with which graph optimisation. */
export interface RunnerOptions {
  /** `webgpu` (the GPU) or `wasm` (the CPU); the runtime's default when left out. */
  backend?: 'webgpu' | 'wasm';
  /** onnxruntime's graph optimisation level; `all` unless a recovery chose otherwise. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** An ONNX model file, and a way to read the external data files it names (by the location string stored in it). */
export interface ModelFiles {
  /** The `.onnx` file: bytes, or a stored Blob/File that the runtime reads in slices (no whole copy). */
  model: Uint8Array | Blob;
  /** Rejects when the file is not there. */
  readExternal(location: string): Promise<Uint8Array | Blob>;
}

/** Turns a model's files into a runner; `name` is the component (`unet`, …), for messages. */
export type RunnerFactory = (name: string, files: ModelFiles, options?: RunnerOptions) => Promise<ModelRunner>;

/** Index of the first NaN or ±Infinity in `data`, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}
