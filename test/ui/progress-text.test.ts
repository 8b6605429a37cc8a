import { describe, expect, it } from 'vitest';
import { progressText, StepEta } from '../../src/ui/progress-text.ts';

describe('progress in words', () => {
  it('says what the engine is doing', () => {
    expect(progressText({ kind: 'status', message: 'Opening the model…' })).toBe('Opening the model…');
    expect(progressText({ kind: 'download', files: [], loaded: 1, total: 2 })).toBe('Downloading the model into this browser…');
    expect(progressText({ kind: 'download', files: [], loaded: 2, total: 2 })).toBe('Download complete.');
    expect(progressText({ kind: 'stage', stage: 'unet', step: 2, steps: 4 })).toBe('Denoising: step 3 of 4…');
    expect(progressText({ kind: 'stage', stage: 'unet', step: 4, steps: 4, image: 1, images: 2 })).toBe('Denoising: step 4 of 4 (image 2 of 2)…');
    expect(progressText({ kind: 'stage', stage: 'transformer', step: 0, steps: 8 })).toBe('Denoising: step 1 of 8…');
    expect(progressText({ kind: 'stage', stage: 'vae_decoder' })).toBe('Running vae decoder…');
    expect(progressText({ kind: 'notice', message: 'rerun on the CPU' })).toBeUndefined();
  });

  it('estimates the time left from the time per step, over the whole batch', () => {
    const eta = new StepEta();
    const unet = (image: number, step: number) => ({ kind: 'stage', stage: 'unet', step, steps: 4, image, images: 2 }) as const;
    expect(eta.update(unet(0, 0), 1000)).toBeUndefined(); // nothing timed yet
    expect(eta.update(unet(0, 1), 1200)).toBeCloseTo((200 * 7) / 1000); // 200 ms a step, 7 steps to go
    expect(eta.update({ kind: 'stage', stage: 'text_encoder' }, 1300)).toBeCloseTo(1.4); // other stages keep it
    expect(eta.update(unet(1, 0), 1800)).toBeCloseTo((200 * 4) / 1000); // 4 steps in 800 ms, 4 to go
    expect(eta.update({ kind: 'stage', stage: 'vae_decoder' }, 2700)).toBeUndefined();
  });

  it("counts a flow-matching transformer's steps as denoising steps", () => {
    const eta = new StepEta();
    const step = (s: number) => ({ kind: 'stage', stage: 'transformer', step: s, steps: 8, image: 0, images: 1 }) as const;
    eta.update(step(0), 0);
    expect(eta.update(step(2), 500)).toBeCloseTo((250 * 6) / 1000);
  });

  it('gives no estimate for a single step', () => {
    expect(new StepEta().update({ kind: 'stage', stage: 'unet', step: 1, steps: 1 }, 5)).toBeUndefined();
  });
});
