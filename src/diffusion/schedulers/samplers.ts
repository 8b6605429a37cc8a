import type { SchedulerConfig } from './scheduler.ts';

/** One entry of the sampler menu: the keys it sets over a model's own scheduler config. */
export interface Sampler {
  /** Stable id, for saved settings and URLs. */
  id: string;
  /** What the menu shows: the name AUTOMATIC1111 gives it (and writes into PNGs). */
  label: string;
  /** Overrides for the model's `scheduler_config.json`; `_class_name` picks the scheduler. */
  config: Partial<SchedulerConfig>;
}

const DPM = { _class_name: 'DPMSolverMultistepScheduler', solver_order: 2 };

/**
 * The samplers the UI offers, under A1111's names. Each names everything that makes it that
 * sampler (e.g. plain Euler turns Karras σs off) and leaves the model's training schedule alone;
 * DDIM and Heun turn diffusers' ±1 clipping off, which would clamp latents (a DDIM config has it on).
 */
export const SAMPLERS: readonly Sampler[] = [
  { id: 'euler', label: 'Euler', config: { _class_name: 'EulerDiscreteScheduler', use_karras_sigmas: false } },
  { id: 'euler-a', label: 'Euler a', config: { _class_name: 'EulerAncestralDiscreteScheduler' } },
  { id: 'heun', label: 'Heun', config: { _class_name: 'HeunDiscreteScheduler', use_karras_sigmas: false, clip_sample: false } },
  { id: 'dpm2', label: 'DPM2', config: { _class_name: 'KDPM2DiscreteScheduler', use_karras_sigmas: false } },
  { id: 'dpmpp-2m', label: 'DPM++ 2M', config: { ...DPM, algorithm_type: 'dpmsolver++', use_karras_sigmas: false } },
  { id: 'dpmpp-2m-karras', label: 'DPM++ 2M Karras', config: { ...DPM, algorithm_type: 'dpmsolver++', use_karras_sigmas: true } },
  { id: 'dpmpp-2m-sde', label: 'DPM++ 2M SDE', config: { ...DPM, algorithm_type: 'sde-dpmsolver++', use_karras_sigmas: false } },
  { id: 'dpmpp-2m-sde-karras', label: 'DPM++ 2M SDE Karras', config: { ...DPM, algorithm_type: 'sde-dpmsolver++', use_karras_sigmas: true } },
  {
    id: 'unipc',
    label: 'UniPC',
    config: { _class_name: 'UniPCMultistepScheduler', solver_order: 2, solver_type: 'bh2', predict_x0: true, use_karras_sigmas: false },
  },
  { id: 'ddim', label: 'DDIM', config: { _class_name: 'DDIMScheduler', clip_sample: false } },
  { id: 'pndm', label: 'PLMS', config: { _class_name: 'PNDMScheduler', skip_prk_steps: true } },
  { id: 'lcm', label: 'LCM', config: { _class_name: 'LCMScheduler' } },
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

/** A1111's schedule types (modules/sd_schedulers.py): label, name and aliases, lower-cased; the first is the key. */
const SCHEDULE_TYPES: readonly (readonly string[])[] = [
  ['automatic'],
  ['uniform'],
  ['karras'],
  ['exponential'],
  ['polyexponential'],
  ['sgm uniform', 'sgm_uniform', 'sgmuniform'],
  ['kl optimal', 'kl_optimal'],
  ['align your steps', 'align_your_steps'],
  ['simple'],
  ['normal'],
  ['ddim'],
  ['beta'],
];

/**
 * A1111's samplers we have, by their A1111 name: our id per schedule type, and what
 * "Automatic" means for them (A1111 1.9+ runs DPM++ 2M with Karras σs and DPM++ 2M SDE with
 * exponential ones unless told otherwise; the rest with the model's own, "uniform"). Samplers that
 * step by timesteps (DDIM, PLMS, UniPC, LCM) take no schedule type in A1111.
 */
const A1111_SAMPLERS: Record<string, { ids: Record<string, string>; automatic?: string } | { any: string }> = {
  euler: { ids: { uniform: 'euler' } },
  'euler a': { ids: { uniform: 'euler-a' } },
  heun: { ids: { uniform: 'heun' } },
  dpm2: { ids: { uniform: 'dpm2' } },
  'dpm++ 2m': { ids: { uniform: 'dpmpp-2m', karras: 'dpmpp-2m-karras' }, automatic: 'karras' },
  'dpm++ 2m sde': { ids: { uniform: 'dpmpp-2m-sde', karras: 'dpmpp-2m-sde-karras' }, automatic: 'exponential' },
  unipc: { any: 'unipc' },
  ddim: { any: 'ddim' },
  plms: { any: 'pndm' },
  pndm: { any: 'pndm' },
  lcm: { any: 'lcm' },
};

/**
 * Our sampler id for what an A1111 PNG (or Civitai page) names: `Sampler: DPM++ 2M Karras` (A1111
 * before 1.9, the schedule in the name) or `Sampler: DPM++ 2M, Schedule type: Karras` (1.9 and
 * later; `Automatic` is the sampler's own default there). Our own ids are accepted too. Returns
 * `undefined` when no sampler here matches both, e.g. `DPM++ SDE` or any sampler with an
 * `Exponential` schedule: the caller then keeps its sampler and says which one was replaced.
 */
export function samplerFromA1111(sampler: string | undefined, scheduleType?: string): string | undefined {
  let name = (sampler ?? '').trim().toLowerCase().replace(/\s+/g, ' ');
  if (!name) return undefined;
  const own = SAMPLERS.find((s) => s.id === name)?.id;
  let schedule = scheduleType === undefined ? undefined : scheduleKey(scheduleType.trim().toLowerCase());
  if (scheduleType !== undefined && scheduleType.trim() && schedule === undefined) return undefined; // a schedule type A1111 does not have
  // As A1111 reads its own names: a trailing schedule label wins over the Schedule type field.
  for (const names of SCHEDULE_TYPES) {
    const suffix = names.find((n) => name.endsWith(` ${n}`) && Object.hasOwn(A1111_SAMPLERS, name.slice(0, -n.length - 1)));
    if (suffix) {
      name = name.slice(0, -suffix.length - 1);
      schedule = names[0];
      break;
    }
  }
  const entry = Object.hasOwn(A1111_SAMPLERS, name) ? A1111_SAMPLERS[name]! : undefined;
  if (!entry) return own;
  if ('any' in entry) return entry.any;
  // No schedule type at all: A1111 before 1.9, where a name without a suffix meant the model's own σs.
  const key = schedule === undefined || schedule === '' ? 'uniform' : schedule === 'automatic' ? (entry.automatic ?? 'uniform') : schedule;
  return entry.ids[key];
}

function scheduleKey(text: string): string | undefined {
  if (text === '') return '';
  return SCHEDULE_TYPES.find((names) => names.includes(text))?.[0];
}

// diffusers' scheduler classes under A1111's sampler names (A1111 calls PNDM "PLMS"). `scheduled`:
// A1111 1.9+ gives it a schedule type; `karras`: our class reads use_karras_sigmas (diffusers' Euler
// ancestral and KDPM2 classes have no such option).
const A1111_NAMES: Record<string, { name: string; scheduled?: boolean; karras?: boolean }> = {
  EulerDiscreteScheduler: { name: 'Euler', scheduled: true, karras: true },
  EulerAncestralDiscreteScheduler: { name: 'Euler a', scheduled: true },
  HeunDiscreteScheduler: { name: 'Heun', scheduled: true, karras: true },
  KDPM2DiscreteScheduler: { name: 'DPM2', scheduled: true },
  DPMSolverMultistepScheduler: { name: 'DPM++ 2M', scheduled: true, karras: true },
  UniPCMultistepScheduler: { name: 'UniPC' },
  DDIMScheduler: { name: 'DDIM' },
  PNDMScheduler: { name: 'PLMS' },
  LCMScheduler: { name: 'LCM' },
  // Z-Image-Turbo's own sampler: what ComfyUI and Forge call "Euler" for flow-matching models.
  FlowMatchEulerDiscreteScheduler: { name: 'Euler' },
};

/**
 * What A1111 1.9+ writes into a PNG for a scheduler config: `Sampler: DPM++ 2M` and `Schedule type:
 * Karras` (or `Uniform`: the model's own σs; A1111's "Automatic" would mean Karras for DPM++ 2M, so
 * it is never written). Samplers A1111 gives no schedule type (DDIM, PLMS, UniPC, LCM) have none.
 * `samplerFromA1111` reads it back; a class A1111 has no name for keeps its diffusers name.
 */
export function a1111Sampler(config: SchedulerConfig): { sampler: string; scheduleType?: string } {
  const known = A1111_NAMES[String(config._class_name)];
  if (!known) return { sampler: String(config._class_name) };
  const sampler = known.name === 'DPM++ 2M' && String(config.algorithm_type).startsWith('sde-') ? 'DPM++ 2M SDE' : known.name;
  return known.scheduled ? { sampler, scheduleType: known.karras && config.use_karras_sigmas ? 'Karras' : 'Uniform' } : { sampler };
}
