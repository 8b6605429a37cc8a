/** The element types a tensor may hold: float32, int32, or int64 as a BigInt64Array. */
export type TensorData = Float32Array | Int32Array | BigInt64Array;

/** A plain tensor that crosses between the pipeline, the runtime and the worker boundary. */
export interface Tensor {
  data: TensorData;
  dims: number[];
}

/**
 * One model the pipeline can run (text encoder, UNet, VAE decoder). The runtime implements it
 * over onnxruntime-web; the pipeline only ever sees names, dims and numbers.
 */
export interface ModelRunner {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model once; inputs and outputs are keyed by the model's own input and output names. */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}
