// The engine's side of onnxruntime's worker (session-worker.ts): a runtime whose runners forward
// each call there. One worker per opened model; `close()` ends it, and with it every byte
// onnxruntime held (its WebAssembly heap, its GPU device).
import { proxy, releaseProxy, wrap } from 'comlink';
import { isGpuResident, type Feed, type ModelRunner, type RunnerFactory } from '../diffusion/index.ts';
import type { BackendChoice } from './backend.ts';
import type { SessionApi, WireFeed } from './session-worker.ts';
import { installErrorTransfer } from './errors.ts';
import type { Backend } from './session.ts';

/** The backend chosen, a factory of sessions on it, and a way to end them all at once. */
export interface Runtime extends BackendChoice {
  createRunner: RunnerFactory;
  /** Ends onnxruntime's worker: every session and all the memory it held are gone. */
  close(): void;
}

const toWire = (feeds: Record<string, Feed>): Record<string, WireFeed> =>
  Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, isGpuResident(f) ? { residentId: f.handle as number, dims: f.dims } : f]));

/** Starts onnxruntime's worker, picks WebGPU or wasm there, and returns a factory of sessions on it. */
export async function createRuntime(prefer: Backend | 'auto' = 'auto'): Promise<Runtime> {
  installErrorTransfer(); // its errors arrive as instances of their class (Float16UnsupportedError, …)
  const worker = new Worker(new URL('./session-worker.ts', import.meta.url), { type: 'module', name: 'onnxruntime' });
  const api = wrap<SessionApi>(worker);
  const close = () => {
    api[releaseProxy]();
    worker.terminate();
  };
  let choice: BackendChoice;
  try {
    choice = await api.init(prefer);
  } catch (err) {
    close();
    throw err;
  }
  const createRunner: RunnerFactory = async (name, files, options) => {
    const opened = await api.open(name, files.model, proxy(files.readExternal), options);
    const runner: ModelRunner = {
      inputs: opened.inputs,
      outputs: opened.outputs,
      run: (feeds) => api.run(opened.id, toWire(feeds)),
      release: () => api.release(opened.id),
    };
    if (opened.gpuResident) {
      runner.runGpuResident = async (feeds, output) => {
        const out = await api.runGpuResident(opened.id, toWire(feeds), output);
        if ('tensor' in out) return out.tensor;
        const { residentId, dims } = out;
        return { dims, handle: residentId, read: () => api.read(residentId), dispose: () => void api.dispose(residentId) };
      };
    }
    return runner;
  };
  return { ...choice, createRunner, close };
}
