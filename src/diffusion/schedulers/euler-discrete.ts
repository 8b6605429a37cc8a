/**
 * The scheduler's settings, named as in a diffusers `scheduler_config.json`. Missing ones take
 * SD-Turbo's values: 1000 timesteps, scaled-linear betas from 0.00085 to 0.012, trailing spacing.
 */
export interface SchedulerConfig {
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: 'scaled_linear' | 'linear';
  prediction_type?: 'epsilon';
  timestep_spacing?: 'trailing' | 'leading' | 'linspace';
  steps_offset?: number;
}

/**
 * Euler discrete scheduler (Karras et al. 2022, algorithm 2 without churn), as diffusers'
 * `EulerDiscreteScheduler` with epsilon prediction. SD-Turbo ships it with
 * `timestep_spacing: "trailing"`, which makes one step start at t = 999, σ ≈ 14.6146.
 */
export class EulerDiscreteScheduler {
  /** σ for every training timestep t = 0 … T−1. */
  readonly trainSigmas: Float64Array;
  timesteps: number[] = [];
  /** σ at each inference step, with a final 0. */
  sigmas: number[] = [];

  constructor(readonly config: SchedulerConfig = {}) {
    const T = config.num_train_timesteps ?? 1000;
    const b0 = config.beta_start ?? 0.00085;
    const b1 = config.beta_end ?? 0.012;
    const scaled = (config.beta_schedule ?? 'scaled_linear') === 'scaled_linear';
    this.trainSigmas = new Float64Array(T);
    let alphaBar = 1;
    for (let t = 0; t < T; t++) {
      const f = T === 1 ? 0 : t / (T - 1);
      const beta = scaled ? (Math.sqrt(b0) + f * (Math.sqrt(b1) - Math.sqrt(b0))) ** 2 : b0 + f * (b1 - b0);
      alphaBar *= 1 - beta;
      this.trainSigmas[t] = Math.sqrt((1 - alphaBar) / alphaBar);
    }
  }

  /** Chooses the timesteps and σs for `steps` inference steps by the configured spacing; call it before `step`. */
  setTimesteps(steps: number): void {
    const T = this.trainSigmas.length;
    const spacing = this.config.timestep_spacing ?? 'trailing';
    let ts: number[];
    if (spacing === 'trailing') {
      ts = Array.from({ length: steps }, (_, i) => Math.round(T - (i * T) / steps) - 1);
    } else if (spacing === 'leading') {
      const ratio = Math.floor(T / steps);
      ts = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + (this.config.steps_offset ?? 0));
    } else {
      ts = Array.from({ length: steps }, (_, i) => (steps === 1 ? 0 : ((T - 1) * (steps - 1 - i)) / (steps - 1)));
    }
    this.timesteps = ts.map((t) => Math.round(t));
    this.sigmas = [...ts.map((t) => this.sigmaAt(t)), 0];
  }

  /** σ at a (possibly fractional) timestep, interpolated linearly like `np.interp`. */
  sigmaAt(t: number): number {
    const lo = Math.floor(t);
    const hi = Math.min(lo + 1, this.trainSigmas.length - 1);
    return this.trainSigmas[lo] + (t - lo) * (this.trainSigmas[hi] - this.trainSigmas[lo]);
  }

  /** Scale of the initial noise: σ_max for trailing/linspace spacing, √(σ_max²+1) otherwise. */
  get initNoiseSigma(): number {
    const max = Math.max(...this.sigmas);
    return (this.config.timestep_spacing ?? 'trailing') === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  /** The UNet sees x / √(σ²+1). */
  scaleModelInput(sample: Float32Array, step: number): Float32Array {
    const s = 1 / Math.sqrt(this.sigmas[step] ** 2 + 1);
    return sample.map((v) => v * s);
  }

  /** One Euler step: x0 = x − σ·ε, x_next = x + (σ_next − σ)·ε. The last step returns x0. */
  step(noisePred: Float32Array, step: number, sample: Float32Array): Float32Array {
    const dt = this.sigmas[step + 1] - this.sigmas[step];
    return sample.map((x, i) => x + dt * noisePred[i]);
  }
}
