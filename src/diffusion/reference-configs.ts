// The reference configuration of each Stable Diffusion family: what the repo it comes from ships
// (scheduler_config.json, the VAE's scaling_factor, the UNet's sample_size, the tokenizers' pad
// tokens). Many browser exports carry only the ONNX files (every public loader of
// schmuell/sd-turbo-ort-web hard-codes SD-Turbo's σ and timestep), so where a repo says nothing
// the loader fills the gap from this table of known layouts, picked from the graph's signature
// and the repo's name, and says which one it took and why. A repo's own configs always win.
import type { SchedulerConfig } from './schedulers/scheduler.ts';

/** What kind of Stable Diffusion a repo holds; it decides the defaults and small hooks of the one pipeline. */
export type Family = 'sd-turbo' | 'stable-diffusion' | 'lcm' | 'sdxl-turbo' | 'sdxl';

/** The architecture the UNet's inputs show. */
export type Architecture = 'sd1' | 'sd2' | 'sdxl' | 'lcm' | 'unknown';

/** One family's reference configuration, as its source repo ships it. */
export interface ReferenceConfig {
  id: string;
  family: Family;
  architecture: Architecture;
  /** The Hub repo the values come from. */
  source: string;
  /** In words, for the page. */
  name: string;
  /** Repo names that select it among references of one architecture. */
  names?: RegExp;
  scheduler: SchedulerConfig;
  vaeScalingFactor: number;
  /** UNet sample_size (latents); the image is 8× that. */
  sampleSize: number;
  steps: number;
  guidanceScale: number;
  /** Pad token of `tokenizer` (and `tokenizer_2` for SDXL). */
  padTokens: [string, string?];
}

// SD's noise schedule, shared by every family.
const SCALED_LINEAR = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', num_train_timesteps: 1000, prediction_type: 'epsilon' } as const;
/** PNDM as runwayml/stable-diffusion-v1-5 and stabilityai/stable-diffusion-2-1-base ship it. */
const PNDM: SchedulerConfig = { _class_name: 'PNDMScheduler', ...SCALED_LINEAR, clip_sample: false, set_alpha_to_one: false, skip_prk_steps: true, steps_offset: 1 };
const EOS = '<|endoftext|>';

/** The table of known layouts, most specific first within each architecture. */
export const REFERENCE_CONFIGS: readonly ReferenceConfig[] = [
  {
    id: 'sd-turbo', family: 'sd-turbo', architecture: 'sd2', source: 'stabilityai/sd-turbo', name: 'SD-Turbo', names: /turbo/i,
    scheduler: { _class_name: 'EulerDiscreteScheduler', ...SCALED_LINEAR, interpolation_type: 'linear', steps_offset: 1, timestep_spacing: 'trailing', use_karras_sigmas: false },
    vaeScalingFactor: 0.18215, sampleSize: 64, steps: 1, guidanceScale: 0, padTokens: ['!'],
  },
  {
    id: 'sd2-base', family: 'stable-diffusion', architecture: 'sd2', source: 'stabilityai/stable-diffusion-2-1-base', name: 'Stable Diffusion 2.x base',
    names: /stable-diffusion-2|sd-?2|2[-.]1/i,
    scheduler: PNDM, vaeScalingFactor: 0.18215, sampleSize: 64, steps: 25, guidanceScale: 7.5, padTokens: ['!'],
  },
  {
    id: 'sd15', family: 'stable-diffusion', architecture: 'sd1', source: 'runwayml/stable-diffusion-v1-5', name: 'Stable Diffusion 1.5',
    scheduler: PNDM, vaeScalingFactor: 0.18215, sampleSize: 64, steps: 25, guidanceScale: 7.5, padTokens: [EOS],
  },
  {
    id: 'lcm', family: 'lcm', architecture: 'lcm', source: 'SimianLuo/LCM_Dreamshaper_v7', name: 'LCM Dreamshaper v7',
    scheduler: { _class_name: 'LCMScheduler', ...SCALED_LINEAR, clip_sample: false, original_inference_steps: 50, set_alpha_to_one: true, steps_offset: 1, timestep_scaling: 10, timestep_spacing: 'leading' },
    vaeScalingFactor: 0.18215, sampleSize: 96, steps: 4, guidanceScale: 8, padTokens: [EOS],
  },
  {
    id: 'sdxl-lightning', family: 'sdxl-turbo', architecture: 'sdxl', source: 'ByteDance/SDXL-Lightning', name: 'SDXL-Lightning', names: /lightning/i,
    // ByteDance's instructions: SDXL base's EulerDiscrete with timestep_spacing "trailing", guidance 0.
    scheduler: { _class_name: 'EulerDiscreteScheduler', ...SCALED_LINEAR, interpolation_type: 'linear', steps_offset: 1, timestep_spacing: 'trailing', use_karras_sigmas: false },
    vaeScalingFactor: 0.13025, sampleSize: 128, steps: 4, guidanceScale: 0, padTokens: [EOS, '!'],
  },
  {
    id: 'sdxl-base', family: 'sdxl', architecture: 'sdxl', source: 'stabilityai/stable-diffusion-xl-base-1.0', name: 'SDXL base', names: /xl-base|sdxl-base|sd_xl_base/i,
    scheduler: { _class_name: 'EulerDiscreteScheduler', ...SCALED_LINEAR, interpolation_type: 'linear', steps_offset: 1, timestep_spacing: 'leading', use_karras_sigmas: false },
    vaeScalingFactor: 0.13025, sampleSize: 128, steps: 25, guidanceScale: 5, padTokens: [EOS, '!'],
  },
  {
    id: 'sdxl-turbo', family: 'sdxl-turbo', architecture: 'sdxl', source: 'stabilityai/sdxl-turbo', name: 'SDXL-Turbo', names: /turbo/i,
    scheduler: { _class_name: 'EulerAncestralDiscreteScheduler', ...SCALED_LINEAR, interpolation_type: 'linear', steps_offset: 1, timestep_spacing: 'trailing' },
    vaeScalingFactor: 0.13025, sampleSize: 64, steps: 1, guidanceScale: 0, padTokens: [EOS, '!'],
  },
];

/** For each architecture, the reference taken when the repo's name matches none: the common configless export of it. */
const FALLBACK: Record<Architecture, string> = { sd1: 'sd15', sd2: 'sd-turbo', sdxl: 'sdxl-turbo', lcm: 'lcm', unknown: 'sd-turbo' };

/** What the UNet's inputs say: extra inputs and the text width. */
export interface UnetSignature {
  inputs: readonly string[];
  /** `encoder_hidden_states`' last dimension, when fixed. */
  textWidth?: number;
}

/** The architecture from the UNet's inputs: SDXL takes text_embeds/time_ids (and 2048-wide text), LCM timestep_cond, SD 1.x 768, SD 2.x 1024. */
export function architectureOf(s: UnetSignature): { architecture: Architecture; because: string } {
  if (s.inputs.includes('text_embeds') || s.inputs.includes('time_ids')) return { architecture: 'sdxl', because: 'the UNet takes text_embeds and time_ids (SDXL)' };
  if (s.textWidth === 2048) return { architecture: 'sdxl', because: 'the UNet reads 2048-wide text (SDXL)' };
  if (s.inputs.includes('timestep_cond')) return { architecture: 'lcm', because: 'the UNet takes timestep_cond (LCM)' };
  if (s.textWidth === 768) return { architecture: 'sd1', because: 'the UNet reads 768-wide text (SD 1.x)' };
  if (s.textWidth === 1024) return { architecture: 'sd2', because: 'the UNet reads 1024-wide text (SD 2.x)' };
  return { architecture: 'unknown', because: `the UNet reads ${s.textWidth ?? 'variable'}-wide text, which is no known family's` };
}

/** The reference configuration for a repo of this architecture and name, and the reason in words. */
export function chooseReference(signature: UnetSignature, repoName = ''): { reference: ReferenceConfig; because: string } {
  const { architecture, because } = architectureOf(signature);
  const lookup = architecture === 'unknown' ? 'sd2' : architecture;
  const named = repoName ? REFERENCE_CONFIGS.find((r) => r.architecture === lookup && r.names?.test(repoName)) : undefined;
  const reference = named ?? REFERENCE_CONFIGS.find((r) => r.id === FALLBACK[architecture])!;
  const why = named
    ? `${because} and the repo's name “${repoName}” says ${reference.name}`
    : `${because}, and ${reference.name} is the configless export of it met in browsers${repoName ? ` (nothing in “${repoName}” says otherwise)` : ''}`;
  return { reference, because: why };
}

/** Steps a distilled model's name asks for (`…-4step…`), if any. */
export function stepsFromName(repoName = ''): number | undefined {
  const m = /(\d{1,2})[-_ ]?steps?\b/i.exec(repoName);
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= 50 ? n : undefined;
}

/**
 * The family from what the repo ships: LCM when the UNet takes a guidance embedding or the
 * repo's scheduler is LCM; a distilled family (SD-Turbo, SDXL-Turbo/Lightning) when the
 * scheduler uses trailing spacing, as stabilityai/sd-turbo, sdxl-turbo and SDXL-Lightning do;
 * plain Stable Diffusion (or SDXL) otherwise.
 */
export function familyOf(architecture: Architecture, scheduler: SchedulerConfig, pipelineClass = ''): Family {
  if (architecture === 'lcm' || scheduler._class_name === 'LCMScheduler' || /LatentConsistency/.test(pipelineClass)) return 'lcm';
  const distilled = scheduler.timestep_spacing === 'trailing';
  if (architecture === 'sdxl') return distilled ? 'sdxl-turbo' : 'sdxl';
  return distilled && /Euler/.test(String(scheduler._class_name)) ? 'sd-turbo' : 'stable-diffusion';
}
