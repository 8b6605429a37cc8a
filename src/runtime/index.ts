/** onnxruntime-web: backend choice and sessions. Sessions run in onnxruntime's own worker (session-worker.ts). */
export { chooseBackend, webnnSupport, type BackendChoice, type WebnnSupport } from './backend.ts';
export { sessionOptions, executionProvider, LARGE_MODEL_OPTIONS } from './session-options.ts';
export { createRuntime, type Runtime } from './remote.ts';
export { runnerFactory, WASM32_LIMIT, type Backend, type Ort } from './session.ts';
export { Float16UnsupportedError, ModelTooLargeError, installErrorTransfer, registerErrors, type ErrorClass } from './errors.ts';
export { readOnnxInfo, OnnxFormatError, type OnnxInfo } from './onnx-info.ts';
export { toFloat16, fromFloat16, toHalfBits, fromHalfBits } from './float16.ts';
