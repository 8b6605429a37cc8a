import { describe, expect, it } from 'vitest';
import { defaultGenerationSettings, generateOptions, pngFileName, samplerId, samplerName, settingsFromParameters } from '../../src/ui/generation-settings.ts';
import { latentsToRgba } from '../../src/ui/latent-preview.ts';

describe('generation settings ↔ A1111 parameters', () => {
  it('names samplers as A1111 does, and back', () => {
    expect(samplerName('dpmpp-2m-karras')).toBe('DPM++ 2M Karras');
    expect(samplerName('EulerDiscreteScheduler')).toBe('Euler');
    expect(samplerName('PNDMScheduler')).toBe('PLMS');
    expect(samplerId('DPM++ 2M Karras')).toBe('dpmpp-2m-karras');
    expect(samplerId('Euler a')).toBe('euler-a');
    expect(samplerId('Heun')).toBe('heun');
    expect(samplerId('DPM++ SDE')).toBe(''); // not ours: the model's own scheduler
    expect(samplerId('DPM++ 2M', 'Karras')).toBe('dpmpp-2m-karras');
  });

  it('restores what the text carries and keeps the rest', () => {
    const current = { ...defaultGenerationSettings(), batch: 3, steps: 9 };
    const { settings, model } = settingsFromParameters('a cat\nSeed: 5, Size: 64x96, Model: org/name', current);
    expect(settings).toMatchObject({ prompt: 'a cat', negativePrompt: '', seed: 5, width: 64, height: 96, steps: 9, batch: 3 });
    expect(model).toBe('org/name');
    expect(settingsFromParameters('a cat\nSteps: 2, Seed: 5, Model: v1-5-pruned-emaonly', current).model).toBeUndefined();
  });

  it('asks the engine for numbers, leaving empty fields to the model', () => {
    const form = { ...defaultGenerationSettings(), prompt: 'a cat', seed: 7, steps: null as unknown as undefined, guidance: 2.5, width: 96, batch: 0 };
    expect(generateOptions(form)).toEqual({
      prompt: 'a cat', negativePrompt: '', seed: 7, steps: undefined, guidanceScale: 2.5, sampler: undefined, width: 96, height: undefined, batch: 1,
      initImage: undefined, strength: undefined, noise: 'cpu', clipSkip: 1, padPrompts: false,
    });
    expect(generateOptions({ ...form, noise: 'gpu', clipSkip: 2, padPrompts: true })).toMatchObject({ noise: 'gpu', clipSkip: 2, padPrompts: true });
    const picture = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
    expect(generateOptions({ ...form, sampler: 'euler-a', strength: 0.3 }, picture)).toMatchObject({ sampler: 'euler-a', initImage: picture, strength: 0.3 });
  });

  it('makes file names from the prompt and seed', () => {
    expect(pngFileName('A lighthouse at dawn, watercolor!', 7)).toBe('a-lighthouse-at-dawn-watercolor-7.png');
    expect(pngFileName('   ', 1)).toBe('image-1.png');
  });
});

describe('latent preview', () => {
  it('maps zero latents to mid grey and keeps the latent size', () => {
    const out = latentsToRgba({ dims: [1, 4, 2, 3], data: new Float32Array(24) })!;
    expect([out.width, out.height]).toEqual([3, 2]);
    expect(Array.from(out.data.subarray(0, 4))).toEqual([128, 128, 128, 255]);
  });

  it("previews Z-Image's 16 channels with the Flux VAE's factors, and gives no preview for channel counts it has none for", () => {
    const plane = 2 * 3;
    const zero = latentsToRgba({ dims: [1, 16, 2, 3], data: new Float32Array(16 * plane) })!;
    expect([zero.width, zero.height]).toEqual([3, 2]);
    const grey = Array.from(zero.data.subarray(0, 3));
    for (const v of grey) expect(Math.abs(v - 128)).toBeLessThan(16); // near mid grey: only the small bias
    // Channel 12 adds to red, green and blue alike (its factors are all positive): the pixel gets lighter.
    const lit = new Float32Array(16 * plane);
    lit.fill(3, 12 * plane, 13 * plane);
    const light = Array.from(latentsToRgba({ dims: [1, 16, 2, 3], data: lit })!.data.subarray(0, 3));
    light.forEach((v, c) => expect(v).toBeGreaterThan(grey[c]! + 20));
    expect(latentsToRgba({ dims: [1, 8, 2, 3], data: new Float32Array(8 * plane) })).toBeUndefined();
  });
});
