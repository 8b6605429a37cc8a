import { checkLengths, checkStepCount, checkStepIndex, karrasSigmas, linspace, perElement, rejectUnsupported, resolveConfig } from './common.ts';
import type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';

/** diffusers' defaults for `FlowMatchEulerDiscreteScheduler`. */
export const FLOW_MATCH_DEFAULTS = {
  num_train_timesteps: 1000,
  shift: 1,
  use_dynamic_shifting: false,
  base_shift: 0.5,
  max_shift: 1.15,
  base_image_seq_len: 256,
  max_image_seq_len: 4096,
  time_shift_type: 'exponential',
  use_karras_sigmas: false,
  stochastic_sampling: false,
};

const NAME = 'FlowMatchEulerDiscreteScheduler';

/**
 * Euler sampling of a rectified flow (SD3, Flux, Z-Image-Turbo), as diffusers'
 * `FlowMatchEulerDiscreteScheduler`. The sample is x_σ = (1 − σ)·x0 + σ·noise, σ from 1 down to 0,
 * and the transformer predicts the velocity v = noise − x0, so a step is x + (σ_next − σ)·v. The σs
 * are shifted towards the noisy end, by `shift` or, with `use_dynamic_shifting`, by the `mu` the
 * pipeline derives from the image size (`flowMatchMu`). `timesteps` are σ·`num_train_timesteps`,
 * diffusers' convention (Z-Image's transformer takes (1000 − t)/1000 of them).
 */
export class FlowMatchEulerDiscreteScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof FLOW_MATCH_DEFAULTS;
  /** Euler steps take no noise; `stochastic_sampling` re-noises each step's x0 with fresh noise. */
  readonly stochastic: boolean;
  /** One model call per step. */
  readonly order = 1;
  /** The sample starts as pure noise: σ = 1. */
  readonly initNoiseSigma = 1;
  /** The model's input is the sample itself. */
  timesteps: number[] = [];
  /** σ at each step, then 0. */
  sigmas: number[] = [];
  /** The ends of the training σs (shifted unless dynamic shifting is on): the default schedule runs between them. */
  private readonly sigmaMax: number;
  private readonly sigmaMin: number;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    const c = (this.config = this.settings = resolveConfig(FLOW_MATCH_DEFAULTS, config, NAME));
    rejectUnsupported(c, NAME, { time_shift_type: ['exponential', 'linear'], invert_sigmas: [false], use_exponential_sigmas: [false], use_beta_sigmas: [false] });
    if (c.use_dynamic_shifting && !(c.max_image_seq_len > c.base_image_seq_len)) {
      throw new RangeError(`scheduler_config.json: max_image_seq_len must be more than base_image_seq_len (${c.base_image_seq_len}), not ${c.max_image_seq_len} (${NAME}).`);
    }
    this.stochastic = c.stochastic_sampling;
    // diffusers builds its training σs (1/T … 1) in float32 and, without dynamic shifting, shifts
    // them; the default schedule then spans those ends and is shifted once more, as there.
    const T = c.num_train_timesteps;
    const end = (sigma: number) => (c.use_dynamic_shifting ? sigma : Math.fround(this.shiftSigma(sigma, c.shift)));
    this.sigmaMax = end(1);
    this.sigmaMin = end(Math.fround(Math.fround(1) / T));
  }

  /**
   * Chooses `steps` σs: evenly spaced between the training ends, or `options.sigmas` (as Z-Image's
   * pipeline passes them); then shifted (dynamically by `options.mu`, which is then required), stretched
   * to `shift_terminal` when set, and optionally re-spaced as Karras σs.
   */
  setTimesteps(steps: number, options: TimestepOptions = {}): void {
    const c = this.settings;
    const T = c.num_train_timesteps;
    checkStepCount(steps, T, NAME);
    let sigmas: number[];
    if (options.sigmas !== undefined) {
      if (options.sigmas.length !== steps) throw new RangeError(`${NAME}: got ${options.sigmas.length} sigmas for ${steps} steps.`);
      if (!options.sigmas.every((s) => Number.isFinite(s) && s > 0 && s <= 1)) throw new RangeError(`${NAME}: custom sigmas must be numbers in (0, 1].`);
      sigmas = options.sigmas.map(Math.fround);
    } else {
      sigmas = linspace(this.sigmaMax * T, this.sigmaMin * T, steps).map((t) => t / T);
    }
    if (c.use_dynamic_shifting) {
      const mu = options.mu;
      if (typeof mu !== 'number' || !Number.isFinite(mu)) {
        throw new Error(`${NAME}: use_dynamic_shifting needs mu, from the image's sequence length (flowMatchMu), in setTimesteps(steps, { mu }).`);
      }
      const m = c.time_shift_type === 'exponential' ? Math.exp(mu) : mu;
      sigmas = sigmas.map((s) => m / (m + (1 / s - 1)));
    } else {
      sigmas = sigmas.map((s) => this.shiftSigma(s, c.shift));
    }
    if (typeof c.shift_terminal === 'number' && c.shift_terminal > 0) {
      // Stretch 1 − σ so the last σ is shift_terminal (LTX-Video's schedule).
      const scale = (1 - sigmas[steps - 1]!) / (1 - c.shift_terminal);
      sigmas = sigmas.map((s) => 1 - (1 - s) / scale);
    }
    if (c.use_karras_sigmas) sigmas = karrasSigmas(sigmas[steps - 1]!, sigmas[0]!, steps);
    sigmas = sigmas.map(Math.fround);
    this.timesteps = sigmas.map((s) => Math.fround(s * T));
    this.sigmas = [...sigmas, 0];
  }

  /** The transformer's input is the sample itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, NAME);
    return sample.slice();
  }

  /**
   * x + (σ_next − σ)·v. With `stochastic_sampling`, the clean estimate x0 = x − σ·v re-noised to
   * σ_next with `noise` instead: (1 − σ_next)·x0 + σ_next·noise.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, NAME);
    checkLengths(NAME, sample, modelOutput, noise, this.stochastic);
    const sigma = this.sigmas[stepIndex]!;
    const next = this.sigmas[stepIndex + 1]!;
    if (this.stochastic) return perElement(sample.length, (i) => (1 - next) * (sample[i]! - sigma * modelOutput[i]!) + next * noise![i]!);
    return perElement(sample.length, (i) => sample[i]! + (next - sigma) * modelOutput[i]!);
  }

  /** img2img (diffusers' `scale_noise`): σ·noise + (1 − σ)·x0 at `timesteps[stepIndex]`. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, NAME);
    checkLengths(NAME, original, noise);
    const sigma = this.sigmas[stepIndex]!;
    return perElement(original.length, (i) => sigma * noise[i]! + (1 - sigma) * original[i]!);
  }

  /** The static time shift σ' = shift·σ / (1 + (shift − 1)·σ) (SD3's, Z-Image's). */
  private shiftSigma(sigma: number, shift: number): number {
    return (shift * sigma) / (1 + (shift - 1) * sigma);
  }
}

/**
 * The `mu` diffusers' flow-matching pipelines compute for dynamic shifting (`calculate_shift`): a
 * line from `base_shift` at `base_image_seq_len` to `max_shift` at `max_image_seq_len` tokens,
 * at `imageSeqLen` (the transformer's patch count: (h/16)·(w/16) for an h×w image with 8× latents
 * and 2×2 patches). Keys missing from `config` take the pipelines' defaults.
 */
export function flowMatchMu(config: SchedulerConfig, imageSeqLen: number): number {
  const num = (key: string, fallback: number) => (typeof config[key] === 'number' ? (config[key] as number) : fallback);
  const baseLen = num('base_image_seq_len', 256);
  const maxLen = num('max_image_seq_len', 4096);
  const baseShift = num('base_shift', 0.5);
  const maxShift = num('max_shift', 1.15);
  if (!(maxLen > baseLen)) throw new RangeError(`scheduler_config.json: max_image_seq_len must be more than base_image_seq_len (${baseLen}), not ${maxLen}.`);
  const slope = (maxShift - baseShift) / (maxLen - baseLen);
  return imageSeqLen * slope + baseShift - slope * baseLen;
}
