import { describe, expect, it } from 'vitest';
import { createScheduler, SUPPORTED_SCHEDULERS } from '../../src/diffusion/schedulers/index.ts';

// A repo's scheduler_config.json is data from the network (issue 14, item 5): each bad value must
// end in a message naming the file and the field, before any table is built.
describe('scheduler_config.json values are range-checked', () => {
  it.each(SUPPORTED_SCHEDULERS.map((name) => [name] as const))('%s: num_train_timesteps 500000000 is refused before any table is built, naming the field', (name) => {
    expect(() => createScheduler({ _class_name: name, skip_prk_steps: true, num_train_timesteps: 500_000_000 })).toThrow(
      new RegExp(`^scheduler_config\\.json: num_train_timesteps must be an integer from 1 to 100000, not 500000000 \\(${name}\\)\\.$`),
    );
  });

  it.each([
    ['beta_start', '0.00085', /beta_start must be a number between 0 and 1, not "0.00085"/],
    ['beta_end', null, null], // null means "the default", as diffusers writes it
    ['beta_end', 2, /beta_end must be a number between 0 and 1, not 2/],
    ['num_train_timesteps', 999.5, /num_train_timesteps must be an integer from 1 to 100000, not 999.5/],
    ['num_train_timesteps', 0, /num_train_timesteps must be an integer/],
    ['steps_offset', -1, /steps_offset must be an integer from 0/],
    ['steps_offset', 1000, /steps_offset must be smaller than num_train_timesteps \(1000\), not 1000/],
    ['use_karras_sigmas', 'true', /use_karras_sigmas must be true or false, not "true"/],
    ['clip_sample_range', Number.NaN, /clip_sample_range must be a number between 0 and 1000000, not null/],
    ['solver_order', 4, /solver_order must be an integer from 1 to 3, not 4/],
    ['trained_betas', [0.1, 0.2], /trained_betas must be a list of 1000 numbers \(num_train_timesteps\)/],
  ] as const)('%s = %j', (field, value, message) => {
    const make = () => createScheduler({ _class_name: 'EulerDiscreteScheduler', [field]: value });
    if (message) expect(make).toThrow(message);
    else expect(make).not.toThrow();
  });

  it('cuts a huge value short in the message', () => {
    const make = () => createScheduler({ _class_name: 'EulerDiscreteScheduler', trained_betas: 'x'.repeat(100_000) as unknown as number[] });
    expect(make).toThrow(/^scheduler_config\.json: trained_betas must be a list of 1000 numbers \(num_train_timesteps\), not "x{56}\.\.\. \(EulerDiscreteScheduler\)\.$/);
  });

  it('checks every trained beta, and names the bad one', () => {
    const betas = Array.from({ length: 10 }, () => 0.01);
    betas[7] = '0.01' as unknown as number;
    expect(() => createScheduler({ _class_name: 'DDIMScheduler', num_train_timesteps: 10, trained_betas: betas })).toThrow(
      /scheduler_config\.json: trained_betas\[7\] must be a number between 0 and 1, not "0\.01" \(DDIMScheduler\)/,
    );
  });

  it('checks the flow-matching and UniPC fields too', () => {
    expect(() => createScheduler({ _class_name: 'FlowMatchEulerDiscreteScheduler', shift: '3.0' as unknown as number })).toThrow(/shift must be a number between 0 and 1000000, not "3\.0"/);
    expect(() => createScheduler({ _class_name: 'FlowMatchEulerDiscreteScheduler', use_dynamic_shifting: true, base_image_seq_len: 4096, max_image_seq_len: 4096 })).toThrow(
      /max_image_seq_len must be more than base_image_seq_len \(4096\), not 4096/,
    );
    expect(() => createScheduler({ _class_name: 'UniPCMultistepScheduler', disable_corrector: [0, -1] })).toThrow(/disable_corrector must be a list of integers/);
  });

  it.each(SUPPORTED_SCHEDULERS.map((name) => [name] as const))('%s: more steps than training timesteps is a clear error', (name) => {
    const s = createScheduler({ _class_name: name, skip_prk_steps: true, num_train_timesteps: 100 });
    expect(() => s.setTimesteps(101)).toThrow(
      name === 'LCMScheduler' ? /LCMScheduler: the step count must be 1…50 \(original_inference_steps\), not 101/ : new RegExp(`${name}: 101 steps is more than the 100 training timesteps \\(num_train_timesteps in scheduler_config\\.json\\)`),
    );
    expect(() => s.setTimesteps(2.5)).toThrow(/must be a positive integer|step count must be/);
  });
});
