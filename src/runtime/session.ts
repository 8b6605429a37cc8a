import type * as OrtModule from 'onnxruntime-web';
import { isGpuResident, type Backend, type GpuResidentTensor, type Feed, type ModelRunner, type RunnerFactory, type Tensor } from '../diffusion/index.ts';
import { fromOutput, toDeclaredType, valueInfos } from './convert.ts';
import { readOnnxInfo } from './onnx-info.ts';
import { externalizeInitializers } from './onnx-skeleton.ts';
import { Float16UnsupportedError, ModelTooLargeError } from './errors.ts';

/** The onnxruntime-web module: the browser's WebGPU build or Node's, passed in so tests can use either. */
export type Ort = typeof OrtModule;
export type { Backend };

// Their classes live in errors.ts, which the page can import without onnxruntime.
export { Float16UnsupportedError, ModelTooLargeError };

/** The most a WebAssembly memory (wasm32) can hold, and so the most onnxruntime-web can read for one file or hold on the CPU. */
export const WASM32_LIMIT = 4 * 1024 ** 3;

/** Where the model file's own tensors are found when it is handed over as its own external data. */
const SELF = 'model.onnx.weights';

/** The whole of a stored file in an ArrayBuffer of its own, or undefined when one that large cannot be made. */
async function readWhole(blob: Blob): Promise<ArrayBuffer | undefined> {
  let buffer: ArrayBuffer;
  try {
    buffer = new ArrayBuffer(blob.size);
  } catch {
    return undefined;
  }
  const view = new Uint8Array(buffer);
  const reader = blob.stream().getReader();
  for (let at = 0; ; ) {
    const { done, value } = await reader.read();
    if (done) break;
    view.set(value, at);
    at += value.byteLength;
  }
  return buffer;
}

/** The few WebGPU types used here (TypeScript's DOM library has none). */
interface GpuDevice {
  createBuffer(d: { size: number; usage: number }): { mapAsync(mode: number): Promise<void>; getMappedRange(offset?: number, size?: number): ArrayBuffer; unmap(): void; destroy(): void };
  createCommandEncoder(): { copyBufferToBuffer(src: unknown, so: number, dst: unknown, doff: number, size: number): void; finish(): unknown };
  queue: { submit(buffers: unknown[]): void };
}
const MAP_READ = 0x0001;
const COPY_DST = 0x0008;

/**
 * A copy of a GPU tensor's values. Not `Tensor.getData()`: that would turn onnxruntime's tensor
 * into a CPU tensor, and the next model call would upload it again instead of reading it in place.
 */
async function readGpuTensor(ort: Ort, t: OrtModule.Tensor): Promise<Tensor> {
  const device = (await ort.env.webgpu.device) as unknown as GpuDevice;
  const bytes = t.dims.reduce((a, b) => a * b, 1) * (t.type === 'float16' ? 2 : 4);
  const size = Math.ceil(bytes / 16) * 16; // as onnxruntime's own downloader: GPU buffers are padded to 16 bytes
  const staging = device.createBuffer({ size, usage: MAP_READ | COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(t.gpuBuffer, 0, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(1 /* GPUMapMode.READ */);
    const copy = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    const data = t.type === 'float16' ? new Uint16Array(copy) : t.type === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    return fromOutput(t.type, data, t.dims);
  } finally {
    staging.destroy();
  }
}

/** Frees an ArrayBuffer's memory now (ES2024 `transfer`, Chromium 114+); a no-op where missing. */
function detach(buffer: ArrayBuffer): void {
  (buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }).transfer?.(0);
}

/**
 * Options for multi-GB models, as onnxruntime's own SD-Turbo web sample sets them: no CPU
 * arena or memory pattern (they hold on to peak-sized buffers), initializers allocated where
 * they will live, no pre-packed weight copies.
 */
export const LARGE_MODEL_OPTIONS: OrtModule.InferenceSession.SessionOptions = {
  enableMemPattern: false,
  enableCpuMemArena: false,
  extra: { session: { disable_prepacking: '1', use_device_allocator_for_initializers: '1' } },
};

/**
 * Sessions on WebGPU or wasm. Before creating one it reads the model's header to find its
 * external data and whether it needs float16, so a GPU without `shader-f16` gets a plain
 * message instead of a shader error. WebGPU sessions fall back to the CPU per node for
 * operators the WebGPU provider lacks; that is onnxruntime's choice, not ours.
 */
export function runnerFactory(ort: Ort, defaultBackend: Backend, gpu: { shaderF16: boolean } = { shaderF16: true }): RunnerFactory {
  return async (name, files, options = {}) => {
    const backend = options.backend ?? defaultBackend;
    // A stored model file is not read whole: its tensors become external data pointing back into
    // the file itself, so onnxruntime gets a small graph and streams the weights (one copy, not three).
    const skeleton = files.model instanceof Blob ? await externalizeInitializers(files.model, SELF) : undefined;
    const model = skeleton?.model ?? (files.model as Uint8Array);
    const info = readOnnxInfo(model);
    if (backend === 'webgpu' && info.usesFloat16 && !gpu.shaderF16) throw new Float16UnsupportedError(name);
    const sources: { path: string; data: Uint8Array | Blob }[] = await Promise.all(
      info.externalData.map(async (path) => ({ path, data: path === SELF ? files.model : await files.readExternal(path) })),
    );
    let total = model.length;
    for (const { path, data } of sources) {
      const bytes = data instanceof Blob ? data.size : data.length;
      if (bytes > WASM32_LIMIT) throw new ModelTooLargeError(name, bytes, `stores its weights in ${path === SELF ? 'one file of' : `${path}, a file of`}`);
      total += bytes;
    }
    if (backend === 'wasm' && total > WASM32_LIMIT) throw new ModelTooLargeError(name, total, 'needs, on the CPU backend,');
    // Handed over under the exact location strings the model stores (weights.pb, model.onnx_data, …).
    // A stored file is streamed into an ArrayBuffer of our own: File.stream() reads faster than
    // onnxruntime's fetch() of an object URL (1.74 GB: 3.1 s against 3.9 s here), and
    // Blob.arrayBuffer() refuses files over ~2 GB. It is detached as soon as the session holds
    // the tensors, which frees it at once rather than at the next garbage collection. Where no
    // ArrayBuffer that large can be made, onnxruntime gets an object URL, which it streams into
    // WebAssembly memory itself.
    const owned: ArrayBuffer[] = [];
    const urls: string[] = [];
    const externalData = [];
    for (const { path, data } of sources) {
      if (!(data instanceof Blob)) externalData.push({ path, data });
      else {
        const buffer = await readWhole(data);
        if (buffer) owned.push(buffer), externalData.push({ path, data: new Uint8Array(buffer) });
        else urls.push(URL.createObjectURL(data)), externalData.push({ path, data: urls.at(-1)! });
      }
    }
    const gpuResident = backend === 'webgpu' && !!options.gpuResident;
    let session: OrtModule.InferenceSession;
    try {
      session = await ort.InferenceSession.create(model, {
        ...LARGE_MODEL_OPTIONS,
        executionProviders: [backend],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        freeDimensionOverrides: options.freeDimensionOverrides,
        externalData: externalData.length ? (externalData as OrtModule.InferenceSession.SessionOptions['externalData']) : undefined,
        // Outputs to be fed to the next model stay in GPU memory; run() still copies them out when asked.
        preferredOutputLocation: gpuResident ? 'gpu-buffer' : undefined,
      });
    } finally {
      for (const u of urls) URL.revokeObjectURL(u);
      for (const b of owned) detach(b);
    }
    const inputs = valueInfos(session.inputMetadata as never);
    const outputs = valueInfos(session.outputMetadata as never);
    const toOrt = async (feeds: Record<string, Feed>) => {
      const ortFeeds: Record<string, OrtModule.Tensor> = {};
      for (const [input, feed] of Object.entries(feeds)) {
        const declared = inputs[input];
        if (!declared) throw new Error(`The ${name} model has no input “${input}” (it takes ${Object.keys(inputs).join(', ')}).`);
        const gpu = isGpuResident(feed) ? (feed.handle as OrtModule.Tensor) : undefined;
        // A GPU tensor that became a CPU one (onnxruntime's getData() does that) would be uploaded
        // again at every call without anyone noticing: fail loudly instead.
        if (gpu && gpu.location !== 'gpu-buffer') throw new Error(`The ${input} tensor was meant to stay in GPU memory but is now in “${gpu.location}”.`);
        if (gpu && gpu.type === declared.type) {
          ortFeeds[input] = gpu; // already in GPU memory, in the type this model takes
          continue;
        }
        const t = isGpuResident(feed) ? await feed.read() : feed;
        const { type, data } = toDeclaredType(t, declared.type);
        ortFeeds[input] = new ort.Tensor(type as 'float32', data as Float32Array, t.dims);
      }
      return ortFeeds;
    };
    const runner: ModelRunner = {
      inputs,
      outputs,
      async run(feeds) {
        const out = await session.run(await toOrt(feeds));
        const result: Record<string, Tensor> = {};
        for (const [output, t] of Object.entries(out)) {
          result[output] = fromOutput(t.type, await t.getData(true), t.dims);
          t.dispose();
        }
        return result;
      },
      release: () => session.release(),
    };
    if (gpuResident) {
      runner.runGpuResident = async (feeds, output) => {
        const out = await session.run(await toOrt(feeds));
        for (const [n, t] of Object.entries(out)) if (n !== output) t.dispose();
        const t = out[output];
        if (!t) throw new Error(`The ${name} model has no output “${output}”.`);
        const device: GpuResidentTensor = {
          dims: [...t.dims],
          handle: t,
          read: () => readGpuTensor(ort, t),
          dispose: () => t.dispose(),
        };
        return device;
      };
    }
    return runner;
  };
}
