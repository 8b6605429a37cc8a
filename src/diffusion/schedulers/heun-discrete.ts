import {
  BASE_DEFAULTS,
  checkLengths,
  checkStepCount,
  checkStepIndex,
  interpolate,
  karrasSigmas,
  perElement,
  predictionType,
  refuseCustomSigmas,
  rejectUnsupported,
  resolveConfig,
  roundHalfEven,
  sigmaToTimestep,
  spacedTimesteps,
  trainingSchedule,
  type PredictionType,
  type TrainingSchedule,
} from './common.ts';
import type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';

/** diffusers' defaults for `HeunDiscreteScheduler` (SD's beta range, but the `linear` schedule). */
export const HEUN_DEFAULTS = {
  ...BASE_DEFAULTS,
  beta_start: 0.00085,
  beta_end: 0.012,
  timestep_spacing: 'linspace',
  use_karras_sigmas: false,
  clip_sample: false,
  clip_sample_range: 1,
};

/**
 * Heun's method (Karras et al. 2022, algorithm 1 without churn), as diffusers'
 * `HeunDiscreteScheduler`: each step is an Euler step to the next σ, then the model is asked again
 * there and the step is redone from the same start with the mean of both slopes. That makes two
 * model calls per step (`order` 2): like diffusers, the schedule lists every timestep but the first
 * twice, so a pipeline that calls the model once per entry of `timesteps` runs it unchanged. The
 * last call is a lone Euler step onto σ = 0, so N steps make 2N − 1 calls.
 */
export class HeunDiscreteScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof HEUN_DEFAULTS;
  /** Heun is deterministic. */
  readonly stochastic = false;
  /** Two model calls per step. */
  readonly order = 2;
  /** One timestep per model call: t₀, then t₁, t₁, t₂, t₂, … (2·steps − 1 entries). */
  timesteps: number[] = [];
  /** σ per model call, laid out as diffusers': σ₀, σ₁, σ₁, …, σ_last, σ_last, 0. */
  sigmas: number[] = [];
  private readonly schedule: TrainingSchedule;
  private readonly prediction: PredictionType;
  /** The first half of the step in progress: where it started, its slope and its σ change. */
  private pending: { stepIndex: number; start: Float32Array; derivative: Float64Array; dt: number } | null = null;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    this.config = this.settings = resolveConfig(HEUN_DEFAULTS, config, 'HeunDiscreteScheduler');
    rejectUnsupported(this.settings, 'HeunDiscreteScheduler', { use_exponential_sigmas: [false], use_beta_sigmas: [false] });
    this.schedule = trainingSchedule(this.settings, 'HeunDiscreteScheduler');
    this.prediction = predictionType(this.settings, 'HeunDiscreteScheduler');
  }

  /** σ_max, or √(σ_max²+1) for leading spacing, as diffusers. */
  get initNoiseSigma(): number {
    return twoCallInitNoiseSigma(this.settings.timestep_spacing, this.sigmas.length ? this.sigmas : this.schedule.sigmas);
  }

  /** Chooses the σs for `steps` steps and lays them out one per model call. */
  setTimesteps(steps: number, options?: TimestepOptions): void {
    refuseCustomSigmas(options, 'HeunDiscreteScheduler');
    const { timesteps, sigmas } = twoCallSchedule(this.settings, steps, this.schedule.sigmas, false, 'HeunDiscreteScheduler');
    this.timesteps = [timesteps[0]!, ...timesteps.slice(1).flatMap((t) => [t, t])];
    this.sigmas = [sigmas[0]!, ...sigmas.slice(1, -1).flatMap((s) => [s, s]), sigmas[sigmas.length - 1]!];
    this.pending = null;
  }

  /** The UNet was trained on unit-variance input: divide by √(σ²+1) at this call's σ. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'HeunDiscreteScheduler');
    const scale = 1 / Math.sqrt(this.sigmas[stepIndex]! ** 2 + 1);
    return perElement(sample.length, (i) => sample[i]! * scale);
  }

  /**
   * Even indices: an Euler step from σ to the next σ, remembered. Odd indices: the same step
   * redone from where it started with the mean of its slope and the slope at the next σ.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'HeunDiscreteScheduler');
    checkLengths('HeunDiscreteScheduler', sample, modelOutput, noise);
    if (stepIndex % 2 === 0) {
      const sigma = this.sigmas[stepIndex]!;
      const dt = this.sigmas[stepIndex + 1]! - sigma;
      const derivative = this.slope(modelOutput, sample, sigma);
      this.pending = { stepIndex, start: sample.slice(), derivative, dt };
      return perElement(sample.length, (i) => sample[i]! + derivative[i]! * dt);
    }
    const pending = this.pending;
    if (!pending || pending.stepIndex !== stepIndex - 1) {
      throw new Error(`HeunDiscreteScheduler: step ${stepIndex} finishes the step begun at ${stepIndex - 1}; run that one first.`);
    }
    this.pending = null;
    const second = this.slope(modelOutput, sample, this.sigmas[stepIndex]!);
    return perElement(sample.length, (i) => pending.start[i]! + ((pending.derivative[i]! + second[i]!) / 2) * pending.dt);
  }

  /** img2img: x0 + σ·noise at this call's σ. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'HeunDiscreteScheduler');
    checkLengths('HeunDiscreteScheduler', original, noise);
    const sigma = this.sigmas[stepIndex]!;
    return perElement(original.length, (i) => original[i]! + sigma * noise[i]!);
  }

  /** dx/dσ = (x − x0)/σ, with x0 the (optionally clipped) clean sample the output implies at σ. */
  private slope(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float64Array {
    const range = this.settings.clip_sample ? this.settings.clip_sample_range : Infinity;
    const out = new Float64Array(sample.length);
    for (let i = 0; i < out.length; i++) {
      const x = sample[i]!;
      const x0 = clampedX0(this.prediction, modelOutput[i]!, x, sigma, range);
      out[i] = (x - x0) / sigma;
    }
    return out;
  }
}

/** The clean sample a UNet output implies at σ (k-diffusion scaling), clamped to ±`range`. */
export function clampedX0(prediction: PredictionType, output: number, x: number, sigma: number, range = Infinity): number {
  const x0 = prediction === 'epsilon' ? x - sigma * output : output * (-sigma / Math.sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1);
  return Math.min(range, Math.max(-range, x0));
}

/** Heun's and DPM2's initial noise: σ_max, or √(σ_max²+1) for leading spacing. */
export function twoCallInitNoiseSigma(spacing: unknown, sigmas: ArrayLike<number>): number {
  const max = Math.max(...Array.from(sigmas));
  return spacing === 'linspace' || spacing === 'trailing' ? max : Math.sqrt(max * max + 1);
}

/**
 * The schedule Heun and DPM2 double up, one entry per step: spaced timesteps (float32) with σ
 * interpolated from the training table, or Karras σs over that range (neither class has
 * `sigma_min`/`sigma_max` options) with their fractional timesteps (rounded by DPM2 only), then
 * σ = 0 for the end.
 */
export function twoCallSchedule(
  c: SchedulerConfig & typeof BASE_DEFAULTS & { timestep_spacing: string; use_karras_sigmas: boolean },
  steps: number,
  trainSigmas: ArrayLike<number>,
  roundKarrasTimesteps: boolean,
  className: string,
): { timesteps: number[]; sigmas: number[] } {
  checkStepCount(steps, c.num_train_timesteps, className);
  let timesteps = spacedTimesteps(c.timestep_spacing, steps, c.num_train_timesteps, c.steps_offset, className).map(Math.fround);
  let sigmas = timesteps.map((t) => interpolate(trainSigmas, t));
  if (c.use_karras_sigmas) {
    sigmas = karrasSigmas(sigmas[sigmas.length - 1]!, sigmas[0]!, steps);
    const exact = sigmas.map((s) => sigmaToTimestep(s, trainSigmas));
    timesteps = roundKarrasTimesteps ? exact.map(roundHalfEven) : exact.map(Math.fround);
  }
  return { timesteps, sigmas: [...sigmas, 0].map(Math.fround) };
}
