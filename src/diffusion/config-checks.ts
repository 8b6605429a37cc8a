// Every number the loader takes from a repo's JSON is checked here before it sizes a buffer or
// a loop: a repo is data from a stranger, and `randn(latent_channels · sample_size²)` must not
// be asked to allocate without limit. Each message names the file and the field.

/** A repo's config holds a value the app cannot use. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Json = Record<string, unknown>;

const show = (v: unknown) => (typeof v === 'string' ? `the string "${v}"` : JSON.stringify(v));

/** `config[field]` as an integer in [min, max], or undefined when the field is absent (or null). */
export function configInteger(config: Json, file: string, field: string, min: number, max: number): number | undefined {
  const v = config[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigError(`${file}: ${field} must be an integer from ${min} to ${max}, not ${show(v)}.`);
  }
  return v;
}

/** `config[field]` as a finite number in (0, max], or undefined when absent. A string is an error, not a number. */
export function configPositive(config: Json, file: string, field: string, max: number): number | undefined {
  const v = config[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > max) {
    throw new ConfigError(`${file}: ${field} must be a positive number up to ${max}, not ${show(v)}.`);
  }
  return v;
}

/** `config[field]` as a list of 1…maxLength integers in [min, max], or undefined when absent. */
export function configIntegers(config: Json, file: string, field: string, maxLength: number, min: number, max: number): number[] | undefined {
  const v = config[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length < 1 || v.length > maxLength || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max)) {
    throw new ConfigError(`${file}: ${field} must be a list of 1 to ${maxLength} integers from ${min} to ${max}, not ${show(v)}.`);
  }
  return v as number[];
}

/** `config[field]` as a boolean, or undefined when absent. */
export function configBoolean(config: Json, file: string, field: string): boolean | undefined {
  const v = config[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${file}: ${field} must be true or false, not ${show(v)}.`);
  return v;
}

/** The largest latent side a config may declare: 512 latents is 4096 pixels, beyond any SD model. */
export const MAX_SAMPLE_SIZE = 512;

/** UNet/VAE `sample_size`: one integer, or `[height, width]` as diffusers also allows; the larger side is returned. */
export function configSampleSize(config: Json, file: string, max = MAX_SAMPLE_SIZE): number | undefined {
  const v = config.sample_size;
  if (Array.isArray(v)) return Math.max(...configIntegers(config, file, 'sample_size', 2, 1, max)!);
  return configInteger(config, file, 'sample_size', 1, max);
}
