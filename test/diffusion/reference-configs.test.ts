// Which reference configuration a configless repo gets, from its UNet's signature and its name.
import { describe, expect, it } from 'vitest';
import { architectureOf, chooseReference, createScheduler, familyOf, REFERENCE_CONFIGS, stepsFromName } from '../../src/diffusion/index.ts';

const sd = (textWidth?: number, extra: string[] = []) => ({ inputs: ['sample', 'timestep', 'encoder_hidden_states', ...extra], textWidth });

describe('chooseReference', () => {
  it.each([
    [sd(1024), 'schmuell/sd-turbo-ort-web', 'sd-turbo', /1024-wide text \(SD 2\.x\) and the repo's name “schmuell\/sd-turbo-ort-web” says SD-Turbo/],
    [sd(1024), 'aislamov/stable-diffusion-2-1-base-onnx', 'sd2-base', /says Stable Diffusion 2\.x base/],
    [sd(1024), '', 'sd-turbo', /SD-Turbo is the configless export of it met in browsers$/],
    [sd(768), 'nmkd/stable-diffusion-1.5-onnx-fp16', 'sd15', /768-wide text \(SD 1\.x\), and Stable Diffusion 1\.5 is the configless export/],
    [sd(768, ['timestep_cond']), 'aislamov/lcm-dreamshaper-v7-onnx', 'lcm', /timestep_cond \(LCM\)/],
    [sd(2048, ['text_embeds', 'time_ids']), 'webnn/sdxl-turbo', 'sdxl-turbo', /text_embeds and time_ids \(SDXL\) and the repo's name “webnn\/sdxl-turbo” says SDXL-Turbo/],
    [sd(2048, ['text_embeds', 'time_ids']), 'Cyronius/sdxl-lightning-4step-onnx-web', 'sdxl-lightning', /says SDXL-Lightning/],
    [sd(2048, ['text_embeds', 'time_ids']), 'stabilityai/stable-diffusion-xl-base-1.0', 'sdxl-base', /says SDXL base/],
    [sd(64), 'tiny/whatever', 'sd-turbo', /64-wide text, which is no known family's/],
  ])('%o named %s → %s', (signature, name, id, because) => {
    const { reference, because: why } = chooseReference(signature, name);
    expect(reference.id).toBe(id);
    expect(why).toMatch(because);
  });

  it("gives SD-Turbo's scheduler: one step at t = 999 with σ ≈ 14.61 (the configless default used to run at t = 0, σ ≈ 0.01)", () => {
    const s = createScheduler(chooseReference(sd(1024), 'schmuell/sd-turbo-ort-web').reference.scheduler);
    s.setTimesteps(1);
    expect(Array.from(s.timesteps)).toEqual([999]);
    expect(s.initNoiseSigma).toBeCloseTo(14.6146, 3);
    const old = createScheduler({ _class_name: 'EulerDiscreteScheduler' });
    old.setTimesteps(1);
    expect([Array.from(old.timesteps), old.initNoiseSigma < 0.1]).toEqual([[0], true]);
  });

  it("gives SDXL-Turbo's Euler ancestral with trailing spacing, one step at 999, VAE 0.13025", () => {
    const { reference } = chooseReference(sd(2048, ['text_embeds', 'time_ids']), 'webnn/sdxl-turbo');
    const s = createScheduler(reference.scheduler);
    s.setTimesteps(1);
    expect([reference.scheduler._class_name, Array.from(s.timesteps), s.stochastic, reference.vaeScalingFactor]).toEqual(['EulerAncestralDiscreteScheduler', [999], true, 0.13025]);
  });

  it('every reference scheduler is one the app runs', () => {
    for (const r of REFERENCE_CONFIGS) expect(() => createScheduler(r.scheduler), r.id).not.toThrow();
  });
});

describe('the family of a repo that ships a scheduler', () => {
  it.each([
    ['sd2', { _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'trailing' }, '', 'sd-turbo'],
    ['sd2', { _class_name: 'PNDMScheduler' }, 'StableDiffusionPipeline', 'stable-diffusion'],
    ['sd1', { _class_name: 'LCMScheduler' }, '', 'lcm'],
    ['sd1', { _class_name: 'PNDMScheduler' }, 'LatentConsistencyModelPipeline', 'lcm'],
    ['sdxl', { _class_name: 'EulerAncestralDiscreteScheduler', timestep_spacing: 'trailing' }, '', 'sdxl-turbo'],
    ['sdxl', { _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'leading' }, 'StableDiffusionXLPipeline', 'sdxl'],
  ] as const)('%s with %o (%s) is %s', (arch, scheduler, index, family) => {
    expect(familyOf(arch, scheduler, index)).toBe(family);
  });

  it('reads the architecture from the UNet inputs before the width', () => {
    expect(architectureOf(sd(80, ['text_embeds', 'time_ids'])).architecture).toBe('sdxl');
    expect(architectureOf(sd(undefined)).architecture).toBe('unknown');
  });
});

it('reads a step count from a distilled model’s name', () => {
  expect(['Cyronius/sdxl-lightning-4step-onnx-web', 'ByteDance/SDXL-Lightning-8steps', 'x/sd-turbo', 'x/model-1000step'].map((n) => stepsFromName(n))).toEqual([4, 8, undefined, undefined]);
});
