import {
  BASE_DEFAULTS,
  checkLengths,
  checkStepIndex,
  perElement,
  predictionType,
  refuseCustomSigmas,
  rejectUnsupported,
  resolveConfig,
  sigmaToTimestep,
  trainingSchedule,
  type PredictionType,
  type TrainingSchedule,
} from './common.ts';
import { clampedX0, twoCallInitNoiseSigma, twoCallSchedule } from './heun-discrete.ts';
import type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';

/** diffusers' defaults for `KDPM2DiscreteScheduler` (SD's beta range, but the `linear` schedule). */
export const KDPM2_DEFAULTS = {
  ...BASE_DEFAULTS,
  beta_start: 0.00085,
  beta_end: 0.012,
  timestep_spacing: 'linspace',
  use_karras_sigmas: false,
};

/**
 * DPM2 (Karras et al. 2022's second-order sampler with the midpoint rule), as diffusers'
 * `KDPM2DiscreteScheduler`, A1111's "DPM2": each step goes Euler to the geometric midpoint
 * √(σ·σ_next), asks the model there, and takes the whole step from the start with the midpoint's
 * slope. Two model calls per step (`order` 2): the schedule interleaves each step's timestep with its
 * midpoint's. The last call goes straight from the last σ to 0, so N steps make 2N − 1 calls.
 */
export class KDPM2DiscreteScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof KDPM2_DEFAULTS;
  /** DPM2 is deterministic. */
  readonly stochastic = false;
  /** Two model calls per step. */
  readonly order = 2;
  /** One timestep per model call: t₀, then each midpoint's and the next step's (2·steps − 1 entries). */
  timesteps: number[] = [];
  /** σ per model call as diffusers lays them out: σ₀, σ₁, σ₁, …, σ_last, σ_last, 0, 0, 0. */
  sigmas: number[] = [];
  /** The midpoints √(σ_prev·σ) in the same layout (the first is undefined: NaN, as in diffusers). */
  sigmasInterpol: number[] = [];
  private readonly schedule: TrainingSchedule;
  private readonly prediction: PredictionType;
  /** The first half of the step in progress: the index and the sample it started from. */
  private pending: { stepIndex: number; start: Float32Array } | null = null;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    this.config = this.settings = resolveConfig(KDPM2_DEFAULTS, config, 'KDPM2DiscreteScheduler');
    rejectUnsupported(this.settings, 'KDPM2DiscreteScheduler', { use_exponential_sigmas: [false], use_beta_sigmas: [false] });
    this.schedule = trainingSchedule(this.settings, 'KDPM2DiscreteScheduler');
    this.prediction = predictionType(this.settings, 'KDPM2DiscreteScheduler');
  }

  /** σ_max, or √(σ_max²+1) for leading spacing, as diffusers. */
  get initNoiseSigma(): number {
    return twoCallInitNoiseSigma(this.settings.timestep_spacing, this.sigmas.length ? this.sigmas : this.schedule.sigmas);
  }

  /** Chooses the σs and their midpoints for `steps` steps and lays them out one per model call. */
  setTimesteps(steps: number, options?: TimestepOptions): void {
    refuseCustomSigmas(options, 'KDPM2DiscreteScheduler');
    const { timesteps, sigmas } = twoCallSchedule(this.settings, steps, this.schedule.sigmas, true, 'KDPM2DiscreteScheduler');
    // Midpoint k lies between σ_(k−1) and σ_k; the last one, between σ_last and 0, is 0.
    const midpoints = sigmas.map((s, k) => (k === 0 ? NaN : Math.fround(Math.sqrt(s * sigmas[k - 1]!))));
    const layout = (values: number[]) => [values[0]!, ...values.slice(1).flatMap((v) => [v, v]), values[values.length - 1]!];
    this.sigmas = layout(sigmas);
    this.sigmasInterpol = layout(midpoints);
    const midTimesteps = midpoints.slice(1, -1).map((s) => Math.fround(sigmaToTimestep(s, this.schedule.sigmas)));
    this.timesteps = [timesteps[0]!, ...timesteps.slice(1).flatMap((t, k) => [midTimesteps[k]!, t])];
    this.pending = null;
  }

  /** Divides by √(σ²+1) at the σ the model is asked at: the step's own on even calls, the midpoint's on odd ones. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'KDPM2DiscreteScheduler');
    const sigma = stepIndex % 2 === 0 ? this.sigmas[stepIndex]! : this.sigmasInterpol[stepIndex]!;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    return perElement(sample.length, (i) => sample[i]! * scale);
  }

  /** Even indices: Euler to the midpoint, remembered. Odd indices: the whole step with the midpoint's slope. */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'KDPM2DiscreteScheduler');
    checkLengths('KDPM2DiscreteScheduler', sample, modelOutput, noise);
    if (stepIndex % 2 === 0) {
      const sigma = this.sigmas[stepIndex]!;
      const dt = this.sigmasInterpol[stepIndex + 1]! - sigma;
      this.pending = { stepIndex, start: sample.slice() };
      return perElement(sample.length, (i) => sample[i]! + this.slope(modelOutput[i]!, sample[i]!, sigma) * dt);
    }
    const pending = this.pending;
    if (!pending || pending.stepIndex !== stepIndex - 1) {
      throw new Error(`KDPM2DiscreteScheduler: step ${stepIndex} finishes the step begun at ${stepIndex - 1}; run that one first.`);
    }
    this.pending = null;
    const midpoint = this.sigmasInterpol[stepIndex]!;
    const dt = this.sigmas[stepIndex]! - this.sigmas[stepIndex - 1]!;
    return perElement(sample.length, (i) => pending.start[i]! + this.slope(modelOutput[i]!, sample[i]!, midpoint) * dt);
  }

  /** img2img: x0 + σ·noise at this call's σ. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'KDPM2DiscreteScheduler');
    checkLengths('KDPM2DiscreteScheduler', original, noise);
    const sigma = this.sigmas[stepIndex]!;
    return perElement(original.length, (i) => original[i]! + sigma * noise[i]!);
  }

  /** dx/dσ = (x − x0)/σ at σ. */
  private slope(output: number, x: number, sigma: number): number {
    return (x - clampedX0(this.prediction, output, x, sigma)) / sigma;
  }
}
