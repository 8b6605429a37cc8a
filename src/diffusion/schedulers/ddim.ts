import {
  BASE_DEFAULTS,
  addNoiseAtAlpha,
  checkLengths,
  checkStepCount,
  checkStepIndex,
  perElement,
  predictFromAlpha,
  predictionType,
  refuseCustomSigmas,
  resolveConfig,
  roundHalfEven,
  spacedTimesteps,
  trainingSchedule,
  type PredictionType,
  type TrainingSchedule,
} from './common.ts';
import type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';

/** diffusers' defaults for `DDIMScheduler`. */
export const DDIM_DEFAULTS = {
  ...BASE_DEFAULTS,
  timestep_spacing: 'leading',
  set_alpha_to_one: true,
  clip_sample: true,
  clip_sample_range: 1,
};

/**
 * DDIM (Song et al. 2020) with η = 0, as diffusers' `DDIMScheduler`: predict the clean sample x0
 * and the noise ε, then re-noise x0 deterministically to the previous timestep's ᾱ:
 * x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε.
 */
export class DDIMScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. Note diffusers clips x0 to ±1 by default. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof DDIM_DEFAULTS;
  /** η = 0: deterministic. */
  readonly stochastic = false;
  /** One model call per step. */
  readonly order = 1;
  /** DDIM works on the variance-preserving sample, which starts as N(0, 1). */
  readonly initNoiseSigma = 1;
  /** Integer timesteps handed to the UNet. */
  timesteps: number[] = [];
  private readonly schedule: TrainingSchedule;
  private readonly prediction: PredictionType;
  /** ᾱ after the last step. */
  private readonly finalAlphaCumprod: number;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    this.config = this.settings = resolveConfig(DDIM_DEFAULTS, config, 'DDIMScheduler');
    this.schedule = trainingSchedule(this.settings, 'DDIMScheduler');
    this.prediction = predictionType(this.settings, 'DDIMScheduler');
    this.finalAlphaCumprod = this.settings.set_alpha_to_one ? 1 : this.schedule.alphasCumprod[0]!;
  }

  /** Chooses the timesteps for `steps` inference steps. */
  setTimesteps(steps: number, options?: TimestepOptions): void {
    const c = this.settings;
    refuseCustomSigmas(options, 'DDIMScheduler');
    checkStepCount(steps, c.num_train_timesteps, 'DDIMScheduler');
    this.timesteps = spacedTimesteps(c.timestep_spacing, steps, c.num_train_timesteps, c.steps_offset, 'DDIMScheduler').map(roundHalfEven);
  }

  /** DDIM's UNet input is the sample itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'DDIMScheduler');
    return sample.slice();
  }

  /** One η = 0 DDIM step; the last step lands on ᾱ = 1 (the clean sample) when `set_alpha_to_one`. */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'DDIMScheduler');
    checkLengths('DDIMScheduler', sample, modelOutput, noise);
    const t = this.timesteps[stepIndex]!;
    // diffusers steps back by T/steps whatever the spacing, not to the next entry of `timesteps`.
    const prev = t - Math.floor(this.settings.num_train_timesteps / this.timesteps.length);
    const alphaBar = this.schedule.alphasCumprod[t]!;
    const alphaBarPrev = prev >= 0 ? this.schedule.alphasCumprod[prev]! : this.finalAlphaCumprod;
    const range = this.settings.clip_sample ? this.settings.clip_sample_range : Infinity;
    return perElement(sample.length, (i) => {
      const { x0, eps } = predictFromAlpha(this.prediction, modelOutput[i]!, sample[i]!, alphaBar);
      const clipped = Math.min(range, Math.max(-range, x0));
      return Math.sqrt(alphaBarPrev) * clipped + Math.sqrt(1 - alphaBarPrev) * eps;
    });
  }

  /** img2img: √ᾱ·x0 + √(1−ᾱ)·noise at `timesteps[stepIndex]`. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'DDIMScheduler');
    checkLengths('DDIMScheduler', original, noise);
    return addNoiseAtAlpha(original, noise, this.schedule.alphasCumprod[this.timesteps[stepIndex]!]!);
  }
}
