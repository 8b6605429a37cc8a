import {
  BASE_DEFAULTS,
  checkLengths,
  checkStepCount,
  checkStepIndex,
  interpolate,
  rejectUnsupported,
  karrasSigmas,
  perElement,
  predictionType,
  refuseCustomSigmas,
  resolveConfig,
  sigmaToTimestep,
  spacedTimesteps,
  trainingSchedule,
  type PredictionType,
  type TrainingSchedule,
} from './common.ts';
import type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';

export type { SchedulerConfig } from './scheduler.ts';

/** diffusers' defaults for `EulerDiscreteScheduler`. */
export const EULER_DEFAULTS = {
  ...BASE_DEFAULTS,
  timestep_spacing: 'linspace',
  use_karras_sigmas: false,
  final_sigmas_type: 'zero',
};

/**
 * Euler discrete scheduler (Karras et al. 2022, algorithm 2 without churn), as diffusers'
 * `EulerDiscreteScheduler`. It walks σ down from σ_max to 0, with the sample kept at x0 + σ·ε
 * scale (so the UNet input is divided by √(σ²+1)). SD-Turbo ships it with trailing spacing, which
 * makes one step start at t = 999, σ ≈ 14.6146.
 */
export class EulerDiscreteScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof EULER_DEFAULTS;
  /** Euler is deterministic: `step` takes no noise. */
  readonly stochastic: boolean = false;
  /** One model call per step. */
  readonly order: number = 1;
  /** The timestep handed to the UNet at each step (fractional for linspace spacing or Karras σs). */
  timesteps: number[] = [];
  /** σ at each step, then the σ the last step lands on (0 unless `final_sigmas_type` is `sigma_min`). */
  sigmas: number[] = [];
  /** ᾱ and σ per training timestep. */
  private readonly schedule: TrainingSchedule;
  /** How to read the UNet's output. */
  private readonly prediction: PredictionType;
  /** Names the class in error messages (a getter, so a subclass's name shows even from this constructor). */
  protected get className(): string {
    return 'EulerDiscreteScheduler';
  }

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    this.config = this.settings = resolveConfig(EULER_DEFAULTS, config, this.className);
    rejectUnsupported(this.settings, this.className, {
      interpolation_type: ['linear'],
      timestep_type: ['discrete'],
      use_exponential_sigmas: [false],
      use_beta_sigmas: [false],
    });
    this.schedule = trainingSchedule(this.settings, this.className);
    this.prediction = predictionType(this.settings, this.className);
  }

  /** σ_max, or √(σ_max²+1) for leading spacing: diffusers' choice, kept so seeds reproduce. */
  get initNoiseSigma(): number {
    // Before setTimesteps diffusers' σs are the training ones.
    const maxSigma = Math.max(...(this.sigmas.length ? this.sigmas : this.schedule.sigmas));
    return this.settings.timestep_spacing === 'leading' ? Math.sqrt(maxSigma * maxSigma + 1) : maxSigma;
  }

  /** Chooses the timesteps and σs for `steps` inference steps. */
  setTimesteps(steps: number, options?: TimestepOptions): void {
    const c = this.settings;
    refuseCustomSigmas(options, this.className);
    checkStepCount(steps, c.num_train_timesteps, this.className);
    const trainSigmas = this.schedule.sigmas;
    // diffusers hands these timesteps out as float32.
    let timesteps = spacedTimesteps(c.timestep_spacing, steps, c.num_train_timesteps, c.steps_offset, this.className).map(Math.fround);
    let sigmas = timesteps.map((t) => interpolate(trainSigmas, t));
    if (c.use_karras_sigmas) {
      // Karras σs span the spaced schedule's own range (unless the config pins it); the UNet gets
      // the matching fractional t.
      const sigmaMin = typeof c.sigma_min === 'number' ? c.sigma_min : sigmas[sigmas.length - 1]!;
      const sigmaMax = typeof c.sigma_max === 'number' ? c.sigma_max : sigmas[0]!;
      sigmas = karrasSigmas(sigmaMin, sigmaMax, steps);
      timesteps = sigmas.map((s) => Math.fround(sigmaToTimestep(s, trainSigmas)));
    }
    const last = finalSigma(c.final_sigmas_type, trainSigmas, this.className);
    this.timesteps = timesteps;
    this.sigmas = [...sigmas, last].map(Math.fround);
  }

  /** The UNet was trained on unit-variance input: divide x = x0 + σ·ε by √(σ²+1). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, this.className);
    const scale = 1 / Math.sqrt(this.sigmas[stepIndex]! ** 2 + 1);
    return perElement(sample.length, (i) => sample[i]! * scale);
  }

  /** One Euler step along dx/dσ = (x − x0)/σ to the next σ; the last step lands on x0 when σ_last = 0. */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, this.className);
    checkLengths(this.className, sample, modelOutput, noise);
    const sigma = this.sigmas[stepIndex]!;
    const dt = this.sigmas[stepIndex + 1]! - sigma;
    return perElement(sample.length, (i) => {
      const x = sample[i]!;
      return x + ((x - this.predictX0(modelOutput[i]!, x, sigma)) / sigma) * dt;
    });
  }

  /** img2img: x0 + σ·noise, σ being that of `timesteps[stepIndex]`. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, this.className);
    checkLengths(this.className, original, noise);
    const sigma = this.sigmas[stepIndex]!;
    return perElement(original.length, (i) => original[i]! + sigma * noise[i]!);
  }

  /** The clean sample the UNet's output implies at σ (v-prediction is defined on the √(σ²+1)-scaled input). */
  protected predictX0(output: number, x: number, sigma: number): number {
    if (this.prediction === 'epsilon') return x - sigma * output;
    return output * (-sigma / Math.sqrt(sigma * sigma + 1)) + x / (sigma * sigma + 1);
  }
}

/** The σ the last step lands on: 0, or the smallest training σ (`sigma_min`). */
export function finalSigma(type: unknown, trainSigmas: ArrayLike<number>, className: string): number {
  if (type === 'zero') return 0;
  if (type === 'sigma_min') return trainSigmas[0]!;
  throw new Error(`${className}: final_sigmas_type "${String(type)}" is not supported; use "zero" or "sigma_min".`);
}
