/** onnxruntime-web: backend choice and sessions. The browser build (WebGPU + wasm) is loaded here. */
import * as ort from 'onnxruntime-web/webgpu';
import { chooseBackend, type BackendChoice } from './backend.ts';
import { Float16UnsupportedError, runnerFactory, type Backend, type Ort } from './session.ts';

// Threads need cross-origin isolation (SharedArrayBuffer); without it one thread, and no warning spam.
ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

/** Picks WebGPU or wasm and returns a factory of sessions on it. */
export async function createRuntime(prefer: Backend | 'auto' = 'auto') {
  const choice = await chooseBackend(prefer);
  return { ...choice, createRunner: runnerFactory(ort as unknown as Ort, choice.backend, { shaderF16: choice.shaderF16 }) };
}

export { chooseBackend, runnerFactory, Float16UnsupportedError, type BackendChoice, type Backend, type Ort };
export { readOnnxInfo, type OnnxInfo } from './onnx-info.ts';
export { toFloat16, fromFloat16, toHalfBits, fromHalfBits } from './float16.ts';
