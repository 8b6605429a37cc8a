import type { SchedulerConfig } from './scheduler.ts';

/**
 * Range checks for the numbers a repo's `scheduler_config.json` gives. A config is data from the
 * network: a string where a number belongs, or `num_train_timesteps: 500000000`, must end in a
 * message naming the file and the field, not in NaN samples or "Invalid array length".
 */

/** The most training timesteps we accept: diffusers' models use 1000 (a few 4000). */
export const MAX_TRAIN_TIMESTEPS = 100_000;

type Rule =
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'number'; min: number; max: number; open?: boolean }
  | { kind: 'boolean' }
  | { kind: 'integers'; min: number; max: number; maxLength: number };

const integer = (min: number, max: number): Rule => ({ kind: 'integer', min, max });
/** A finite number in [min, max], or in (min, max) when `open`. */
const number = (min: number, max: number, open = false): Rule => ({ kind: 'number', min, max, open });
const BOOLEAN: Rule = { kind: 'boolean' };

const RULES: Record<string, Rule> = {
  num_train_timesteps: integer(1, MAX_TRAIN_TIMESTEPS),
  steps_offset: integer(0, MAX_TRAIN_TIMESTEPS - 1),
  beta_start: number(0, 1, true),
  beta_end: number(0, 1, true),
  solver_order: integer(1, 3),
  original_inference_steps: integer(1, MAX_TRAIN_TIMESTEPS),
  timestep_scaling: number(0, 1e6, true),
  clip_sample_range: number(0, 1e6, true),
  sigma_min: number(0, 1e6, true),
  sigma_max: number(0, 1e6, true),
  shift: number(0, 1e6, true),
  base_shift: number(-100, 100),
  max_shift: number(-100, 100),
  base_image_seq_len: integer(1, 1e8),
  max_image_seq_len: integer(1, 1e8),
  shift_terminal: number(0, 1),
  disable_corrector: { kind: 'integers', min: 0, max: MAX_TRAIN_TIMESTEPS, maxLength: MAX_TRAIN_TIMESTEPS },
  use_karras_sigmas: BOOLEAN,
  use_exponential_sigmas: BOOLEAN,
  use_beta_sigmas: BOOLEAN,
  use_lu_lambdas: BOOLEAN,
  use_flow_sigmas: BOOLEAN,
  use_dynamic_shifting: BOOLEAN,
  stochastic_sampling: BOOLEAN,
  invert_sigmas: BOOLEAN,
  clip_sample: BOOLEAN,
  set_alpha_to_one: BOOLEAN,
  skip_prk_steps: BOOLEAN,
  lower_order_final: BOOLEAN,
  euler_at_final: BOOLEAN,
  predict_x0: BOOLEAN,
  thresholding: BOOLEAN,
  rescale_betas_zero_snr: BOOLEAN,
};

/** Throws naming `scheduler_config.json`, the field and the class for the first value out of range. */
export function checkConfigValues(config: SchedulerConfig, className: string): void {
  const fail = (field: string, wanted: string, value: unknown): never => {
    throw new RangeError(`scheduler_config.json: ${field} must be ${wanted}, not ${describe(value)} (${className}).`);
  };
  for (const [field, rule] of Object.entries(RULES)) {
    const value = config[field];
    if (value === undefined || value === null) continue;
    const problem = check(rule, value);
    if (problem) fail(field, problem, value);
  }
  const betas = config.trained_betas;
  if (betas !== undefined && betas !== null) {
    const count = config.num_train_timesteps ?? 1000;
    if (!Array.isArray(betas) || betas.length !== count) fail('trained_betas', `a list of ${count} numbers (num_train_timesteps)`, betas);
    const bad = betas.findIndex((b) => typeof b !== 'number' || !(b > 0 && b < 1));
    if (bad >= 0) fail(`trained_betas[${bad}]`, 'a number between 0 and 1', betas[bad]);
  }
  const offset = config.steps_offset;
  if (typeof offset === 'number' && offset >= (config.num_train_timesteps ?? 1000)) {
    fail('steps_offset', `smaller than num_train_timesteps (${config.num_train_timesteps ?? 1000})`, offset);
  }
}

function check(rule: Rule, value: unknown): string | undefined {
  switch (rule.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'integer': {
      const ok = typeof value === 'number' && Number.isInteger(value) && value >= rule.min && value <= rule.max;
      return ok ? undefined : `an integer from ${rule.min} to ${rule.max}`;
    }
    case 'number': {
      const inside = typeof value === 'number' && Number.isFinite(value) && (rule.open ? value > rule.min && value < rule.max : value >= rule.min && value <= rule.max);
      return inside ? undefined : `a number ${rule.open ? 'between' : 'from'} ${rule.min} ${rule.open ? 'and' : 'to'} ${rule.max}`;
    }
    case 'integers': {
      const ok =
        Array.isArray(value) &&
        value.length <= rule.maxLength &&
        value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= rule.min && v <= rule.max);
      return ok ? undefined : `a list of integers from ${rule.min} to ${rule.max}`;
    }
  }
}

/** The value as the message shows it: JSON, cut short (a config may hold a huge string). */
function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Throws unless `steps` is a whole number from 1 to the training timesteps. */
export function checkStepCount(steps: number, trainSteps: number, className: string): void {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${className}: the step count must be a positive integer, not ${steps}.`);
  if (steps > trainSteps) {
    throw new RangeError(`${className}: ${steps} steps is more than the ${trainSteps} training timesteps (num_train_timesteps in scheduler_config.json).`);
  }
}
