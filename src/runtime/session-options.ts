// The options one onnxruntime session is created with, per backend: pure, so Node tests check
// what each backend is given (the browser cannot run WebNN here: see the README).
import type * as OrtModule from 'onnxruntime-web';
import type { Backend, RunnerOptions } from '../diffusion/index.ts';
import { WEBNN_CONTEXT } from './backend.ts';

type SessionOptions = OrtModule.InferenceSession.SessionOptions;

/**
 * Options for multi-GB models, as onnxruntime's own SD-Turbo web sample sets them: no CPU
 * arena or memory pattern (they hold on to peak-sized buffers), initializers allocated where
 * they will live, no pre-packed weight copies.
 */
export const LARGE_MODEL_OPTIONS: SessionOptions = {
  enableMemPattern: false,
  enableCpuMemArena: false,
  extra: { session: { disable_prepacking: '1', use_device_allocator_for_initializers: '1' } },
};

/**
 * The execution provider for a backend. WebNN gets the GPU context the backend probe made sure
 * of (`WEBNN_CONTEXT`); onnxruntime runs the nodes WebNN lacks on its wasm provider.
 */
export function executionProvider(backend: Backend): OrtModule.InferenceSession.ExecutionProviderConfig {
  return backend === 'webnn' ? { name: 'webnn', ...WEBNN_CONTEXT } : backend;
}

/**
 * What `InferenceSession.create` is given for one component on `backend`. WebNN builds its graph
 * for fixed shapes: symbolic dimensions must be pinned by `freeDimensionOverrides` (the loader's
 * `pinShape`), or onnxruntime leaves the nodes that use them to the CPU. Outputs stay in GPU
 * memory only on WebGPU with `gpuResident`.
 */
export function sessionOptions(backend: Backend, options: RunnerOptions, externalData?: SessionOptions['externalData']): SessionOptions {
  const gpuResident = backend === 'webgpu' && !!options.gpuResident;
  return {
    ...LARGE_MODEL_OPTIONS,
    executionProviders: [executionProvider(backend)],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    freeDimensionOverrides: options.freeDimensionOverrides,
    externalData: externalData?.length ? externalData : undefined,
    // Outputs to be fed to the next model stay in GPU memory; run() still copies them out when asked.
    preferredOutputLocation: gpuResident ? 'gpu-buffer' : undefined,
  };
}
