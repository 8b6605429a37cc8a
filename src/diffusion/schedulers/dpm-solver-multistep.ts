import {
  BASE_DEFAULTS,
  checkLengths,
  checkStepCount,
  checkStepIndex,
  interpolate,
  karrasSigmas,
  linspace,
  perElement,
  predictionType,
  refuseCustomSigmas,
  rejectUnsupported,
  resolveConfig,
  roundHalfEven,
  sigmaToTimestep,
  spacedTimesteps,
  trainingSchedule,
  type PredictionType,
  type TrainingSchedule,
} from './common.ts';
import { finalSigma } from './euler-discrete.ts';
import type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';

/** diffusers' defaults for `DPMSolverMultistepScheduler`. */
export const DPM_SOLVER_DEFAULTS = {
  ...BASE_DEFAULTS,
  timestep_spacing: 'linspace',
  algorithm_type: 'dpmsolver++',
  solver_order: 2,
  lower_order_final: true,
  use_karras_sigmas: false,
  final_sigmas_type: 'zero',
};

/**
 * DPM-Solver++ (Lu et al. 2022) in its multistep form, as diffusers' `DPMSolverMultistepScheduler`
 * with `algorithm_type: "dpmsolver++"`: "DPM++ 2M" at `solver_order: 2`, "DPM++ 2M Karras" with
 * `use_karras_sigmas`. It solves the diffusion ODE in λ = log(α/σ) using the clean-sample
 * predictions of this and the previous step, so one UNet call per step buys second order.
 * With `algorithm_type: "sde-dpmsolver++"` it solves the SDE instead ("DPM++ 2M SDE"): the same
 * history, fresh noise every step.
 */
export class DPMSolverMultistepScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof DPM_SOLVER_DEFAULTS;
  /** The ODE solver is deterministic; the SDE one takes fresh noise at every step (the last scales it by 0). */
  readonly stochastic: boolean;
  /** One model call per step. */
  readonly order = 1;
  /** DPM-Solver works on the unscaled variance-preserving sample, so it starts from N(0, 1). */
  readonly initNoiseSigma = 1;
  /** Integer timesteps handed to the UNet. */
  timesteps: number[] = [];
  /** σ = √((1−ᾱ)/ᾱ) at each step, then the σ the last step lands on. */
  sigmas: number[] = [];
  private readonly schedule: TrainingSchedule;
  private readonly prediction: PredictionType;
  /** The clean-sample prediction of the previous step: the multistep history. */
  private previousX0: Float64Array | null = null;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    const name = 'DPMSolverMultistepScheduler';
    this.config = this.settings = resolveConfig(DPM_SOLVER_DEFAULTS, config, name);
    rejectUnsupported(this.settings, name, {
      algorithm_type: ['dpmsolver++', 'sde-dpmsolver++'],
      solver_order: [1, 2],
      solver_type: ['midpoint'],
      variance_type: [],
      use_exponential_sigmas: [false],
      use_beta_sigmas: [false],
      use_lu_lambdas: [false],
      use_flow_sigmas: [false],
    });
    this.schedule = trainingSchedule(this.settings, name);
    this.prediction = predictionType(this.settings, name);
    this.stochastic = this.settings.algorithm_type === 'sde-dpmsolver++';
  }

  /** Chooses the timesteps and σs for `steps` inference steps and forgets the multistep history. */
  setTimesteps(steps: number, options?: TimestepOptions): void {
    const c = this.settings;
    const name = 'DPMSolverMultistepScheduler';
    const T = c.num_train_timesteps;
    refuseCustomSigmas(options, name);
    checkStepCount(steps, T, name);
    const trainSigmas = this.schedule.sigmas;
    let timesteps: number[];
    let sigmas: number[];
    if (c.use_karras_sigmas) {
      // Unlike Euler's, this Karras ramp always spans the whole training range (diffusers' DPM class
      // has no sigma_min/sigma_max options), and t is rounded.
      sigmas = karrasSigmas(trainSigmas[0]!, trainSigmas[T - 1]!, steps);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToTimestep(s, trainSigmas)));
    } else {
      timesteps = this.spacedTimesteps(steps);
      sigmas = timesteps.map((t) => interpolate(trainSigmas, t));
    }
    this.timesteps = timesteps;
    this.sigmas = [...sigmas, finalSigma(c.final_sigmas_type, trainSigmas, name)].map(Math.fround);
    this.previousX0 = null;
  }

  /** DPM-Solver's UNet input is the sample itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'DPMSolverMultistepScheduler');
    return sample.slice();
  }

  /**
   * One step from σ_s to σ_t, in variance-preserving terms: α = 1/√(σ²+1), σ_VP = σ·α,
   * λ = log(α/σ_VP) = −log σ, h = λ_t − λ_s. First order (DPM-Solver++ 1, i.e. DDIM):
   * x_t = (σ_VP,t/σ_VP,s)·x + α_t(1 − e^−h)·x0. The 2M update uses x0 + ½·D1 for x0, with
   * D1 = (x0 − x0_prev)/r, r = h_prev/h: a finite-difference slope from the previous step's x0.
   * The SDE (Lu et al. 2022, "DPM-Solver++(2M) SDE") keeps a fraction e^−h of the sample's own
   * noise, puts α_t(1 − e^−2h) on the data term and adds σ_VP,t·√(1 − e^−2h) of fresh `noise`.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'DPMSolverMultistepScheduler');
    checkLengths('DPMSolverMultistepScheduler', sample, modelOutput, noise, this.stochastic);
    const c = this.settings;
    const steps = this.timesteps.length;
    const s = vpCoefficients(this.sigmas[stepIndex]!);
    const t = vpCoefficients(this.sigmas[stepIndex + 1]!);
    const x0 = new Float64Array(sample.length);
    for (let i = 0; i < x0.length; i++) {
      const x = sample[i]!;
      const out = modelOutput[i]!;
      x0[i] = this.prediction === 'epsilon' ? (x - s.sigma * out) / s.alpha : s.alpha * x - s.sigma * out;
    }
    // Landing on σ = 0 or ending a short run: a first-order step, as diffusers does.
    const isLast = stepIndex === steps - 1;
    const lowerOrderFinal = isLast && (c.euler_at_final === true || (c.lower_order_final && steps < 15) || c.final_sigmas_type === 'zero');
    const previous = this.previousX0;
    this.previousX0 = x0;
    // On σ_t = 0, h = ∞: e^−h = 0 and the sample lands on the data term (and the SDE adds no noise).
    const h = t.lambda - s.lambda;
    const decay = this.stochastic ? Math.exp(-h) : 1;
    const dataWeight = t.alpha * (this.stochastic ? 1 - Math.exp(-2 * h) : 1 - Math.exp(-h));
    const noiseWeight = this.stochastic ? t.sigma * Math.sqrt(1 - Math.exp(-2 * h)) : 0;
    const sampleWeight = (t.sigma / s.sigma) * decay;
    const firstOrder = c.solver_order === 1 || !previous || lowerOrderFinal;
    const r = firstOrder ? 1 : (s.lambda - vpCoefficients(this.sigmas[stepIndex - 1]!).lambda) / h;
    return perElement(sample.length, (i) => {
      const data = firstOrder ? x0[i]! : x0[i]! + (0.5 * (x0[i]! - previous![i]!)) / r;
      return sampleWeight * sample[i]! + dataWeight * data + (noiseWeight ? noiseWeight * noise![i]! : 0);
    });
  }

  /** img2img: α·x0 + σ_VP·noise at `timesteps[stepIndex]` (variance-preserving, like diffusers). */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, 'DPMSolverMultistepScheduler');
    checkLengths('DPMSolverMultistepScheduler', original, noise);
    const { alpha, sigma } = vpCoefficients(this.sigmas[stepIndex]!);
    return perElement(original.length, (i) => alpha * original[i]! + sigma * noise[i]!);
  }

  /** DPM-Solver's own spacing: linspace and leading divide T into steps + 1 and drop t = 0. */
  private spacedTimesteps(steps: number): number[] {
    const c = this.settings;
    const T = c.num_train_timesteps;
    if (c.timestep_spacing === 'linspace') return linspace(0, T - 1, steps + 1).map(roundHalfEven).reverse().slice(0, steps);
    if (c.timestep_spacing === 'leading') {
      const ratio = Math.floor(T / (steps + 1));
      return Array.from({ length: steps }, (_, i) => (steps - i) * ratio + c.steps_offset);
    }
    return spacedTimesteps(c.timestep_spacing, steps, T, c.steps_offset, 'DPMSolverMultistepScheduler');
  }
}

/** σ (noise/signal) as the variance-preserving pair α = 1/√(σ²+1), σ_VP = σα, and λ = log α − log σ_VP. */
function vpCoefficients(sigma: number): { alpha: number; sigma: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return { alpha, sigma: sigma * alpha, lambda: sigma === 0 ? Infinity : -Math.log(sigma) };
}
