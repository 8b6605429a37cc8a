/** The element types the pipeline hands over: float32 values, int32 ids, or int64 as a BigInt64Array. */
export type TensorData = Float32Array | Int32Array | BigInt64Array;

/** A plain tensor that crosses between the pipeline, the runtime and the worker boundary. */
export interface Tensor {
  data: TensorData;
  dims: number[];
}

/**
 * A model's output left in GPU memory, to be fed to the next model call as it is (no copy to
 * the CPU and back). The pipeline keeps the prompt's embeddings this way for every UNet step.
 */
export interface GpuResidentTensor {
  readonly dims: number[];
  /** The runtime's own handle (an onnxruntime GPU tensor); only runners of the same runtime accept it. */
  readonly handle: unknown;
  /** Copies the values to the CPU (for checks and tests). */
  read(): Promise<Tensor>;
  /** Frees the GPU memory; the tensor cannot be used afterwards. */
  dispose(): void;
}

/** What a model call takes: a plain tensor, or one left in GPU memory by an earlier call. */
export type Feed = Tensor | GpuResidentTensor;

/** True when `t` lives in GPU memory. */
export const isGpuResident = (t: Feed): t is GpuResidentTensor => 'handle' in t;

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
  run(feeds: Record<string, Feed>): Promise<Record<string, Tensor>>;
  /**
   * Runs the model once and leaves `output` in GPU memory (other outputs are dropped), or gives
   * it as a plain tensor when it could not stay there. Only on runners opened with
   * `gpuResident` on the GPU; the caller disposes a `GpuResidentTensor` result.
   */
  runGpuResident?(feeds: Record<string, Feed>, output: string): Promise<Feed>;
  /** Frees the session (and its GPU memory). */
  release(): Promise<void>;
}

/** The onnxruntime-web execution provider a model runs on: `webgpu` (the GPU) or `wasm` (the CPU). */
export type Backend = 'webgpu' | 'wasm';

/** How a session is created: on which backend, with which graph optimisation. */
export interface RunnerOptions {
  /** The runtime's default when left out. */
  backend?: Backend;
  /** onnxruntime's graph optimisation level; `all` unless a recovery chose otherwise. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Leave outputs in GPU memory so `runGpuResident` can hand them to the next model (WebGPU only; ignored on wasm). */
  gpuResident?: boolean;
  /**
   * Values for symbolic input dimensions by name (onnxruntime's `freeDimensionOverrides`), so the
   * session's shapes are fixed, as WebNN needs; see `freeDimensionOverrides()` for the names.
   */
  freeDimensionOverrides?: Record<string, number>;
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
