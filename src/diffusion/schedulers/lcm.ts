import {
  addNoiseAtAlpha,
  checkLengths,
  checkStepIndex,
  perElement,
  predictFromAlpha,
  predictionType,
  refuseCustomSigmas,
  resolveConfig,
  trainingSchedule,
  type PredictionType,
  type TrainingSchedule,
} from './common.ts';
import type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';

/** diffusers' defaults for `LCMScheduler` (SD's betas, unlike the other classes). */
export const LCM_DEFAULTS = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  prediction_type: 'epsilon',
  steps_offset: 0,
  timestep_spacing: 'leading',
  original_inference_steps: 50,
  clip_sample: false,
  clip_sample_range: 1,
  timestep_scaling: 10,
};

/**
 * Latent Consistency Model sampling (Luo et al. 2023), as diffusers' `LCMScheduler`. Each step
 * maps the sample straight to a clean estimate ("denoised") through the consistency boundary
 * condition, then re-noises it with fresh noise to the next timestep; the last step returns the
 * denoised estimate itself. Timesteps come from the `original_inference_steps` teacher schedule, so
 * `timestep_spacing` and `steps_offset` do not apply (as in diffusers).
 */
export class LCMScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof LCM_DEFAULTS;
  /** Every step needs fresh noise from the caller (the last one ignores it). */
  readonly stochastic = true;
  /** One model call per step. */
  readonly order = 1;
  /** LCM works on the variance-preserving sample, which starts as N(0, 1). */
  readonly initNoiseSigma = 1;
  /** Integer timesteps handed to the UNet. */
  timesteps: number[] = [];
  private readonly schedule: TrainingSchedule;
  private readonly prediction: PredictionType;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    this.config = this.settings = resolveConfig(LCM_DEFAULTS, config, 'LCMScheduler');
    this.schedule = trainingSchedule(this.settings, 'LCMScheduler');
    this.prediction = predictionType(this.settings, 'LCMScheduler');
  }

  /** Picks `steps` evenly spaced entries of the teacher's schedule t = k−1, 2k−1, … (k = T / original steps). */
  setTimesteps(steps: number, options?: TimestepOptions): void {
    refuseCustomSigmas(options, 'LCMScheduler');
    const original = this.settings.original_inference_steps;
    const T = this.settings.num_train_timesteps;
    if (original > T) throw new RangeError(`LCMScheduler: original_inference_steps ${original} is more than the ${T} training timesteps.`);
    if (!Number.isInteger(steps) || steps < 1 || steps > original) {
      throw new RangeError(`LCMScheduler: the step count must be 1…${original} (original_inference_steps), not ${steps}.`);
    }
    const k = Math.floor(T / original);
    const stride = original / steps;
    // Teacher timesteps from the largest down: entry j is (original − j)·k − 1.
    this.timesteps = Array.from({ length: steps }, (_, i) => (original - Math.floor(i * stride)) * k - 1);
  }

  /** LCM's UNet input is the sample itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'LCMScheduler');
    return sample.slice();
  }

  /** One consistency step: `noise` is required (the last step returns the denoised estimate and ignores it). */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'LCMScheduler');
    checkLengths('LCMScheduler', sample, modelOutput, noise, true);
    const t = this.timesteps[stepIndex]!;
    const isLast = stepIndex === this.timesteps.length - 1;
    const alphaBar = this.schedule.alphasCumprod[t]!;
    const alphaBarNext = this.schedule.alphasCumprod[isLast ? t : this.timesteps[stepIndex + 1]!]!;
    // Boundary condition with σ_data = 0.5: c_skip → 1 and c_out → 0 as t → 0, so f(x, 0) = x.
    const scaled = t * this.settings.timestep_scaling;
    const cSkip = 0.25 / (scaled * scaled + 0.25);
    const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    const range = this.settings.clip_sample ? this.settings.clip_sample_range : Infinity;
    return perElement(sample.length, (i) => {
      const { x0 } = predictFromAlpha(this.prediction, modelOutput[i]!, sample[i]!, alphaBar);
      const denoised = cOut * Math.min(range, Math.max(-range, x0)) + cSkip * sample[i]!;
      return isLast ? denoised : Math.sqrt(alphaBarNext) * denoised + Math.sqrt(1 - alphaBarNext) * noise![i]!;
    });
  }

  /** img2img: √ᾱ·x0 + √(1−ᾱ)·noise at `timesteps[stepIndex]`. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'LCMScheduler');
    checkLengths('LCMScheduler', original, noise);
    return addNoiseAtAlpha(original, noise, this.schedule.alphasCumprod[this.timesteps[stepIndex]!]!);
  }
}
