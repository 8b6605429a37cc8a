import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  DDIMScheduler,
  DPMSolverMultistepScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  FlowMatchEulerDiscreteScheduler,
  HeunDiscreteScheduler,
  KDPM2DiscreteScheduler,
  LCMScheduler,
  PNDMScheduler,
  SAMPLERS,
  samplerConfig,
  SUPPORTED_SCHEDULERS,
  UniPCMultistepScheduler,
  type Scheduler,
  type SchedulerConfig,
  type TimestepOptions,
} from '../../src/diffusion/schedulers/index.ts';

/** One trajectory in reference.json's format (see ../shared/data/schedulers/README.md). */
interface TrajectoryCase {
  name: string;
  scheduler: string;
  config: SchedulerConfig;
  steps: number;
  /** What the pipeline passes to set_timesteps beside the step count (flow matching's mu, sigmas). */
  set_timesteps?: TimestepOptions;
  timesteps: number[];
  sigmas?: number[];
  /** KDPM2's midpoint σs, in diffusers' layout (the first is NaN there, null in JSON). */
  sigmas_interpol?: (number | null)[];
  init_noise_sigma: number;
  x_T: number[];
  final: number[];
  /** The sample after each of the first model calls (derived cases of the newer classes). */
  samples?: number[][];
}

/** diffusers' own trajectories: $SCHEDULER_REFERENCE, else ../shared beside the project root (as CI lays it out). */
function referencePath(): string {
  if (process.env.SCHEDULER_REFERENCE) return process.env.SCHEDULER_REFERENCE;
  const relative = '../shared/data/schedulers/reference.json';
  const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const candidates = [resolve(projectRoot, relative), resolve(process.cwd(), relative), '/work/shared/data/schedulers/reference.json'];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

function readCases(path: string): TrajectoryCase[] {
  if (!existsSync(path)) throw new Error(`Scheduler trajectories are not at ${path}: set SCHEDULER_REFERENCE to reference.json.`);
  return (JSON.parse(readFileSync(path, 'utf8')) as { cases: TrajectoryCase[] }).cases;
}

const reference = readCases(referencePath());
// Cases reference.json lacks, from fixtures/derive-schedulers.py (which first replays reference.json).
const derived = readCases(fileURLToPath(new URL('./fixtures/schedulers-derived.json', import.meta.url)));

const SIZE = 16; // the toy sample, shape [1, 4, 2, 2]
const PATTERN = Float32Array.from({ length: SIZE }, (_, i) => Math.sin(i + 1));
const NOISE = Float32Array.from({ length: SIZE }, (_, i) => Math.cos(0.7 * i));
const SD_BETAS = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' };

/** The reference's toy UNet: 0.1·x_in + 0.01·t/1000 (read as ε or v, per the config). */
function toyModel(input: Float32Array, t: number): Float32Array {
  return input.map((v) => 0.1 * v + (0.01 * t) / 1000);
}

/** Runs the whole trajectory the way a pipeline does, from x_T = pattern·initNoiseSigma; `seen` gets each call's result. */
function trajectory(s: Scheduler, steps: number, options?: TimestepOptions, seen: Float32Array[] = []): Float32Array {
  s.setTimesteps(steps, options);
  let x: Float32Array = PATTERN.map((v) => v * s.initNoiseSigma);
  s.timesteps.forEach((t, i) => {
    x = s.step(toyModel(s.scaleModelInput(x, i), t), i, x, s.stochastic ? NOISE : undefined);
    seen.push(x);
  });
  return x;
}

/** Asserts max |actual − expected| ≤ tolerance · max |expected|. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  expect(worst / (scale || 1), `${what}: relative error`).toBeLessThanOrEqual(tolerance);
}

function checkCase(c: TrajectoryCase): void {
  const s = createScheduler({ _class_name: c.scheduler, ...c.config });
  const seen: Float32Array[] = [];
  const final = trajectory(s, c.steps, c.set_timesteps, seen);
  expectClose(s.timesteps, c.timesteps, 1e-6, 'timesteps');
  if (c.sigmas) expectClose((s as Scheduler & { sigmas: number[] }).sigmas, c.sigmas, 1e-6, 'sigmas');
  if (c.sigmas_interpol) {
    const midpoints = (s as KDPM2DiscreteScheduler).sigmasInterpol;
    expect(Number.isNaN(midpoints[0]) && c.sigmas_interpol[0] === null, 'the first midpoint is NaN').toBe(true);
    expectClose(midpoints.slice(1), c.sigmas_interpol.slice(1) as number[], 1e-6, 'sigmas_interpol');
  }
  expect(s.initNoiseSigma).toBeCloseTo(c.init_noise_sigma, 5);
  c.samples?.forEach((expected, i) => expectClose(seen[i]!, expected, 1e-5, `sample after call ${i}`));
  expectClose(final, c.final, 1e-5, 'final sample');
}

describe("diffusers' own trajectories (reference.json)", () => {
  it('covers the eight documented cases', () => expect(reference.map((c) => c.name)).toHaveLength(8));
  it.each(reference.map((c) => [c.name, c] as const))('%s', (_, c) => checkCase(c));
});

describe('trajectories derived from diffusers’ source (fixtures/schedulers-derived.json)', () => {
  it.each(derived.map((c) => [c.name, c] as const))('%s', (_, c) => checkCase(c));

  it('include PNDM at 20 and 4 steps, Karras σs for Euler and DPM++ 2M, and v-prediction for Euler, DDIM and DPM++', () => {
    const names = derived.map((c) => c.name);
    for (const n of ['pndm-leading-20', 'pndm-leading-4', 'euler-karras-linspace-20', 'dpmpp2m-karras-20', 'euler-v-linspace-20', 'ddim-v-leading-50', 'dpmpp2m-v-20']) {
      expect(names).toContain(n);
    }
  });

  it('PNDM (SD 1.x config) repeats its second timestep: steps + 1 UNet calls', () => {
    const s = new PNDMScheduler({ ...SD_BETAS, skip_prk_steps: true, steps_offset: 1 });
    s.setTimesteps(4);
    expect(s.timesteps).toEqual([751, 501, 501, 251, 1]);
  });
});

describe('SD-Turbo (Euler, trailing spacing)', () => {
  const turbo = { ...SD_BETAS, timestep_spacing: 'trailing' };

  it('one step starts at t = 999 with σ = initial noise σ = 14.6146 and lands on x0 = x − σ·ε', () => {
    const s = new EulerDiscreteScheduler(turbo);
    s.setTimesteps(1);
    expect(s.timesteps).toEqual([999]);
    expect(s.sigmas[0]).toBeCloseTo(14.6146, 3);
    expect(s.sigmas[1]).toBe(0);
    expect(s.initNoiseSigma).toBeCloseTo(14.6146, 3);
    const x = Float32Array.of(10, -3, 0.5);
    const eps = Float32Array.of(0.7, -0.2, 1);
    const sigma = s.sigmas[0]!;
    s.scaleModelInput(x, 0).forEach((v, i) => expect(v).toBeCloseTo(x[i]! / Math.sqrt(sigma * sigma + 1), 5));
    s.step(eps, 0, x).forEach((v, i) => expect(v).toBeCloseTo(x[i]! - sigma * eps[i]!, 4));
  });

  it('rounds trailing spacing half-to-even like numpy, and always gives exactly `steps` timesteps', () => {
    const s = new EulerDiscreteScheduler(turbo);
    s.setTimesteps(16); // 1000 − 3·62.5 = 812.5 → 812, so t = 811
    expect(s.timesteps.slice(0, 4)).toEqual([999, 937, 874, 811]);
    s.setTimesteps(61); // numpy's arange yields 62 values here, the last t = −1; we keep 61
    expect(s.timesteps).toHaveLength(61);
    expect(Math.min(...s.timesteps)).toBeGreaterThanOrEqual(0);
  });

  it("missing keys take diffusers' class defaults", () => {
    expect(new EulerDiscreteScheduler({}).config).toMatchObject({ beta_schedule: 'linear', beta_start: 0.0001, timestep_spacing: 'linspace' });
    expect(new LCMScheduler({ trained_betas: null }).config).toMatchObject({ beta_schedule: 'scaled_linear', original_inference_steps: 50 });
  });
});

describe('createScheduler', () => {
  const classes = [
    EulerDiscreteScheduler,
    EulerAncestralDiscreteScheduler,
    DPMSolverMultistepScheduler,
    DDIMScheduler,
    LCMScheduler,
    PNDMScheduler,
    HeunDiscreteScheduler,
    KDPM2DiscreteScheduler,
    UniPCMultistepScheduler,
  ];

  it.each(classes.map((c) => [c.name, c] as const))('picks %s by _class_name', (name, SchedulerClass) => {
    expect(createScheduler({ ...SD_BETAS, _class_name: name, skip_prk_steps: true })).toBeInstanceOf(SchedulerClass);
    expect(SUPPORTED_SCHEDULERS).toContain(name);
  });

  it('picks FlowMatchEulerDiscreteScheduler by _class_name (Z-Image-Turbo\'s config)', () => {
    expect(createScheduler({ _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift: 3, use_dynamic_shifting: false })).toBeInstanceOf(FlowMatchEulerDiscreteScheduler);
    expect(SUPPORTED_SCHEDULERS).toContain('FlowMatchEulerDiscreteScheduler');
  });

  it('names an unsupported class and lists the supported ones', () => {
    expect(() => createScheduler({ _class_name: 'LMSDiscreteScheduler' })).toThrow(/"LMSDiscreteScheduler".*supported: EulerDiscreteScheduler, .*PNDMScheduler, HeunDiscreteScheduler, .*FlowMatchEulerDiscreteScheduler/);
    expect(() => createScheduler({})).toThrow(/no _class_name.*supported: /);
    expect(() => createScheduler({ _class_name: 'constructor' })).toThrow(/unsupported class "constructor"/);
  });

  it.each(classes.map((c) => [c.name] as const))('%s refuses prediction_type "sample" clearly', (name) => {
    expect(() => createScheduler({ _class_name: name, prediction_type: 'sample', skip_prk_steps: true })).toThrow(/prediction_type "sample" is not supported; use "epsilon" or "v_prediction"/);
  });

  it('refuses options it does not implement rather than ignoring them', () => {
    expect(() => createScheduler({ _class_name: 'PNDMScheduler' })).toThrow(/skip_prk_steps: true/);
    expect(() => createScheduler({ _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'sde-dpmsolver' })).toThrow(/algorithm_type "sde-dpmsolver" is not supported; use "dpmsolver\+\+" or "sde-dpmsolver\+\+"/);
    expect(() => createScheduler({ _class_name: 'UniPCMultistepScheduler', use_flow_sigmas: true })).toThrow(/use_flow_sigmas true is not supported/);
    expect(() => createScheduler({ _class_name: 'HeunDiscreteScheduler', use_exponential_sigmas: true })).toThrow(/use_exponential_sigmas true is not supported/);
    expect(() => createScheduler({ _class_name: 'FlowMatchEulerDiscreteScheduler', invert_sigmas: true })).toThrow(/invert_sigmas true is not supported/);
    expect(() => createScheduler({ _class_name: 'DDIMScheduler', beta_schedule: 'squaredcos_cap_v2' })).toThrow(/beta_schedule "squaredcos_cap_v2"/);
    expect(() => createScheduler({ _class_name: 'EulerDiscreteScheduler', timestep_spacing: 'karras' }).setTimesteps(4)).toThrow(/timestep_spacing "karras"/);
    expect(() => createScheduler({ _class_name: 'EulerDiscreteScheduler', interpolation_type: 'log_linear' })).toThrow(/interpolation_type "log_linear" is not supported; use "linear"/);
    expect(() => createScheduler({ _class_name: 'DPMSolverMultistepScheduler', use_lu_lambdas: true })).toThrow(/use_lu_lambdas true is not supported; use false/);
    expect(() => createScheduler({ _class_name: 'DDIMScheduler', rescale_betas_zero_snr: true })).toThrow(/rescale_betas_zero_snr true/);
  });

  it('Euler a ignores the Euler-only keys a model config may carry, as diffusers does', () => {
    const a = createScheduler({ ...SD_BETAS, _class_name: 'EulerAncestralDiscreteScheduler', use_karras_sigmas: true, interpolation_type: 'log_linear' });
    const b = createScheduler({ ...SD_BETAS, _class_name: 'EulerAncestralDiscreteScheduler' });
    expect(Array.from(trajectory(a, 6))).toEqual(Array.from(trajectory(b, 6)));
  });
});

describe('stochastic schedulers', () => {
  it.each([
    ['EulerAncestralDiscreteScheduler', {}, true],
    ['LCMScheduler', {}, true],
    ['DPMSolverMultistepScheduler', { algorithm_type: 'sde-dpmsolver++' }, true],
    ['FlowMatchEulerDiscreteScheduler', { stochastic_sampling: true }, true],
    ['EulerDiscreteScheduler', {}, false],
    ['DPMSolverMultistepScheduler', {}, false],
    ['DDIMScheduler', {}, false],
    ['PNDMScheduler', {}, false],
    ['HeunDiscreteScheduler', {}, false],
    ['KDPM2DiscreteScheduler', {}, false],
    ['UniPCMultistepScheduler', {}, false],
    ['FlowMatchEulerDiscreteScheduler', {}, false],
  ] as const)('%s %j: stochastic = %s, and a missing noise is a clear error', (name, extra, stochastic) => {
    const s = createScheduler({ ...SD_BETAS, _class_name: name, skip_prk_steps: true, ...extra });
    expect(s.stochastic).toBe(stochastic);
    s.setTimesteps(4);
    const step = () => s.step(PATTERN, 0, PATTERN);
    if (stochastic) expect(step).toThrow(new RegExp(`${name}.step needs fresh N\\(0, 1\\) noise`));
    else expect(step).not.toThrow();
  });

  it('refuses stepping before setTimesteps, and mismatched lengths', () => {
    expect(() => new DDIMScheduler().step(PATTERN, 0, PATTERN)).toThrow(/call setTimesteps/);
    const s = new EulerDiscreteScheduler(SD_BETAS);
    s.setTimesteps(4);
    expect(() => s.step(PATTERN, 4, PATTERN)).toThrow(/step index 4 is outside 0…3/);
    expect(() => s.step(PATTERN.subarray(1), 0, PATTERN)).toThrow(/15 values for a sample of 16/);
  });
});

describe('addNoise (img2img) matches diffusers’ add_noise', () => {
  /** ᾱ_t from SD's betas, computed here in float64 (so ~1e-6 from diffusers' float32 tables). */
  const alphaBar = (t: number) => {
    let product = 1;
    for (let i = 0; i <= t; i++) product *= 1 - (Math.sqrt(0.00085) + (i / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) ** 2;
    return product;
  };
  const x0 = PATTERN;
  const stepIndex = 2;
  const noisedAt = (name: string) => {
    const s = createScheduler({ ...SD_BETAS, _class_name: name, skip_prk_steps: true, steps_offset: 1 });
    s.setTimesteps(10);
    return { s, t: s.timesteps[stepIndex]!, out: s.addNoise(x0, NOISE, stepIndex) };
  };

  it.each(['EulerDiscreteScheduler', 'EulerAncestralDiscreteScheduler', 'HeunDiscreteScheduler', 'KDPM2DiscreteScheduler'])('%s: x0 + σ·noise', (name) => {
    const { t, out } = noisedAt(name);
    const sigma = Math.sqrt((1 - alphaBar(t)) / alphaBar(t));
    expectClose(out, x0.map((v, i) => v + sigma * NOISE[i]!), 1e-5, 'noised');
  });

  it.each(['DPMSolverMultistepScheduler', 'UniPCMultistepScheduler'])('%s: α·x0 + σ_VP·noise, i.e. √ᾱ·x0 + √(1−ᾱ)·noise (diffusers uses α_t, σ_t there)', (name) => {
    const { t, out } = noisedAt(name);
    expectClose(out, x0.map((v, i) => Math.sqrt(alphaBar(t)) * v + Math.sqrt(1 - alphaBar(t)) * NOISE[i]!), 1e-5, 'noised');
  });

  it.each(['DDIMScheduler', 'PNDMScheduler', 'LCMScheduler'])('%s: √ᾱ·x0 + √(1−ᾱ)·noise', (name) => {
    const { t, out } = noisedAt(name);
    expectClose(out, x0.map((v, i) => Math.sqrt(alphaBar(t)) * v + Math.sqrt(1 - alphaBar(t)) * NOISE[i]!), 1e-5, 'noised');
  });
});

describe('multistep state', () => {
  it.each([
    ['DPMSolverMultistepScheduler', { algorithm_type: 'dpmsolver++', solver_order: 2 }],
    ['DPMSolverMultistepScheduler', { algorithm_type: 'sde-dpmsolver++', solver_order: 2 }],
    ['PNDMScheduler', { skip_prk_steps: true, steps_offset: 1 }],
    ['UniPCMultistepScheduler', { solver_order: 3 }],
    ['HeunDiscreteScheduler', {}],
    ['KDPM2DiscreteScheduler', {}],
  ] as const)('%s %j forgets its history on setTimesteps', (name, extra) => {
    const s = createScheduler({ ...SD_BETAS, _class_name: name, ...extra });
    const first = trajectory(s, 12);
    s.setTimesteps(5);
    s.step(toyModel(PATTERN, s.timesteps[0]!), 0, PATTERN, NOISE); // leave some history behind
    s.step(toyModel(PATTERN, s.timesteps[1]!), 1, PATTERN, NOISE);
    expect(Array.from(trajectory(s, 12))).toEqual(Array.from(first));
    expect(Array.from(trajectory(createScheduler({ ...SD_BETAS, _class_name: name, ...extra }), 12))).toEqual(Array.from(first));
  });

  it.each(['PNDMScheduler', 'UniPCMultistepScheduler', 'HeunDiscreteScheduler', 'KDPM2DiscreteScheduler'])(
    '%s keeps its own copies of the outputs and samples it remembers',
    (name) => {
      const s = createScheduler({ ...SD_BETAS, _class_name: name, skip_prk_steps: true });
      const expected = trajectory(s, 6);
      s.setTimesteps(6);
      const x = PATTERN.map((v) => v * s.initNoiseSigma);
      const reused = new Float32Array(SIZE); // like a runtime reusing its output buffer
      s.timesteps.forEach((t, i) => {
        reused.set(toyModel(s.scaleModelInput(x, i), t));
        x.set(s.step(reused, i, x)); // and a pipeline its latents buffer
      });
      expect(Array.from(x)).toEqual(Array.from(expected));
    },
  );
});

describe('SAMPLERS and samplerConfig', () => {
  const sd15 = { _class_name: 'PNDMScheduler', ...SD_BETAS, prediction_type: 'v_prediction', steps_offset: 1, timestep_spacing: 'leading', skip_prk_steps: true, set_alpha_to_one: false, clip_sample: false };

  it('offers A1111\'s samplers under A1111\'s names with unique ids, the old ids kept', () => {
    expect(SAMPLERS.map((s) => s.label)).toEqual([
      'Euler', 'Euler a', 'Heun', 'DPM2', 'DPM++ 2M', 'DPM++ 2M Karras', 'DPM++ 2M SDE', 'DPM++ 2M SDE Karras', 'UniPC', 'DDIM', 'PLMS', 'LCM',
    ]);
    for (const id of ['euler', 'euler-a', 'dpmpp-2m', 'dpmpp-2m-karras', 'ddim', 'lcm', 'pndm']) expect(SAMPLERS.map((s) => s.id)).toContain(id);
    expect(new Set(SAMPLERS.map((s) => s.id)).size).toBe(SAMPLERS.length);
    expect(SAMPLERS.find((s) => s.label === 'DPM++ 2M Karras')!.config.use_karras_sigmas).toBe(true);
  });

  it.each(SAMPLERS.map((s) => [s.id, s] as const))('%s keeps the model’s training schedule and builds its class', (id, sampler) => {
    const config = samplerConfig(sd15, id);
    expect(config).toMatchObject({ ...SD_BETAS, prediction_type: 'v_prediction', steps_offset: 1, timestep_spacing: 'leading' });
    expect(config).toMatchObject(sampler.config);
    const s = createScheduler(config);
    expect(s.constructor.name).toBe(sampler.config._class_name);
    expect(trajectory(s, 4).every(Number.isFinite)).toBe(true);
  });

  it('switches Karras σs off for plain DPM++ 2M even if the model’s config has them on', () => {
    const config = samplerConfig({ ...sd15, _class_name: 'DPMSolverMultistepScheduler', use_karras_sigmas: true }, 'dpmpp-2m');
    expect(config.use_karras_sigmas).toBe(false);
  });

  it('names the choices for an unknown sampler', () => {
    expect(() => samplerConfig(sd15, 'lms')).toThrow(/Unknown sampler "lms"; choose one of euler, euler-a, heun, dpm2, dpmpp-2m/);
  });
});

// Moved here with the old scheduler.test.ts, where they lived.
