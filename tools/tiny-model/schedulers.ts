// scheduler/scheduler_config.json of each family, as the real repos ship them (keys
// sorted, as diffusers writes them).

/** A diffusers scheduler config. */
export type SchedulerConfig = Record<string, unknown> & { _class_name: string };

// SD's noise schedule, shared by every family.
const SCALED_LINEAR = { beta_end: 0.012, beta_schedule: 'scaled_linear', beta_start: 0.00085 } as const;

export const SCHEDULERS = {
  /** SD-Turbo's: Euler, trailing spacing, so one step starts at t = 999. */
  eulerTrailing: {
    _class_name: 'EulerDiscreteScheduler',
    _diffusers_version: '0.24.0',
    ...SCALED_LINEAR,
    interpolation_type: 'linear',
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    steps_offset: 1,
    timestep_spacing: 'trailing',
    trained_betas: null,
    use_karras_sigmas: false,
  },
  /** stabilityai/sdxl-turbo's: Euler ancestral, trailing spacing, so one step starts at t = 999. */
  eulerAncestralTrailing: {
    _class_name: 'EulerAncestralDiscreteScheduler',
    _diffusers_version: '0.24.0.dev0',
    ...SCALED_LINEAR,
    clip_sample: false,
    interpolation_type: 'linear',
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    sample_max_value: 1.0,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'trailing',
    trained_betas: null,
  },
  /**
   * PNDM as SD 1.5 (runwayml/stable-diffusion-v1-5) and SD 2.1 base ship it; the keys a
   * newer diffusers adds on saving (prediction_type, timestep_spacing) carry their defaults.
   */
  pndm: {
    _class_name: 'PNDMScheduler',
    _diffusers_version: '0.14.0',
    ...SCALED_LINEAR,
    clip_sample: false,
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    trained_betas: null,
  },
  /** stabilityai/stable-diffusion-2-1 (768, v-prediction) ships DDIM. */
  ddimV: {
    _class_name: 'DDIMScheduler',
    _diffusers_version: '0.14.0',
    ...SCALED_LINEAR,
    clip_sample: false,
    num_train_timesteps: 1000,
    prediction_type: 'v_prediction',
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    trained_betas: null,
  },
  /** SimianLuo/LCM_Dreamshaper_v7's LCMScheduler, which aislamov's export carries over. */
  lcm: {
    _class_name: 'LCMScheduler',
    _diffusers_version: '0.22.0',
    ...SCALED_LINEAR,
    clip_sample: false,
    clip_sample_range: 1.0,
    dynamic_thresholding_ratio: 0.995,
    num_train_timesteps: 1000,
    original_inference_steps: 50,
    prediction_type: 'epsilon',
    rescale_betas_zero_snr: false,
    sample_max_value: 1.0,
    set_alpha_to_one: true,
    steps_offset: 1,
    thresholding: false,
    timestep_scaling: 10.0,
    timestep_spacing: 'leading',
    trained_betas: null,
  },
} as const satisfies Record<string, SchedulerConfig>;
