import type { Backend } from '../diffusion/index.ts';

/** The backend images will be made on and, when it is not the one asked for (or WebGPU), why. */
export interface BackendChoice {
  backend: Backend;
  /** Whether the GPU can run fp16 shaders (real GPUs usually; SwiftShader cannot). */
  shaderF16: boolean;
  /** Why the backend asked for (WebGPU for `auto`, WebNN for `webnn`) is not used, for the user; undefined when it is. */
  fallbackReason?: string;
  /** The GPU adapter's vendor, architecture and description, when the browser gives them. */
  adapterInfo?: string;
}

/** Whether the WebNN backend can be offered here, and why not when it cannot. */
export interface WebnnSupport {
  available: boolean;
  /** Why not, in words for the user, to follow "WebNN is not offered: " (no `navigator.ml`, or what `createContext()` said). */
  reason?: string;
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<{ features: Set<string>; info?: { vendor?: string; architecture?: string; description?: string } } | null>;
}

interface MlLike {
  createContext(options?: { deviceType?: string; powerPreference?: string }): Promise<{ destroy?(): void }>;
}

/**
 * The context the WebNN backend asks for: the GPU, as webnn-developer-preview's demos and
 * onnxruntime's WebNN guide do (`executionProviders: [{ name: 'webnn', deviceType: 'gpu' }]`).
 * Probing with the same options means "offered" implies onnxruntime will get its context too.
 */
export const WEBNN_CONTEXT = { deviceType: 'gpu', powerPreference: 'high-performance' } as const;

/**
 * Whether `navigator.ml.createContext()` gives a context here. Having `navigator.ml` is not
 * enough: Chromium with `--enable-features=WebMachineLearningNeuralNetwork` exposes it on
 * platforms whose WebNN service refuses every context ("WebNN is not supported on this platform").
 */
export async function webnnSupport(): Promise<WebnnSupport> {
  const ml = (globalThis.navigator as unknown as { ml?: MlLike } | undefined)?.ml;
  if (typeof ml?.createContext !== 'function') return { available: false, reason: 'this browser has no WebNN (navigator.ml); Chrome and Edge have it behind a flag' };
  try {
    const context = await ml.createContext(WEBNN_CONTEXT);
    context.destroy?.();
    return { available: true };
  } catch (err) {
    const said = ((err as Error).message || String(err)).replace(/^Failed to execute 'createContext' on 'ML': /, '').replace(/\.$/, '');
    return { available: false, reason: `the browser refused navigator.ml.createContext() (${said})` };
  }
}

/**
 * The backend for `prefer`: WebGPU when the browser gives an adapter, else wasm (`auto`); the
 * CPU when asked; WebNN when asked and a context can be made, else what `auto` gives, saying why.
 */
export async function chooseBackend(prefer: Backend | 'auto' = 'auto'): Promise<BackendChoice> {
  if (prefer === 'wasm') return { backend: 'wasm', shaderF16: false, fallbackReason: 'CPU backend chosen in settings' };
  if (prefer === 'webnn') {
    const webnn = await webnnSupport();
    if (webnn.available) return { backend: 'webnn', shaderF16: false };
    const instead = await chooseBackend('auto');
    return { ...instead, fallbackReason: `WebNN was asked for, but ${webnn.reason}; running on ${instead.backend === 'webgpu' ? 'WebGPU' : 'the CPU'} instead` };
  }
  const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { backend: 'wasm', shaderF16: false, fallbackReason: 'this browser has no WebGPU (navigator.gpu)' };
  let adapter;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { backend: 'wasm', shaderF16: false, fallbackReason: `WebGPU failed: ${(err as Error).message}` };
  }
  if (!adapter) return { backend: 'wasm', shaderF16: false, fallbackReason: 'no WebGPU adapter (GPU blocked or unsupported)' };
  const info = adapter.info;
  return {
    backend: 'webgpu',
    shaderF16: adapter.features.has('shader-f16'),
    adapterInfo: info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : undefined,
  };
}
