import type { Backend } from './session.ts';

/** The backend images will be made on (WebGPU when the browser gives an adapter, else wasm) and why it fell back when it did. */
export interface BackendChoice {
  backend: Backend;
  /** Whether the GPU can run fp16 shaders (real GPUs usually; SwiftShader cannot). */
  shaderF16: boolean;
  /** Why WebGPU is not used, for the user; undefined when it is. */
  fallbackReason?: string;
  /** The GPU adapter's vendor, architecture and description, when the browser gives them. */
  adapterInfo?: string;
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<{ features: Set<string>; info?: { vendor?: string; architecture?: string; description?: string } } | null>;
}

/** WebGPU when the browser gives us an adapter, else the wasm (CPU) backend. */
export async function chooseBackend(prefer: Backend | 'auto' = 'auto'): Promise<BackendChoice> {
  if (prefer === 'wasm') return { backend: 'wasm', shaderF16: false, fallbackReason: 'CPU backend chosen in settings' };
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
