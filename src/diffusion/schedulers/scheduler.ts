/**
 * A scheduler's settings, named as in a diffusers `scheduler_config.json`. Every field is
 * optional: a missing one takes diffusers' default for that class.
 */
export interface SchedulerConfig {
  /** diffusers' class name, e.g. `EulerDiscreteScheduler`: `createScheduler` picks the class by it. */
  _class_name?: string;
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: 'scaled_linear' | 'linear' | string;
  /** What the UNet predicts: the noise (`epsilon`), or `v_prediction` (SD 2.x 768 models). */
  prediction_type?: 'epsilon' | 'v_prediction' | string;
  timestep_spacing?: 'leading' | 'trailing' | 'linspace' | string;
  steps_offset?: number;
  /** Ramp σ by Karras et al. (2022)'s ρ = 7 schedule instead of the training timesteps' own σs (Euler, DPM-Solver). */
  use_karras_sigmas?: boolean;
  /** What the last step lands on: σ = 0 (`zero`) or the smallest training σ (`sigma_min`) (Euler, DPM-Solver). */
  final_sigmas_type?: 'zero' | 'sigma_min' | string;
  /** ᾱ after the last step: 1 (`true`) or ᾱ at t = 0 (DDIM, PNDM, LCM). */
  set_alpha_to_one?: boolean;
  /** DDIM and LCM clamp the predicted clean sample to ±`clip_sample_range` when set. */
  clip_sample?: boolean;
  clip_sample_range?: number;
  /** Betas given outright, overriding `beta_start`/`beta_end`/`beta_schedule`. */
  trained_betas?: number[] | null;
  /** DPM-Solver: `dpmsolver++` (the ODE, "DPM++ 2M") or `sde-dpmsolver++` (the SDE, "DPM++ 2M SDE"). */
  algorithm_type?: 'dpmsolver++' | 'sde-dpmsolver++' | string;
  /** DPM-Solver: 2 for DPM++ 2M, 1 for the single-history variant; UniPC: 1 to 3. */
  solver_order?: number;
  /** DPM-Solver and UniPC: lower the order at the end of a run (DPM-Solver: of short, < 15 step runs), which steadies it. */
  lower_order_final?: boolean;
  /** UniPC: the B(h) of its update, `bh2` (diffusers' default) or `bh1` (A1111's). */
  solver_type?: 'bh1' | 'bh2' | 'midpoint' | string;
  /** UniPC: solve with the clean-sample prediction (true, the default) or the noise prediction. */
  predict_x0?: boolean;
  /** UniPC: step indices whose corrector is skipped. */
  disable_corrector?: number[];
  /** Euler and UniPC: the Karras ramp's range, when set (otherwise the schedule's own). */
  sigma_min?: number | null;
  sigma_max?: number | null;
  /** Flow matching: the time shift σ' = shift·σ / (1 + (shift − 1)·σ) (Z-Image-Turbo: 3). */
  shift?: number;
  /** Flow matching: shift by the image size instead, through the `mu` the pipeline passes to `setTimesteps`. */
  use_dynamic_shifting?: boolean;
  /** Flow matching: the line `mu` follows from `base_shift` at `base_image_seq_len` to `max_shift` at `max_image_seq_len`. */
  base_shift?: number;
  max_shift?: number;
  base_image_seq_len?: number;
  max_image_seq_len?: number;
  /** Flow matching: how `mu` shifts σ: `exponential` (e^mu / (e^mu + 1/σ − 1)) or `linear` (mu / (mu + 1/σ − 1)). */
  time_shift_type?: 'exponential' | 'linear' | string;
  /** Flow matching: stretch the shifted σs so the last one is this value. */
  shift_terminal?: number | null;
  /** Flow matching: re-noise each step's clean estimate with fresh noise instead of an Euler step. */
  stochastic_sampling?: boolean;
  /** LCM: the step count of the teacher schedule its timesteps are picked from. */
  original_inference_steps?: number;
  /** LCM: scales t in the boundary-condition weights c_skip and c_out. */
  timestep_scaling?: number;
  /** PNDM: skip the Runge-Kutta warm-up and start with PLMS (only `true` is implemented). */
  skip_prk_steps?: boolean;
  [key: string]: unknown;
}

/** What a pipeline may pass to `setTimesteps` beside the step count, as diffusers' pipelines do. */
export interface TimestepOptions {
  /**
   * Flow matching with `use_dynamic_shifting`: the shift the pipeline computes from the image's
   * sequence length (`flowMatchMu`). Schedulers without dynamic shifting ignore it, as diffusers'.
   */
  mu?: number;
  /**
   * Flow matching: the σs to use (before the shift), one per step, instead of the scheduler's own
   * spacing (Z-Image's pipeline passes `linspace(1, 1/steps, steps)`). Other schedulers refuse it.
   */
  sigmas?: readonly number[];
}

/**
 * One sampler, as diffusers' schedulers work: `setTimesteps(steps)` first, then one
 * `step` per entry of `timesteps`. Samples are flat float32 arrays (the latents of one image).
 */
export interface Scheduler {
  readonly config: SchedulerConfig;
  /**
   * Timesteps handed to the UNet, one per model call (fractional where diffusers' are). Usually
   * `steps` of them; PNDM's warm-up repeats one, so it has `steps + 1`; Heun and DPM2 call the
   * model twice per step (`order` 2), so they have `2·steps − 1`.
   */
  readonly timesteps: number[];
  /**
   * Model calls per step (diffusers' `order`): 2 for Heun and DPM2, 1 otherwise. img2img that
   * skips the first k steps starts at `timesteps[k·order]`.
   */
  readonly order: number;
  /** Standard deviation of the initial noise: multiply N(0, 1) by it to start. */
  readonly initNoiseSigma: number;
  /** True when `step` needs fresh noise from the caller (ancestral samplers, LCM). */
  readonly stochastic: boolean;
  /** Chooses the timesteps for `steps` inference steps and resets any multistep state. */
  setTimesteps(steps: number, options?: TimestepOptions): void;
  /** The UNet's input for step `stepIndex` (Euler-type schedulers scale it by 1/√(σ²+1)). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /**
   * One model call's step from `timesteps[stepIndex]`: returns the next sample (after the last
   * step, the final one: for LCM its `denoised`). Call it for every index in order (two-call
   * samplers keep the first half's state for the second). `noise` (N(0, 1), the sample's length)
   * is required when `stochastic` is true, so a seed reproduces an image.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array;
  /** img2img: `original` (clean latents) noised to the level of `timesteps[stepIndex]`. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array;
}
