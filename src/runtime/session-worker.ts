// onnxruntime's own worker, started by the engine for each opened model and ended when the model
// is closed: ending it is the only way to give back onnxruntime's WebAssembly heap (WebAssembly
// memory never shrinks, so it stays at the largest model's high-water mark) and its GPU device.
// Sessions live here; the engine holds runners that forward each call (see remote.ts).
import { expose, releaseProxy, transfer } from 'comlink';
import { isGpuResident, type GpuResidentTensor, type ModelRunner, type RunnerFactory, type RunnerOptions, type Tensor } from '../diffusion/index.ts';
import { chooseBackend } from './backend.ts';
import { installErrorTransfer } from './errors.ts';
import { runnerFactory, type Backend, type Ort } from './session.ts';

/**
 * onnxruntime's build for the worker's backend, imported when the backend is known so a page
 * loads one build and one .wasm. The CPU gets the plain wasm build: the WebGPU build's CPU side
 * lacks contrib kernels such as GatherBlockQuantized (int4 embeddings: "Could not find an
 * implementation for GatherBlockQuantized(1)"), which the plain build has. WebGPU and WebNN get
 * the WebGPU build, which registers both providers. A stage that falls back to the CPU inside a
 * WebGPU worker stays on the WebGPU build: its inputs may live in that build's GPU memory.
 */
async function ortFor(backend: Backend): Promise<Ort> {
  const ort = (backend === 'wasm' ? await import('onnxruntime-web/wasm') : await import('onnxruntime-web/webgpu')) as unknown as Ort;
  // Threads need cross-origin isolation (SharedArrayBuffer); without it one thread, and no warning spam.
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  return ort;
}

/** A tensor as it crosses to this worker: plain, or the id of one kept here in GPU memory. */
export type WireFeed = Tensor | { residentId: number; dims: number[] };

const runners = new Map<number, ModelRunner>();
const resident = new Map<number, GpuResidentTensor>();
let nextId = 1;
let createRunner: RunnerFactory = async () => {
  throw new Error('onnxruntime is not started yet (init first).');
};

function resolve(feeds: Record<string, WireFeed>) {
  const out: Record<string, Tensor | GpuResidentTensor> = {};
  for (const [name, f] of Object.entries(feeds)) {
    if (!('residentId' in f)) out[name] = f;
    else {
      const t = resident.get(f.residentId);
      if (!t) throw new Error(`GPU tensor ${f.residentId} was already freed.`);
      out[name] = t;
    }
  }
  return out;
}

const runner = (id: number) => {
  const r = runners.get(id);
  if (!r) throw new Error(`Session ${id} was already closed.`);
  return r;
};

const buffers = (ts: Tensor[]) => [...new Set(ts.map((t) => t.data.buffer as ArrayBuffer))];

const api = {
  /** Chooses the backend (WebGPU when the browser gives an adapter, or what `prefer` says) for the sessions of this worker, and loads its onnxruntime build. */
  async init(prefer: Backend | 'auto') {
    const choice = await chooseBackend(prefer);
    createRunner = runnerFactory(await ortFor(choice.backend), choice.backend, { shaderF16: choice.shaderF16 });
    return choice;
  },
  async open(name: string, model: Uint8Array | Blob, readExternal: (location: string) => Promise<Uint8Array | Blob>, options?: RunnerOptions) {
    try {
      const r = await createRunner(name, { model, readExternal }, options);
      const id = nextId++;
      runners.set(id, r);
      return { id, inputs: r.inputs, outputs: r.outputs, gpuResident: !!r.runGpuResident };
    } finally {
      (readExternal as { [releaseProxy]?: () => void })[releaseProxy]?.();
    }
  },
  async run(id: number, feeds: Record<string, WireFeed>) {
    const out = await runner(id).run(resolve(feeds));
    return transfer(out, buffers(Object.values(out)));
  },
  async runGpuResident(id: number, feeds: Record<string, WireFeed>, output: string): Promise<{ tensor: Tensor } | { residentId: number; dims: number[] }> {
    const t = await runner(id).runGpuResident!(resolve(feeds), output);
    if (!isGpuResident(t)) return transfer({ tensor: t }, buffers([t]));
    const residentId = nextId++;
    resident.set(residentId, t);
    return { residentId, dims: t.dims };
  },
  async read(residentId: number) {
    const t = await resident.get(residentId)!.read();
    return transfer(t, buffers([t]));
  },
  dispose(residentId: number) {
    resident.get(residentId)?.dispose();
    resident.delete(residentId);
  },
  async release(id: number) {
    await runners.get(id)?.release();
    runners.delete(id);
  },
};

export type SessionApi = typeof api;

installErrorTransfer();
expose(api);
