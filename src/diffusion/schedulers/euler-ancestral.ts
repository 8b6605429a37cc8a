import { checkLengths, checkStepIndex, perElement } from './common.ts';
import { EulerDiscreteScheduler } from './euler-discrete.ts';
import type { SchedulerConfig } from './scheduler.ts';

/** Keys only diffusers' Euler class reads: its ancestral sibling ignores them, so they are pinned to plain Euler's. */
const EULER_ONLY_OPTIONS = {
  use_karras_sigmas: false,
  use_exponential_sigmas: false,
  use_beta_sigmas: false,
  final_sigmas_type: 'zero',
  interpolation_type: 'linear',
  timestep_type: 'discrete',
};

/**
 * Euler ancestral ("Euler a"), as diffusers' `EulerAncestralDiscreteScheduler`: each step goes
 * deterministically down to σ_down, then adds fresh noise of size σ_up, with σ_down² + σ_up² =
 * σ_next². Timesteps, σs, input scaling and `addNoise` are Euler's; diffusers' class has no Karras
 * or `sigma_min` option, so those keys are ignored here too.
 */
export class EulerAncestralDiscreteScheduler extends EulerDiscreteScheduler {
  /** Every step needs fresh noise from the caller (the last scales it by σ_up = 0). */
  override readonly stochastic: boolean = true;

  /** Reads a diffusers `scheduler_config.json` object; missing keys take diffusers' defaults. */
  constructor(config: SchedulerConfig = {}) {
    super({ ...config, ...EULER_ONLY_OPTIONS });
  }

  protected override get className(): string {
    return 'EulerAncestralDiscreteScheduler';
  }

  /** One ancestral step; `noise` (N(0, 1), the sample's length) is required. */
  override step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise?: Float32Array): Float32Array {
    checkStepIndex(this.timesteps, stepIndex, this.className);
    checkLengths(this.className, sample, modelOutput, noise, true);
    const sigma = this.sigmas[stepIndex]!;
    const next = this.sigmas[stepIndex + 1]!;
    const sigmaUp = Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma));
    const sigmaDown = Math.sqrt(next * next - sigmaUp * sigmaUp);
    return perElement(sample.length, (i) => {
      const x = sample[i]!;
      const derivative = (x - this.predictX0(modelOutput[i]!, x, sigma)) / sigma;
      return x + derivative * (sigmaDown - sigma) + noise![i]! * sigmaUp;
    });
  }
}
