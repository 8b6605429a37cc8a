// What each backend's sessions are created with. WebNN cannot run in this Chromium (it refuses
// every context), so its options are checked here, in Node, where they are built.
import { describe, expect, it } from 'vitest';
import { freeDimensionOverrides } from '../../src/diffusion/free-dimensions.ts';
import { executionProvider, LARGE_MODEL_OPTIONS, sessionOptions } from '../../src/runtime/session-options.ts';
import { chooseBackend, WEBNN_CONTEXT, webnnSupport } from '../../src/runtime/backend.ts';

describe('session options per backend', () => {
  it('WebNN gets its provider with the GPU context the probe asked for, and the pinned dimensions', () => {
    const pins = freeDimensionOverrides('unet', { width: 512, height: 512 });
    const o = sessionOptions('webnn', { freeDimensionOverrides: pins, gpuResident: true });
    expect(o.executionProviders).toEqual([{ name: 'webnn', deviceType: 'gpu', powerPreference: 'high-performance' }]);
    expect(o.executionProviders![0]).toMatchObject(WEBNN_CONTEXT);
    expect(o.freeDimensionOverrides).toMatchObject({ unet_sample_height: 64, unet_sample_width: 64, unet_sample_batch: 1, height: 64, sequence_length: 77 });
    // GPU-resident outputs are WebGPU's: WebNN outputs come back to the CPU.
    expect(o.preferredOutputLocation).toBeUndefined();
    expect(o.graphOptimizationLevel).toBe('all');
  });

  it('WebGPU keeps outputs in GPU memory only when asked; wasm never', () => {
    expect(sessionOptions('webgpu', { gpuResident: true }).preferredOutputLocation).toBe('gpu-buffer');
    expect(sessionOptions('webgpu', {}).preferredOutputLocation).toBeUndefined();
    expect(sessionOptions('wasm', { gpuResident: true }).preferredOutputLocation).toBeUndefined();
    expect(sessionOptions('wasm', {}).executionProviders).toEqual(['wasm']);
    expect(executionProvider('webgpu')).toBe('webgpu');
  });

  it('every backend gets the large-model options, the recovery’s optimisation level and the external data', () => {
    const data = [{ path: 'model.onnx_data', data: new Uint8Array(4) }];
    for (const backend of ['webgpu', 'wasm', 'webnn'] as const) {
      const o = sessionOptions(backend, { graphOptimizationLevel: 'disabled' }, data);
      expect(o).toMatchObject(LARGE_MODEL_OPTIONS);
      expect(o.graphOptimizationLevel).toBe('disabled');
      expect(o.externalData).toBe(data);
      expect(sessionOptions(backend, {}, []).externalData).toBeUndefined();
    }
  });
});

describe('choosing WebNN', () => {
  const withNavigator = async <T>(nav: object, fn: () => Promise<T>): Promise<T> => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
    try {
      return await fn();
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    }
  };

  it('is offered only when createContext() gives a context, asked with the options the provider uses', async () => {
    const asked: unknown[] = [];
    let destroyed = 0;
    const ml = { createContext: async (o: unknown) => (asked.push(o), { destroy: () => void destroyed++ }) };
    expect(await withNavigator({ ml }, webnnSupport)).toEqual({ available: true });
    expect(asked).toEqual([WEBNN_CONTEXT]);
    expect(destroyed).toBe(1);
    expect(await withNavigator({ ml }, () => chooseBackend('webnn'))).toEqual({ backend: 'webnn', shaderF16: false });
  });

  it('a browser that refuses the context, or has no navigator.ml, falls back to auto and says why', async () => {
    const refusing = { createContext: async () => Promise.reject(new DOMException('WebNN is not supported on this platform.', 'NotSupportedError')) };
    const support = await withNavigator({ ml: refusing }, webnnSupport);
    expect(support).toEqual({ available: false, reason: 'the browser refused navigator.ml.createContext() (WebNN is not supported on this platform)' });
    const choice = await withNavigator({ ml: refusing }, () => chooseBackend('webnn'));
    expect(choice.backend).toBe('wasm'); // no navigator.gpu in this stand-in navigator
    expect(choice.fallbackReason).toBe('WebNN was asked for, but the browser refused navigator.ml.createContext() (WebNN is not supported on this platform); running on the CPU instead');
    expect((await withNavigator({}, webnnSupport)).reason).toMatch(/^this browser has no WebNN \(navigator\.ml\)/);
  });
});
