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
  /** DPM-Solver: only `dpmsolver++` is implemented. */
  algorithm_type?: 'dpmsolver++' | string;
  /** DPM-Solver: 2 for DPM++ 2M, 1 for the single-history variant. */
  solver_order?: number;
  /** DPM-Solver: fall back to first order at the end of short (< 15 step) runs, which steadies them. */
  lower_order_final?: boolean;
  /** LCM: the step count of the teacher schedule its timesteps are picked from. */
  original_inference_steps?: number;
  /** LCM: scales t in the boundary-condition weights c_skip and c_out. */
  timestep_scaling?: number;
  /** PNDM: skip the Runge-Kutta warm-up and start with PLMS (only `true` is implemented). */
  skip_prk_steps?: boolean;
  [key: string]: unknown;
}

/**
 * One sampler, as diffusers' schedulers work: `setTimesteps(steps)` first, then one
 * `step` per entry of `timesteps`. Samples are flat float32 arrays (the latents of one image).
 */
export interface Scheduler {
  readonly config: SchedulerConfig;
  /**
   * Timesteps handed to the UNet, one per step (fractional where diffusers' are). Usually `steps`
   * of them; PNDM's warm-up repeats one, so it has `steps + 1`.
   */
  readonly timesteps: number[];
  /** Standard deviation of the initial noise: multiply N(0, 1) by it to start. */
  readonly initNoiseSigma: number;
  /** True when `step` needs fresh noise from the caller (ancestral samplers, LCM). */
  readonly stochastic: boolean;
  /** Chooses the timesteps for `steps` inference steps and resets any multistep state. */
  setTimesteps(steps: number): void;
  /** The UNet's input for step `stepIndex` (Euler-type schedulers scale it by 1/√(σ²+1)). */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array;
  /**
   * One denoising step from `timesteps[stepIndex]`: returns the next sample (after the last
   * step, the final one: for LCM its `denoised`). `noise` (N(0, 1), the sample's length) is
   * required when `stochastic` is true, so a seed reproduces an image.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array;
  /** img2img: `original` (clean latents) noised to the level of `timesteps[stepIndex]`. */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array;
}
