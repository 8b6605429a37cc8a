import {
  BASE_DEFAULTS,
  addNoiseAtAlpha,
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
import type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';

/** diffusers' defaults for `UniPCMultistepScheduler`. */
export const UNIPC_DEFAULTS = {
  ...BASE_DEFAULTS,
  timestep_spacing: 'linspace',
  solver_order: 2,
  solver_type: 'bh2',
  predict_x0: true,
  lower_order_final: true,
  disable_corrector: [] as number[],
  use_karras_sigmas: false,
  final_sigmas_type: 'zero',
};

const NAME = 'UniPCMultistepScheduler';

/**
 * UniPC (Zhao et al. 2023), as diffusers' `UniPCMultistepScheduler`: a multistep predictor (UniP)
 * like DPM-Solver++, plus a corrector (UniC) that refines each predicted sample with the model
 * output computed at it, so the correction costs no extra model call. Works in λ = −log σ on the
 * variance-preserving sample, from the clean-sample predictions (`predict_x0`, the default) or the
 * noise predictions; B(h) is `bh2` (diffusers' default) or `bh1`.
 */
export class UniPCMultistepScheduler implements Scheduler {
  /** The config with diffusers' defaults filled in. */
  readonly config: SchedulerConfig;
  /** `config`, typed with the keys the defaults guarantee. */
  private readonly settings: SchedulerConfig & typeof UNIPC_DEFAULTS;
  /** UniPC is deterministic. */
  readonly stochastic = false;
  /** One model call per step. */
  readonly order = 1;
  /** UniPC works on the variance-preserving sample, which starts as N(0, 1). */
  readonly initNoiseSigma = 1;
  /** Integer timesteps handed to the UNet. */
  timesteps: number[] = [];
  /** σ = √((1−ᾱ)/ᾱ) at each step, then the σ the last step lands on. */
  sigmas: number[] = [];
  private readonly schedule: TrainingSchedule;
  private readonly prediction: PredictionType;
  /** Converted model outputs (x0 or ε) of the latest steps, newest last (diffusers' `model_outputs`). */
  private outputs: Float64Array[] = [];
  /** The sample the last predictor started from, and its order: the corrector redoes that step. */
  private last: { stepIndex: number; start: Float32Array; order: number } | null = null;
  /** Steps taken since `setTimesteps`, up to `solver_order`: the warm-up lowers the order until it is full. */
  private warmUp = 0;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    const c = (this.config = this.settings = resolveConfig(UNIPC_DEFAULTS, config, NAME));
    rejectUnsupported(c, NAME, {
      solver_type: ['bh1', 'bh2'],
      use_exponential_sigmas: [false],
      use_beta_sigmas: [false],
      use_flow_sigmas: [false],
      use_dynamic_shifting: [false],
      solver_p: [],
    });
    if (c.final_sigmas_type !== 'zero' && c.final_sigmas_type !== 'sigma_min') {
      throw new Error(`${NAME}: final_sigmas_type "${String(c.final_sigmas_type)}" is not supported; use "zero" or "sigma_min".`);
    }
    // Both end in 0·∞ on σ = 0 (NaN or ∞ samples in diffusers too): refuse them rather than draw noise.
    if (c.final_sigmas_type === 'zero' && !c.predict_x0) throw new Error(`${NAME}: predict_x0 false needs final_sigmas_type "sigma_min" (on σ = 0 its last step is undefined).`);
    if (c.final_sigmas_type === 'zero' && !c.lower_order_final && c.solver_order > 1) {
      throw new Error(`${NAME}: lower_order_final false needs final_sigmas_type "sigma_min" (a multistep step onto σ = 0 is undefined).`);
    }
    this.schedule = trainingSchedule(c, NAME);
    this.prediction = predictionType(c, NAME);
  }

  /** Chooses the timesteps and σs for `steps` steps (as DPM-Solver spaces them) and forgets the history. */
  setTimesteps(steps: number, options?: TimestepOptions): void {
    const c = this.settings;
    const T = c.num_train_timesteps;
    const trainSigmas = this.schedule.sigmas;
    refuseCustomSigmas(options, NAME);
    checkStepCount(steps, T, NAME);
    let timesteps: number[];
    let sigmas: number[];
    let last: number;
    if (c.use_karras_sigmas) {
      // The ramp spans the config's sigma_min/sigma_max when set, else the whole training range;
      // "sigma_min" then repeats the ramp's own last σ.
      const lo = typeof c.sigma_min === 'number' ? c.sigma_min : trainSigmas[0]!;
      const hi = typeof c.sigma_max === 'number' ? c.sigma_max : trainSigmas[T - 1]!;
      sigmas = karrasSigmas(lo, hi, steps);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToTimestep(s, trainSigmas)));
      last = c.final_sigmas_type === 'sigma_min' ? sigmas[steps - 1]! : 0;
    } else {
      if (c.timestep_spacing === 'linspace') timesteps = linspace(0, T - 1, steps + 1).map(roundHalfEven).reverse().slice(0, steps);
      else if (c.timestep_spacing === 'leading') {
        const ratio = Math.floor(T / (steps + 1));
        timesteps = Array.from({ length: steps }, (_, i) => (steps - i) * ratio + c.steps_offset);
      } else timesteps = spacedTimesteps(c.timestep_spacing, steps, T, c.steps_offset, NAME);
      sigmas = timesteps.map((t) => interpolate(trainSigmas, t));
      last = c.final_sigmas_type === 'sigma_min' ? trainSigmas[0]! : 0;
    }
    this.timesteps = timesteps;
    this.sigmas = [...sigmas, last].map(Math.fround);
    this.outputs = [];
    this.last = null;
    this.warmUp = 0;
  }

  /** UniPC's UNet input is the sample itself. */
  scaleModelInput(sample: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, NAME);
    return sample.slice();
  }

  /**
   * One step: the model output at `sample` first corrects `sample` itself (UniC, redoing the last
   * prediction with this output as one more point), then the predictor (UniP) steps from the
   * corrected sample to the next σ. The order is `solver_order`, lower while the history fills and,
   * with `lower_order_final`, at the end.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, NAME);
    checkLengths(NAME, sample, modelOutput, noise);
    const c = this.settings;
    const last = this.last;
    if (last && stepIndex !== last.stepIndex + 1) {
      throw new Error(`${NAME}: step ${stepIndex} after step ${last.stepIndex}; take the steps in order (setTimesteps starts over).`);
    }
    const converted = this.convert(modelOutput, sample, this.sigmas[stepIndex]!);
    let start = sample;
    if (last && !c.disable_corrector.includes(last.stepIndex)) start = this.update(last.start, last.stepIndex, last.order, this.outputs, converted);
    this.outputs = [...this.outputs, converted].slice(-c.solver_order);
    const stepsLeft = this.timesteps.length - stepIndex;
    const order = Math.min(c.solver_order, c.lower_order_final ? stepsLeft : Infinity, this.warmUp + 1);
    this.last = { stepIndex, start: start === sample ? sample.slice() : start, order }; // the caller may reuse its buffer
    this.warmUp = Math.min(this.warmUp + 1, c.solver_order);
    return this.update(start, stepIndex, order, this.outputs);
  }

  /** img2img: α·x0 + σ_VP·noise at `timesteps[stepIndex]` (variance-preserving, like diffusers). */
  addNoise(original: Float32Array, noise: Float32Array, stepIndex: number): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, NAME);
    checkLengths(NAME, original, noise);
    const sigma = this.sigmas[stepIndex]!;
    return addNoiseAtAlpha(original, noise, 1 / (sigma * sigma + 1));
  }

  /** What UniPC integrates: the clean-sample prediction x0, or the noise prediction ε. */
  private convert(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float64Array {
    const { alpha, sigma: s } = vp(sigma);
    const out = new Float64Array(sample.length);
    const eps = this.prediction === 'epsilon';
    for (let i = 0; i < out.length; i++) {
      const m = modelOutput[i]!;
      const x = sample[i]!;
      if (this.settings.predict_x0) out[i] = eps ? (x - s * m) / alpha : alpha * x - s * m;
      else out[i] = eps ? m : alpha * m + s * x;
    }
    return out;
  }

  /**
   * The B(h) update of order `order` from `sample` at step `from` to the next σ: the
   * exponential-integrator step on the newest of `outputs` (m₀, from step `from`) plus
   * B(h)·Σ ρ_k·D_k over the slopes D_k = (m_k − m₀)/r_k to the older ones. Without `corrector` it is
   * UniP (ρ from the order conditions on the older points, or ½ at order 2); with it, UniC, whose
   * extra point is the model output at the predicted sample (ρ from all conditions, or ½ at order 1).
   */
  private update(sample: Float32Array, from: number, order: number, outputs: Float64Array[], corrector?: Float64Array): Float32Array {
    const useX0 = this.settings.predict_x0;
    const t = vp(this.sigmas[from + 1]!);
    const s0 = vp(this.sigmas[from]!);
    const h = t.lambda - s0.lambda;
    const m0 = outputs[outputs.length - 1]!;
    const rks: number[] = [];
    const slopes: Float64Array[] = [];
    for (let k = 1; k < order; k++) {
      const r = (vp(this.sigmas[from - k]!).lambda - s0.lambda) / h;
      rks.push(r);
      slopes.push(outputs[outputs.length - 1 - k]!.map((v, i) => (v - m0[i]!) / r));
    }
    const hh = useX0 ? -h : h;
    const hPhi1 = Math.expm1(hh);
    const bH = this.settings.solver_type === 'bh1' ? hh : Math.expm1(hh);
    // The order conditions: R[k][j] = r_j^k (r = 1 for the newest point), b[k] = h·φ_(k+2)·(k+1)!/B(h),
    // φ by the recursion diffusers uses.
    const points = [...rks, 1];
    const R = Array.from({ length: order }, (_, k) => points.map((r) => r ** k));
    const b: number[] = [];
    let hPhiK = hPhi1 / hh - 1;
    let factorial = 1;
    for (let k = 1; k <= order; k++) {
      b.push((hPhiK * factorial) / bH);
      factorial *= k + 1;
      hPhiK = hPhiK / hh - 1 / factorial;
    }
    let rhos: number[] = [];
    if (corrector) rhos = order === 1 ? [0.5] : solve(R, b);
    else if (order === 2) rhos = [0.5];
    else if (order > 2) rhos = solve(R.slice(0, -1).map((row) => row.slice(0, -1)), b.slice(0, -1));
    const scale = useX0 ? t.alpha : t.sigma;
    const carry = useX0 ? t.sigma / s0.sigma : t.alpha / s0.alpha;
    // A first-order prediction adds nothing; its B(h) term is left out rather than computed as
    // B(h)·0, which for bh1 on σ = 0 is −∞·0: NaN in diffusers, x0 here.
    const hasResidual = slopes.length > 0 || corrector !== undefined;
    return perElement(sample.length, (i) => {
      let residual = 0;
      slopes.forEach((d, k) => (residual += rhos[k]! * d[i]!));
      if (corrector) residual += rhos[order - 1]! * (corrector[i]! - m0[i]!);
      return carry * sample[i]! - scale * hPhi1 * m0[i]! - (hasResidual ? scale * bH * residual : 0);
    });
  }
}

/** σ (noise/signal) as the variance-preserving α = 1/√(σ²+1), σ_VP = σα, and λ = log α − log σ_VP (∞ at σ = 0). */
function vp(sigma: number): { alpha: number; sigma: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return { alpha, sigma: sigma * alpha, lambda: sigma === 0 ? Infinity : -Math.log(sigma) };
}

/** Solves the small dense system A·x = y (Gaussian elimination with partial pivoting). */
function solve(A: number[][], y: number[]): number[] {
  const n = y.length;
  const m = A.map((row, i) => [...row, y[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let k = col; k <= n; k++) m[r]![k]! -= f * m[col]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let acc = m[r]![n]!;
    for (let k = r + 1; k < n; k++) acc -= m[r]![k]! * x[k]!;
    x[r] = acc / m[r]![r]!;
  }
  return x;
}
