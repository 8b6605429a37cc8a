import type * as OrtModule from 'onnxruntime-web';
import type { ModelRunner, RunnerFactory, Tensor, TensorData } from '../diffusion/index.ts';

/** The onnxruntime-web module: the browser's WebGPU build or Node's, passed in so tests can use either. */
export type Ort = typeof OrtModule;
/** The onnxruntime-web execution provider images are made on: `webgpu` (the GPU) or `wasm` (the CPU). */
export type Backend = 'webgpu' | 'wasm';

export interface ReleasableRunner extends ModelRunner {
  release(): Promise<void>;
}

function ortType(data: TensorData): 'float32' | 'int32' | 'int64' {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  return 'int64';
}

/**
 * Sessions on one execution provider. WebGPU sessions fall back to the CPU per node for
 * operators the WebGPU provider lacks; that is onnxruntime's choice, not ours.
 */
export function runnerFactory(ort: Ort, backend: Backend): RunnerFactory {
  return async (_name, model, externalData) => {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: [backend],
      graphOptimizationLevel: 'all',
      externalData: externalData.length ? externalData : undefined,
    });
    const runner: ReleasableRunner = {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      async run(feeds) {
        const inputs: Record<string, OrtModule.Tensor> = {};
        for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor(ortType(t.data), t.data, t.dims);
        const outputs = await session.run(inputs);
        const result: Record<string, Tensor> = {};
        for (const [name, t] of Object.entries(outputs)) {
          result[name] = { data: (await t.getData(true)) as TensorData, dims: [...t.dims] };
        }
        return result;
      },
      release: () => session.release(),
    };
    return runner;
  };
}
