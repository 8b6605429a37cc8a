/**
 * diffusers' schedulers, one readable file each, chosen by a `scheduler_config.json`'s `_class_name`.
 * @module
 */
import { DDIMScheduler } from './ddim.ts';
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep.ts';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral.ts';
import { EulerDiscreteScheduler } from './euler-discrete.ts';
import { FlowMatchEulerDiscreteScheduler, flowMatchMu } from './flow-match-euler-discrete.ts';
import { HeunDiscreteScheduler } from './heun-discrete.ts';
import { KDPM2DiscreteScheduler } from './k-dpm-2-discrete.ts';
import { LCMScheduler } from './lcm.ts';
import { PNDMScheduler } from './pndm.ts';
import type { Scheduler, SchedulerConfig } from './scheduler.ts';
import { UniPCMultistepScheduler } from './unipc-multistep.ts';

export type { Scheduler, SchedulerConfig, TimestepOptions } from './scheduler.ts';
export type { PredictionType } from './common.ts';
export {
  DDIMScheduler,
  DPMSolverMultistepScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  FlowMatchEulerDiscreteScheduler,
  HeunDiscreteScheduler,
  KDPM2DiscreteScheduler,
  LCMScheduler,
  PNDMScheduler,
  UniPCMultistepScheduler,
  flowMatchMu,
};

const CLASSES: Record<string, new (config: SchedulerConfig) => Scheduler> = {
  EulerDiscreteScheduler,
  EulerAncestralDiscreteScheduler,
  DPMSolverMultistepScheduler,
  DDIMScheduler,
  LCMScheduler,
  PNDMScheduler,
  HeunDiscreteScheduler,
  KDPM2DiscreteScheduler,
  UniPCMultistepScheduler,
  FlowMatchEulerDiscreteScheduler,
};

/** diffusers class names `createScheduler` understands. */
export const SUPPORTED_SCHEDULERS: readonly string[] = Object.keys(CLASSES);

/**
 * The scheduler a diffusers `scheduler_config.json` object describes, picked by its `_class_name`.
 * Throws for a class not implemented here, naming the ones that are.
 */
export function createScheduler(config: SchedulerConfig): Scheduler {
  const name = config._class_name;
  const SchedulerClass = typeof name === 'string' && Object.hasOwn(CLASSES, name) ? CLASSES[name] : undefined;
  if (!SchedulerClass) {
    const what = name === undefined ? 'has no _class_name' : `names the unsupported class "${String(name)}"`;
    throw new Error(`The scheduler config ${what}; supported: ${SUPPORTED_SCHEDULERS.join(', ')}.`);
  }
  return new SchedulerClass(config);
}

/** One entry of the sampler menu: the keys it sets over a model's own scheduler config. */
export interface Sampler {
  /** Stable id, for saved settings and URLs. */
  id: string;
  /** What the menu shows. */
  label: string;
  /** Overrides for the model's `scheduler_config.json`; `_class_name` picks the scheduler. */
  config: Partial<SchedulerConfig>;
}

/**
 * The samplers the UI offers. Each names everything that makes it that sampler (e.g. plain Euler
 * turns Karras σs off) and leaves the model's training schedule alone; DDIM turns diffusers'
 * default ±1 clipping off, which would clamp latents.
 */
export const SAMPLERS: readonly Sampler[] = [
  { id: 'euler', label: 'Euler', config: { _class_name: 'EulerDiscreteScheduler', use_karras_sigmas: false } },
  { id: 'euler-a', label: 'Euler a', config: { _class_name: 'EulerAncestralDiscreteScheduler' } },
  {
    id: 'dpmpp-2m',
    label: 'DPM++ 2M',
    config: { _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: false },
  },
  {
    id: 'dpmpp-2m-karras',
    label: 'DPM++ 2M Karras',
    config: { _class_name: 'DPMSolverMultistepScheduler', algorithm_type: 'dpmsolver++', solver_order: 2, use_karras_sigmas: true },
  },
  { id: 'ddim', label: 'DDIM', config: { _class_name: 'DDIMScheduler', clip_sample: false } },
  { id: 'lcm', label: 'LCM', config: { _class_name: 'LCMScheduler' } },
  { id: 'pndm', label: 'PNDM', config: { _class_name: 'PNDMScheduler', skip_prk_steps: true } },
];

/**
 * The config for running a model with the sampler `samplerId`: the model's own scheduler config
 * (its betas, `num_train_timesteps`, `prediction_type`, `steps_offset`, `timestep_spacing`, …)
 * with the sampler's keys over it, as diffusers' `SomeScheduler.from_config(pipe.scheduler.config)`.
 */
export function samplerConfig(modelConfig: SchedulerConfig, samplerId: string): SchedulerConfig {
  const sampler = SAMPLERS.find((s) => s.id === samplerId);
  if (!sampler) throw new Error(`Unknown sampler "${samplerId}"; choose one of ${SAMPLERS.map((s) => s.id).join(', ')}.`);
  return { ...modelConfig, ...sampler.config };
}
