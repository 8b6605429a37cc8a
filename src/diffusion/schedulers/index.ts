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
export { SAMPLERS, samplerConfig, samplerFromA1111, a1111Sampler, type Sampler } from './samplers.ts';

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
