import {
  BASE_DEFAULTS,
  addNoiseAtAlpha,
  checkLengths,
  checkStepCount,
  checkStepIndex,
  perElement,
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

/** diffusers' defaults for `PNDMScheduler`. */
export const PNDM_DEFAULTS = {
  ...BASE_DEFAULTS,
  timestep_spacing: 'leading',
  skip_prk_steps: false,
  set_alpha_to_one: false,
};

/**
 * Pseudo numerical methods (Liu et al. 2022) in their PLMS form, as diffusers' `PNDMScheduler` with
 * `skip_prk_steps: true` (how SD 1.x repos ship it). A linear multistep method over the last four
 * noise predictions, warmed up by one improved-Euler step: that is why the second timestep is
 * repeated, and why there are steps + 1 UNet calls.
 */
export class PNDMScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof PNDM_DEFAULTS;
  /** PLMS is deterministic. */
  readonly stochastic = false;
  /** One model call per step (the warm-up's extra call repeats a timestep instead, as in diffusers). */
  readonly order = 1;
  /** PNDM works on the variance-preserving sample, which starts as N(0, 1). */
  readonly initNoiseSigma = 1;
  /** Integer timesteps handed to the UNet: the spaced ones with the second repeated (steps + 1 entries). */
  timesteps: number[] = [];
  private readonly schedule: TrainingSchedule;
  private readonly prediction: PredictionType;
  private readonly finalAlphaCumprod: number;
  /** The noise predictions of the latest steps, oldest first (diffusers' `ets`). */
  private history: Float32Array[] = [];
  /** The sample the warm-up step started from: its second half restarts there. */
  private warmupStart: Float32Array | null = null;
  /** Steps taken since `setTimesteps` (diffusers' `counter`, which drives the warm-up). */
  private counter = 0;
  /** The step count asked of `setTimesteps`: each step goes back T / steps timesteps. */
  private inferenceSteps = 1;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    this.config = this.settings = resolveConfig(PNDM_DEFAULTS, config, 'PNDMScheduler');
    if (!this.settings.skip_prk_steps) {
      throw new Error('PNDMScheduler: only skip_prk_steps: true (PLMS, as SD 1.x ships it) is supported; the Runge-Kutta warm-up is not.');
    }
    this.schedule = trainingSchedule(this.settings, 'PNDMScheduler');
    this.prediction = predictionType(this.settings, 'PNDMScheduler');
    this.finalAlphaCumprod = this.settings.set_alpha_to_one ? 1 : this.schedule.alphasCumprod[0]!;
  }

  /** Chooses the timesteps for `steps` inference steps and forgets the multistep history. */
  setTimesteps(steps: number, options?: TimestepOptions): void {
    const c = this.settings;
    refuseCustomSigmas(options, 'PNDMScheduler');
    checkStepCount(steps, c.num_train_timesteps, 'PNDMScheduler');
    const spaced = spacedTimesteps(c.timestep_spacing, steps, c.num_train_timesteps, c.steps_offset, 'PNDMScheduler').map(roundHalfEven);
    this.timesteps = spaced.length > 1 ? [spaced[0]!, spaced[1]!, ...spaced.slice(1)] : spaced;
    this.inferenceSteps = steps;
    this.history = [];
    this.warmupStart = null;
    this.counter = 0;
  }

  /** PNDM's UNet input is the sample itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'PNDMScheduler');
    return sample.slice();
  }

  /**
   * One PLMS step. Step 0 is a plain step with ε₀ (remembering where it started); step 1, at the
   * repeated timestep, redoes that step from the start with the average of both ε (improved Euler);
   * later steps combine the last 2, 3 or 4 ε with Adams–Bashforth weights.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'PNDMScheduler');
    checkLengths('PNDMScheduler', sample, modelOutput, noise);
    // diffusers steps back by T/steps whatever the spacing, not to the next entry of `timesteps`.
    const stride = Math.floor(this.settings.num_train_timesteps / this.inferenceSteps);
    const t = this.timesteps[stepIndex]!;
    const counter = this.counter++;
    if (counter === 1 && this.warmupStart) {
      const first = this.history[this.history.length - 1]!;
      const mean = perElement(sample.length, (i) => (modelOutput[i]! + first[i]!) / 2);
      return this.previousSample(this.warmupStart, t + stride, t, mean);
    }
    this.history = [...this.history.slice(-3), modelOutput.slice()];
    if (counter === 0) {
      this.warmupStart = sample.slice();
      return this.previousSample(sample, t, t - stride, modelOutput);
    }
    const e = this.history.slice().reverse(); // newest first
    const weights = ADAMS_BASHFORTH[e.length - 1]!;
    const mixed = perElement(sample.length, (i) => weights.reduce((sum, w, k) => sum + w * e[k]![i]!, 0));
    return this.previousSample(sample, t, t - stride, mixed);
  }

  /** img2img: √ᾱ·x0 + √(1−ᾱ)·noise at `timesteps[stepIndex]`. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'PNDMScheduler');
    checkLengths('PNDMScheduler', original, noise);
    return addNoiseAtAlpha(original, noise, this.schedule.alphasCumprod[this.timesteps[stepIndex]!]!);
  }

  /** The DDIM-like transfer from t to `prev` given a noise estimate (eq. 9 of the PNDM paper). */
  private previousSample(sample: Float32Array, t: number, prev: number, output: Float32Array): Float32Array {
    const a = this.schedule.alphasCumprod[t]!;
    const aPrev = prev >= 0 ? this.schedule.alphasCumprod[prev]! : this.finalAlphaCumprod;
    const denominator = a * Math.sqrt(1 - aPrev) + Math.sqrt(a * (1 - a) * aPrev);
    return perElement(sample.length, (i) => {
      const x = sample[i]!;
      const eps = this.prediction === 'epsilon' ? output[i]! : Math.sqrt(a) * output[i]! + Math.sqrt(1 - a) * x;
      return Math.sqrt(aPrev / a) * x - ((aPrev - a) * eps) / denominator;
    });
  }
}

/** Adams–Bashforth weights for 1…4 past noise estimates, newest first. */
const ADAMS_BASHFORTH: readonly (readonly number[])[] = [
  [1],
  [3 / 2, -1 / 2],
  [23 / 12, -16 / 12, 5 / 12],
  [55 / 24, -59 / 24, 37 / 24, -9 / 24],
];
