// The PNG's parameters text for the settings issue #17 adds (random numbers, Clip skip, Sampler with
// Schedule type, Pad conds, a weighted long prompt): what we write reads back as the same settings,
// and A1111's own texts (1.9+ and older) restore as A1111 meant them.
import { describe, expect, it } from 'vitest';
import type { GeneratedImages } from '../../src/engine/index.ts';
import { parseParameters } from '../../src/ui/a1111-parameters.ts';
import { defaultGenerationSettings, noiseFromA1111, parametersFor, settingsFromParameters } from '../../src/ui/generation-settings.ts';
import { addTextChunks, readTextChunks } from '../../src/ui/png-text-chunks.ts';
import { encodePng, testPicture } from '../support/png.ts';

/** What the engine says about an image, with the fields the PNG is made from. */
function made(o: Partial<Omit<GeneratedImages, 'images'>> = {}): Omit<GeneratedImages, 'images'> {
  return {
    steps: 20, guidanceScale: 7, sampler: 'dpmpp-2m-karras', a1111Sampler: { sampler: 'DPM++ 2M', scheduleType: 'Karras' },
    noise: 'gpu', clipSkip: 2, paddedPrompts: false, notices: [], width: 512, height: 768, backend: 'wasm', gpuResidentInputs: [],
    model: { model: 'org/sd15', revision: 'main', commit: 'abcdef0123456789abcdef0123456789abcdef01' } as GeneratedImages['model'],
    timings: { load: 0, total: 0 },
    ...o,
  };
}

// 120 tokens or so, with weights, an escape, BREAK and a LoRA tag, over two lines: kept as written.
const LONG = Array.from({ length: 12 }, (_, i) => `(detail ${i}:1.${i % 9 + 1}), [soft], \\(literal\\) scene`).join(', ') + '\nBREAK <lora:style:0.7> final words';

describe('the PNG we write, read back', () => {
  it('carries Sampler and Schedule type apart (A1111 1.9+), RNG, Clip skip, and the prompt as written', async () => {
    const text = parametersFor(made(), 1234, { prompt: LONG, negativePrompt: '(worst quality:1.4), blurry' });
    expect(text.split('\n').at(-1)).toBe(
      'Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model hash: abcdef0123, Model: org/sd15, Clip skip: 2, RNG: NV',
    );
    // Through real PNG bytes, as a dropped file arrives.
    const png = addTextChunks(encodePng(8, 8, testPicture(8, 8)), { parameters: text });
    const back = settingsFromParameters((await readTextChunks(png)).parameters!, { ...defaultGenerationSettings(), noise: 'cpu', clipSkip: 1 });
    expect(back.settings).toMatchObject({
      prompt: LONG, negativePrompt: '(worst quality:1.4), blurry', seed: 1234, steps: 20, guidance: 7, sampler: 'dpmpp-2m-karras',
      noise: 'gpu', clipSkip: 2, padPrompts: false, width: 512, height: 768,
    });
    expect(back.notes).toEqual([]);
  });

  it('writes RNG: CPU for torch’s CPU generator, no Clip skip at 1, Pad conds when padded; samplers without a schedule type have none', () => {
    const line = (o: Partial<Omit<GeneratedImages, 'images'>>) => parametersFor(made(o), 1, { prompt: 'a', negativePrompt: '' }).split('\n').at(-1)!;
    expect(line({ noise: 'cpu', clipSkip: 1, paddedPrompts: true, sampler: 'ddim', a1111Sampler: { sampler: 'DDIM' } })).toBe(
      'Steps: 20, Sampler: DDIM, CFG scale: 7, Seed: 1, Size: 512x768, Model hash: abcdef0123, Model: org/sd15, RNG: CPU, Pad conds: True',
    );
    const back = settingsFromParameters(`a\n${line({ noise: 'cpu', paddedPrompts: true })}`, defaultGenerationSettings()).settings;
    expect([back.noise, back.padPrompts]).toEqual(['cpu', true]);
  });
});

describe("A1111's texts", () => {
  const restore = (line: string) => settingsFromParameters(`a castle\n${line}`, { ...defaultGenerationSettings(), sampler: 'euler-a', noise: 'cpu' });

  it('RNG: CPU, NV and GPU, and no RNG at all (A1111’s default, GPU, said so)', () => {
    expect([noiseFromA1111('CPU'), noiseFromA1111('NV'), noiseFromA1111('GPU'), noiseFromA1111(undefined), noiseFromA1111('XPU')]).toEqual(['cpu', 'gpu', 'gpu', 'gpu', undefined]);
    expect(restore('Steps: 20, Seed: 5, RNG: CPU').settings.noise).toBe('cpu');
    expect(restore('Steps: 20, Seed: 5, RNG: NV').settings.noise).toBe('gpu');
    const none = restore('Steps: 20, Seed: 5, Version: v1.10.1');
    expect(none.settings.noise).toBe('gpu');
    expect(none.notes).toEqual(['It names no RNG, which in A1111 means its default: random numbers GPU (an image from ComfyUI or diffusers wants CPU).']);
    const odd = restore('Steps: 20, Seed: 5, RNG: XPU');
    expect([odd.settings.noise, odd.notes]).toEqual(['cpu', ['Random numbers “XPU” are not A1111\'s CPU, GPU or NV: they stay CPU.']]);
  });

  it('a sampler with its schedule type (1.9+) or in its name (older), and Automatic as A1111 means it', () => {
    expect(restore('Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, Seed: 5, RNG: NV').settings.sampler).toBe('dpmpp-2m-karras');
    expect(restore('Steps: 20, Sampler: DPM++ 2M Karras, Seed: 5, RNG: NV').settings.sampler).toBe('dpmpp-2m-karras');
    expect(restore('Steps: 20, Sampler: DPM++ 2M, Schedule type: Automatic, Seed: 5, RNG: NV').settings.sampler).toBe('dpmpp-2m-karras');
    expect(restore('Steps: 20, Sampler: Euler, Schedule type: Automatic, Seed: 5, RNG: NV').settings.sampler).toBe('euler');
  });

  it('a sampler the app lacks restores everything else and says which sampler was replaced', () => {
    const out = restore('Steps: 31, Sampler: DPM++ SDE, Schedule type: Karras, CFG scale: 4, Seed: 77, Size: 64x64, Clip skip: 2, RNG: NV');
    expect(out.settings).toMatchObject({ sampler: 'euler-a', steps: 31, guidance: 4, seed: 77, clipSkip: 2, noise: 'gpu' });
    expect(out.notes).toEqual(['This app has no sampler “DPM++ SDE” with the schedule type “Karras”: the sampler stays “Euler a”.']);
    const exp = restore('Steps: 31, Sampler: DPM++ 2M, Schedule type: Exponential, Seed: 1, RNG: NV');
    expect(exp.notes).toEqual(['This app has no sampler “DPM++ 2M” with the schedule type “Exponential”: the sampler stays “Euler a”.']);
  });

  it('Clip skip out of A1111’s range keeps the current one; none means 1', () => {
    expect(restore('Steps: 2, Seed: 1, Clip skip: 40, RNG: NV').settings.clipSkip).toBe(1);
    expect(settingsFromParameters('a\nSteps: 2, Seed: 1, RNG: NV', { ...defaultGenerationSettings(), clipSkip: 3 }).settings.clipSkip).toBe(1);
    expect(parseParameters('a\nSteps: 2, Sampler: Euler, Schedule type: Uniform, Seed: 1').scheduleType).toBe('Uniform');
  });
});
