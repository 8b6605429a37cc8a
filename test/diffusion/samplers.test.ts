import { describe, expect, it } from 'vitest';
import { a1111Sampler, createScheduler, SAMPLERS, samplerConfig, samplerFromA1111 } from '../../src/diffusion/schedulers/index.ts';

describe('samplerFromA1111: the Sampler (and Schedule type) of an A1111 PNG as our sampler id', () => {
  it.each(SAMPLERS.map((s) => [s.label, s.id] as const))('our own label %s (what our PNGs write) reads back as %s', (label, id) => {
    expect(samplerFromA1111(label)).toBe(id);
    expect(samplerFromA1111(id)).toBe(id); // and saved ids
  });

  it.each([
    // A1111 before 1.9: the schedule is part of the name, and a bare name is the model's own σs.
    ['DPM++ 2M Karras', undefined, 'dpmpp-2m-karras'],
    ['DPM++ 2M', undefined, 'dpmpp-2m'],
    ['DPM++ 2M SDE Karras', undefined, 'dpmpp-2m-sde-karras'],
    ['Euler a', undefined, 'euler-a'],
    ['PLMS', undefined, 'pndm'],
    // A1111 1.9+: "Sampler: DPM++ 2M, Schedule type: Karras"; Automatic is the sampler's default.
    ['DPM++ 2M', 'Karras', 'dpmpp-2m-karras'],
    ['DPM++ 2M', 'Uniform', 'dpmpp-2m'],
    ['DPM++ 2M', 'Automatic', 'dpmpp-2m-karras'],
    ['DPM++ 2M SDE', 'Karras', 'dpmpp-2m-sde-karras'],
    ['DPM++ 2M SDE', 'uniform', 'dpmpp-2m-sde'], // A1111's name for it, lower case
    ['Euler', 'Automatic', 'euler'],
    ['Heun', 'Automatic', 'heun'],
    ['DPM2', undefined, 'dpm2'],
    ['UniPC', 'Automatic', 'unipc'],
    ['DDIM', 'Karras', 'ddim'], // A1111's timestep samplers ignore the schedule type
    ['LCM', undefined, 'lcm'],
    // The name's suffix wins over the field, as in A1111's get_sampler_and_scheduler.
    ['DPM++ 2M Karras', 'Automatic', 'dpmpp-2m-karras'],
    ['  dpm++  2m   karras ', undefined, 'dpmpp-2m-karras'],
  ] as const)('%s, Schedule type %s → %s', (sampler, schedule, id) => {
    expect(samplerFromA1111(sampler, schedule)).toBe(id);
  });

  it.each([
    ['DPM++ SDE', undefined], // a sampler we lack
    ['DPM++ 2M SDE', 'Automatic'], // A1111 runs it with exponential σs
    ['DPM++ 2M SDE Exponential', undefined],
    ['DPM++ 2M', 'Exponential'],
    ['Euler', 'Karras'], // a combination our menu lacks
    ['DPM2 Karras', undefined],
    ['DPM++ 2M', 'Wavy'], // a schedule type A1111 does not have
    ['', undefined],
    [undefined, undefined],
  ] as const)('%s, Schedule type %s → no match (the caller says which sampler was replaced)', (sampler, schedule) => {
    expect(samplerFromA1111(sampler, schedule)).toBeUndefined();
  });
});

describe('the new menu entries', () => {
  const sd15 = { _class_name: 'PNDMScheduler', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', steps_offset: 1, skip_prk_steps: true };

  it('DPM++ 2M SDE (Karras) is the SDE solver and takes noise; Heun and DPM2 call the model twice per step', () => {
    const sde = createScheduler(samplerConfig(sd15, 'dpmpp-2m-sde'));
    expect([sde.stochastic, sde.order]).toEqual([true, 1]);
    expect(createScheduler(samplerConfig(sd15, 'dpmpp-2m-sde-karras')).config).toMatchObject({ algorithm_type: 'sde-dpmsolver++', use_karras_sigmas: true });
    for (const id of ['heun', 'dpm2']) {
      const s = createScheduler(samplerConfig(sd15, id));
      s.setTimesteps(10);
      expect([s.order, s.timesteps.length, s.stochastic]).toEqual([2, 19, false]);
    }
  });

  it('Heun turns a DDIM config\'s clip_sample off, which would clamp latents to ±1', () => {
    expect(createScheduler(samplerConfig({ ...sd15, _class_name: 'DDIMScheduler', clip_sample: true }, 'heun')).config.clip_sample).toBe(false);
  });
});

describe('a1111Sampler: what our PNGs write, as A1111 1.9+ does (Sampler and Schedule type apart)', () => {
  const model = { _class_name: 'PNDMScheduler', beta_schedule: 'scaled_linear', use_karras_sigmas: true };
  it('reads back as the same sampler for every sampler in the menu', () => {
    for (const s of SAMPLERS) {
      const { sampler, scheduleType } = a1111Sampler(samplerConfig(model, s.id));
      expect(samplerFromA1111(sampler, scheduleType), `${sampler} / ${scheduleType}`).toBe(s.id);
    }
  });

  it('names the schedule apart from the sampler, and gives none to samplers A1111 schedules by timesteps', () => {
    expect(a1111Sampler(samplerConfig(model, 'dpmpp-2m-karras'))).toEqual({ sampler: 'DPM++ 2M', scheduleType: 'Karras' });
    expect(a1111Sampler(samplerConfig(model, 'dpmpp-2m-sde'))).toEqual({ sampler: 'DPM++ 2M SDE', scheduleType: 'Uniform' });
    expect(a1111Sampler(samplerConfig(model, 'euler-a'))).toEqual({ sampler: 'Euler a', scheduleType: 'Uniform' });
    expect(a1111Sampler(model)).toEqual({ sampler: 'PLMS' });
    expect(a1111Sampler({ _class_name: 'DEISMultistepScheduler' })).toEqual({ sampler: 'DEISMultistepScheduler' }); // a class A1111 has no name for
    expect(a1111Sampler({ _class_name: 'FlowMatchEulerDiscreteScheduler', shift: 3 })).toEqual({ sampler: 'Euler' }); // as ComfyUI and Forge name it
  });
});
