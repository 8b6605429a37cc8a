/** A plain tensor that crosses between the pipeline, the runtime and the worker boundary. */
export type TensorData = Float32Array | Int32Array | BigInt64Array;

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
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}
