import type * as OrtModule from 'onnxruntime-web';
import type { ModelRunner, RunnerFactory, Tensor } from '../diffusion/index.ts';
import { fromOutput, toDeclaredType, valueInfos } from './convert.ts';
import { readOnnxInfo } from './onnx-info.ts';

/** The onnxruntime-web module: the browser's WebGPU build or Node's, passed in so tests can use either. */
export type Ort = typeof OrtModule;
/** The onnxruntime-web execution provider images are made on: `webgpu` (the GPU) or `wasm` (the CPU). */
export type Backend = 'webgpu' | 'wasm';

/** A model uses 16-bit floats and the GPU's WebGPU has no `shader-f16`: onnxruntime would fail with a shader error. */
export class Float16UnsupportedError extends Error {
  override name = 'Float16UnsupportedError';
  /** A branch of the repo with fp32 weights, when the engine found one. */
  fp32Revision?: string;
  constructor(readonly component: string) {
    super(
      `This model uses 16-bit floats (float16, in its ${component}), which this GPU's WebGPU does not offer (no “shader-f16”). ` +
        'Run it on the CPU backend instead (slow), or use an fp32 revision of the model if the repo has one.',
    );
  }
}

/**
 * Sessions on WebGPU or wasm. Before creating one it reads the model's header to find its
 * external data and whether it needs float16, so a GPU without `shader-f16` gets a plain
 * message instead of a shader error. WebGPU sessions fall back to the CPU per node for
 * operators the WebGPU provider lacks; that is onnxruntime's choice, not ours.
 */
export function runnerFactory(ort: Ort, defaultBackend: Backend, gpu: { shaderF16: boolean } = { shaderF16: true }): RunnerFactory {
  return async (name, files, options = {}) => {
    const backend = options.backend ?? defaultBackend;
    const info = readOnnxInfo(files.model);
    if (backend === 'webgpu' && info.usesFloat16 && !gpu.shaderF16) throw new Float16UnsupportedError(name);
    // Handed over under the exact location strings the model stores (weights.pb, model.onnx_data, …).
    const externalData = await Promise.all(info.externalData.map(async (path) => ({ path, data: await files.readExternal(path) })));
    const session = await ort.InferenceSession.create(files.model, {
      executionProviders: [backend],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      externalData: externalData.length ? (externalData as OrtModule.InferenceSession.SessionOptions['externalData']) : undefined,
    });
    const inputs = valueInfos(session.inputMetadata as never);
    const outputs = valueInfos(session.outputMetadata as never);
    const runner: ModelRunner = {
      inputs,
      outputs,
      async run(feeds) {
        const ortFeeds: Record<string, OrtModule.Tensor> = {};
        for (const [input, t] of Object.entries(feeds)) {
          const declared = inputs[input];
          if (!declared) throw new Error(`The ${name} model has no input “${input}” (it takes ${Object.keys(inputs).join(", ")}).`);
          const { type, data } = toDeclaredType(t, declared.type);
          ortFeeds[input] = new ort.Tensor(type as 'float32', data as Float32Array, t.dims);
        }
        const out = await session.run(ortFeeds);
        const result: Record<string, Tensor> = {};
        for (const [output, t] of Object.entries(out)) {
          result[output] = fromOutput(t.type, await t.getData(true), t.dims);
          t.dispose();
        }
        return result;
      },
      release: () => session.release(),
    };
    return runner;
  };
}
