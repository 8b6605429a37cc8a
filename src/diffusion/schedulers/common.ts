import { checkConfigValues } from './config-checks.ts';
import type { SchedulerConfig, TimestepOptions } from './scheduler.ts';

export { checkStepCount } from './config-checks.ts';

/** The settings every diffusers scheduler shares, at diffusers' own defaults. */
export const BASE_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  prediction_type: 'epsilon',
  steps_offset: 0,
};

/**
 * `config` over `defaults`, its numbers and flags checked (a bad one is an error naming
 * scheduler_config.json and the field). Keys set to `null` count as missing: diffusers writes
 * `null` for "use the default" (e.g. `"trained_betas": null`).
 */
export function resolveConfig<D extends object>(defaults: D, config: SchedulerConfig, className: string): SchedulerConfig & D {
  const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null && v !== undefined));
  const resolved = { ...defaults, ...given } as SchedulerConfig & D;
  checkConfigValues(resolved, className);
  return resolved;
}

/** Throws when `setTimesteps` is given σs by a scheduler that picks its own (only flow matching takes them). */
export function refuseCustomSigmas(options: TimestepOptions | undefined, className: string): void {
  if (options?.sigmas !== undefined) throw new Error(`${className}: custom sigmas are not supported; only FlowMatchEulerDiscreteScheduler takes them.`);
}

/** The noise schedule a model was trained with, one entry per training timestep t = 0 … T−1. */
export interface TrainingSchedule {
  /** ᾱ_t, the fraction of signal variance left at t. */
  alphasCumprod: Float64Array;
  /** σ_t = √((1 − ᾱ_t)/ᾱ_t), the noise-to-signal ratio Euler-type samplers walk along. */
  sigmas: Float64Array;
}

/**
 * ᾱ and σ for every training timestep. diffusers keeps betas, ᾱ and σ in float32 tensors, so each
 * is rounded to float32 here too; with that, σ matches diffusers' to 1 ulp.
 */
export function trainingSchedule(config: SchedulerConfig, className: string): TrainingSchedule {
  rejectUnsupported(config, className, { rescale_betas_zero_snr: [false], thresholding: [false] });
  const betas = trainingBetas(config, className);
  const alphasCumprod = new Float64Array(betas.length);
  const sigmas = new Float64Array(betas.length);
  // torch's cumprod keeps a double running product and stores each entry as float32.
  let product = 1;
  betas.forEach((beta, t) => {
    product *= Math.fround(1 - beta);
    const alphaBar = Math.fround(product);
    alphasCumprod[t] = alphaBar;
    sigmas[t] = Math.fround(Math.sqrt(Math.fround(Math.fround(1 - alphaBar) / alphaBar)));
  });
  return { alphasCumprod, sigmas };
}

function trainingBetas(config: SchedulerConfig, className: string): number[] {
  if (Array.isArray(config.trained_betas)) return config.trained_betas.map(Math.fround);
  const count = config.num_train_timesteps ?? BASE_DEFAULTS.num_train_timesteps;
  const start = config.beta_start ?? BASE_DEFAULTS.beta_start;
  const end = config.beta_end ?? BASE_DEFAULTS.beta_end;
  if (config.beta_schedule === 'linear') return float32Linspace(start, end, count);
  // Scaled-linear (SD's): linear in √β, then squared.
  if (config.beta_schedule === 'scaled_linear') return float32Linspace(Math.sqrt(start), Math.sqrt(end), count).map((b) => Math.fround(b * b));
  throw new Error(`${className}: beta_schedule "${String(config.beta_schedule)}" is not supported; use "scaled_linear" or "linear".`);
}

/** torch.linspace in float32: the end points and every entry rounded to float32. */
function float32Linspace(start: number, end: number, count: number): number[] {
  const a = Math.fround(start);
  const step = count > 1 ? (Math.fround(end) - a) / (count - 1) : 0;
  return Array.from({ length: count }, (_, i) => Math.fround(a + step * i));
}

/**
 * Throws when a config key is set to a value this port does not implement, rather than silently
 * sampling differently from diffusers. Missing and `null` keys pass.
 */
export function rejectUnsupported(config: SchedulerConfig, className: string, supported: Record<string, readonly unknown[]>): void {
  for (const [key, allowed] of Object.entries(supported)) {
    const value = config[key];
    if (value === undefined || value === null || allowed.includes(value)) continue;
    throw new Error(`${className}: ${key} ${JSON.stringify(value)} is not supported; use ${allowed.map((v) => JSON.stringify(v)).join(' or ')}.`);
  }
}

/** numpy's `round`: halves go to the even neighbour (62.5 → 62), unlike Math.round. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** np.linspace(start, stop, count): `count` evenly spaced values, `stop` included. */
export function linspace(start: number, stop: number, count: number): number[] {
  if (count === 1) return [start];
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? stop : i * step + start));
}

/**
 * Inference timesteps, largest first, by diffusers' `timestep_spacing` (Table 2 of Lin et al.,
 * "Common Diffusion Noise Schedules and Sample Steps are Flawed"). `linspace` values are left
 * fractional: each scheduler rounds them its own way.
 */
export function spacedTimesteps(spacing: unknown, steps: number, trainSteps: number, offset: number, className: string): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${className}: the step count must be a positive integer, not ${steps}.`);
  if (spacing === 'linspace') return linspace(0, trainSteps - 1, steps).reverse();
  if (spacing === 'leading') {
    const ratio = Math.floor(trainSteps / steps);
    return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + offset);
  }
  if (spacing === 'trailing') {
    // As np.arange(T, 0, -T/steps) fills it (T + i·(second − first)), rounded half-even, minus 1.
    // numpy sometimes yields steps + 1 values there (e.g. 61 steps, ending at t = −1); we keep `steps`.
    const delta = trainSteps - trainSteps / steps - trainSteps;
    return Array.from({ length: steps }, (_, i) => roundHalfEven(trainSteps + i * delta) - 1);
  }
  throw new Error(`${className}: timestep_spacing "${String(spacing)}" is not supported; use "leading", "trailing" or "linspace".`);
}

/** `table` (one value per integer timestep) at a fractional timestep, linearly like np.interp. */
export function interpolate(table: ArrayLike<number>, t: number): number {
  if (t <= 0) return table[0]!;
  if (t >= table.length - 1) return table[table.length - 1]!;
  const lo = Math.floor(t);
  return table[lo]! + (t - lo) * (table[lo + 1]! - table[lo]!);
}

/** Karras et al. (2022) eq. 5: `steps` σs from `sigmaMax` down to `sigmaMin`, evenly spaced in σ^(1/ρ), ρ = 7. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return linspace(0, 1, steps).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}

/** The fractional training timestep whose σ is `sigma`, interpolating in log σ (the inverse of `interpolate`). */
export function sigmaToTimestep(sigma: number, trainSigmas: ArrayLike<number>): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  const logAt = (t: number) => Math.log(trainSigmas[t]!);
  let low = 0;
  for (let t = 0; t < trainSigmas.length && logAt(t) <= logSigma; t++) low = t;
  low = Math.min(low, trainSigmas.length - 2);
  const weight = Math.min(1, Math.max(0, (logAt(low) - logSigma) / (logAt(low) - logAt(low + 1))));
  return (1 - weight) * low + weight * (low + 1);
}

/** What the UNet predicts; the schedulers here understand these two. */
export type PredictionType = 'epsilon' | 'v_prediction';

/** The configured prediction type, or an Error naming the supported ones. */
export function predictionType(config: SchedulerConfig, className: string): PredictionType {
  const type = config.prediction_type ?? 'epsilon';
  if (type === 'epsilon' || type === 'v_prediction') return type;
  throw new Error(`${className}: prediction_type "${String(type)}" is not supported; use "epsilon" or "v_prediction".`);
}

/**
 * The clean-sample and noise predictions from a UNet output at ᾱ (variance-preserving form, as
 * DDIM/PNDM/LCM see the sample): x0 = (x − √(1−ᾱ)·ε)/√ᾱ, or from v: x0 = √ᾱ·x − √(1−ᾱ)·v.
 */
export function predictFromAlpha(type: PredictionType, output: number, sample: number, alphaBar: number): { x0: number; eps: number } {
  const a = Math.sqrt(alphaBar);
  const b = Math.sqrt(1 - alphaBar);
  if (type === 'epsilon') return { x0: (sample - b * output) / a, eps: output };
  return { x0: a * sample - b * output, eps: a * output + b * sample };
}

/** img2img for variance-preserving samplers (DDIM, PNDM, LCM): √ᾱ·x0 + √(1−ᾱ)·noise. */
export function addNoiseAtAlpha(original: Float32Array, noise: Float32Array, alphaBar: number): Float32Array {
  const a = Math.sqrt(alphaBar);
  const b = Math.sqrt(1 - alphaBar);
  return perElement(original.length, (i) => a * original[i]! + b * noise[i]!);
}

/** A new float32 sample whose element i is `value(i)` (computed in float64). */
export function perElement(length: number, value: (i: number) => number): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = value(i);
  return out;
}

/** Throws unless `stepIndex` names one of `timesteps` (so `setTimesteps` has run). */
export function checkStepIndex(timesteps: readonly number[], stepIndex: number, className: string): void {
  if (!timesteps.length) throw new Error(`${className}: call setTimesteps(steps) before stepping.`);
  if (!Number.isInteger(stepIndex) || stepIndex < 0 || stepIndex >= timesteps.length) {
    throw new RangeError(`${className}: step index ${stepIndex} is outside 0…${timesteps.length - 1}.`);
  }
}

/** Throws unless the arrays have the sample's length; `noise` may be required (stochastic steps). */
export function checkLengths(className: string, sample: Float32Array, other: Float32Array, noise?: Float32Array, needsNoise = false): void {
  if (other.length !== sample.length) throw new RangeError(`${className}: got ${other.length} values for a sample of ${sample.length}.`);
  if (needsNoise && !noise) {
    throw new Error(`${className}.step needs fresh N(0, 1) noise (the sample's length) as its 4th argument: this sampler adds noise each step.`);
  }
  if (noise && noise.length !== sample.length) throw new RangeError(`${className}: got ${noise.length} noise values for a sample of ${sample.length}.`);
}
