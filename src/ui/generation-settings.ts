// The settings a person edits for one generation, and how they map to and from the A1111
// `parameters` text that our PNGs carry (so a dropped PNG, ours or A1111's, restores them).
import { SAMPLERS, samplerFromA1111, type NoiseSource, type RgbaImage } from '../diffusion/index.ts';
import type { GeneratedImages, GenerateOptions } from '../engine/index.ts';
import { isRepoId } from '../hub/index.ts';
import { formatParameters, parseParameters, type GenerationParameters } from './a1111-parameters.ts';

export interface GenerationSettings {
  prompt: string;
  negativePrompt: string;
  seed: number;
  /** Empty means "what the model is made for". */
  steps?: number;
  guidance?: number;
  /** A sampler id from SAMPLERS, or '' for the repo's own scheduler. */
  sampler: string;
  width?: number;
  height?: number;
  batch: number;
  strength: number;
  /** Random numbers: `cpu` (torch's CPU generator: diffusers, ComfyUI) or `gpu` (torch's CUDA one: A1111). */
  noise: NoiseSource;
  /** A1111's Clip skip (1: the last layer). */
  clipSkip: number;
  /** A1111's “Pad prompt/negative prompt” (`Pad conds`). */
  padPrompts: boolean;
}

/** A random seed to show the user (fits in an input and in 32 bits): the UI's only source of seeds. */
export const randomSeed = () => Math.floor(Math.random() * 2 ** 31);

export function defaultGenerationSettings(): GenerationSettings {
  return { prompt: 'a watercolor painting of a lighthouse at dawn', negativePrompt: '', seed: randomSeed(), sampler: '', batch: 1, strength: 0.6, noise: 'cpu', clipSkip: 1, padPrompts: false };
}

/**
 * What the engine is asked for: numbers from the form's fields, empty ones (and a field cleared
 * to nothing) left to the model's defaults, the strength only with a picture to start from.
 */
export function generateOptions(s: GenerationSettings, initImage?: RgbaImage): GenerateOptions {
  const num = (v: number | undefined | null) => (v === undefined || v === null || Number.isNaN(Number(v)) ? undefined : Number(v));
  return {
    prompt: s.prompt,
    negativePrompt: s.negativePrompt,
    seed: Number(s.seed),
    steps: num(s.steps),
    guidanceScale: num(s.guidance),
    sampler: s.sampler || undefined,
    width: num(s.width),
    height: num(s.height),
    batch: Number(s.batch) || 1,
    initImage,
    strength: initImage ? Number(s.strength) : undefined,
    noise: s.noise === 'gpu' ? 'gpu' : 'cpu',
    clipSkip: Math.max(1, Math.round(Number(s.clipSkip) || 1)),
    padPrompts: s.padPrompts === true,
  };
}

// diffusers scheduler classes under the names A1111 users know (A1111 calls PNDM "PLMS").
const CLASS_NAMES: Record<string, string> = {
  EulerDiscreteScheduler: 'Euler',
  EulerAncestralDiscreteScheduler: 'Euler a',
  DPMSolverMultistepScheduler: 'DPM++ 2M',
  DDIMScheduler: 'DDIM',
  LCMScheduler: 'LCM',
  PNDMScheduler: 'PLMS',
  // Z-Image-Turbo's own sampler: what ComfyUI and Forge call "Euler" for flow-matching models.
  FlowMatchEulerDiscreteScheduler: 'Euler',
};

/** The A1111 name of what `GeneratedImages.sampler` says (a sampler id or a scheduler class). */
export function samplerName(sampler: string): string {
  return SAMPLERS.find((s) => s.id === sampler)?.label ?? CLASS_NAMES[sampler] ?? sampler;
}

/** Our sampler id for an A1111 sampler name (and `Schedule type`); '' (the model's own) when we have no such sampler. */
export function samplerId(name: string | undefined, scheduleType?: string): string {
  return samplerFromA1111(name, scheduleType) ?? '';
}

/** A1111's `RNG` field: we write `CPU` or `NV` (what A1111 writes for torch's CPU and CUDA generators). */
const RNG_WRITTEN: Record<NoiseSource, string> = { cpu: 'CPU', gpu: 'NV' };

/**
 * The noise an A1111 `RNG` field names: `CPU` → cpu; `NV`, `GPU` → gpu. A1111 leaves the field out
 * for its default, GPU (torch's CUDA generator, which NV reproduces), so no field means gpu too.
 */
export function noiseFromA1111(rng: string | undefined): NoiseSource | undefined {
  const v = (rng ?? 'GPU').trim().toUpperCase();
  return v === 'CPU' ? 'cpu' : v === 'NV' || v === 'GPU' ? 'gpu' : undefined;
}

/**
 * The `parameters` text for image `index` of a result, as A1111 1.9+ writes it: `Sampler: DPM++ 2M,
 * Schedule type: Karras` (the schedule apart from the sampler), `RNG: CPU` or `RNG: NV`, `Clip skip`
 * when not 1, `Pad conds: True` when the prompts were padded.
 */
export function parametersFor(out: Omit<GeneratedImages, 'images'>, seed: number, s: Pick<GenerationSettings, 'prompt' | 'negativePrompt'>): string {
  const extra: Record<string, string> = {};
  if (out.clipSkip > 1) extra['Clip skip'] = String(out.clipSkip);
  extra.RNG = RNG_WRITTEN[out.noise];
  if (out.paddedPrompts) extra['Pad conds'] = 'True';
  const p: GenerationParameters = {
    prompt: s.prompt,
    negativePrompt: s.negativePrompt || undefined,
    steps: out.steps,
    sampler: out.a1111Sampler.sampler,
    scheduleType: out.a1111Sampler.scheduleType,
    cfgScale: out.guidanceScale,
    seed,
    width: out.width,
    height: out.height,
    // No file hash reaches the page, so the commit stands in for it: it pins the exact weights.
    modelHash: out.model.commit.slice(0, 10),
    model: out.model.model,
    extra,
  };
  return formatParameters(p);
}

/**
 * Settings (and a Hub repo id, when the `Model` field is one the Hub accepts: an A1111 checkpoint
 * name, or a `../..` from a crafted PNG, is not) from a `parameters` text: the prompt as written
 * (weights, BREAK and all), seed, steps, CFG scale, size, `Sampler` with `Schedule type` (or with
 * the schedule in its name, before A1111 1.9), `RNG`, `Clip skip` and `Pad conds`. Fields the text
 * does not carry keep their current values, except `RNG`, `Clip skip` and `Pad conds`, whose
 * absence means A1111's defaults (GPU, 1, off). A sampler the app lacks leaves the current one,
 * and `notes` says so.
 */
export function settingsFromParameters(text: string, current: GenerationSettings): { settings: GenerationSettings; model?: string; notes: string[] } {
  const p = parseParameters(text);
  const notes: string[] = [];
  let sampler = current.sampler;
  if (p.sampler !== undefined) {
    const id = samplerFromA1111(p.sampler, p.scheduleType);
    const named = p.scheduleType ? `${p.sampler}” with the schedule type “${p.scheduleType}` : p.sampler;
    const kept = sampler ? (SAMPLERS.find((s) => s.id === sampler)?.label ?? sampler) : "the model's own";
    if (id === undefined) notes.push(`This app has no sampler “${named}”: the sampler stays ${sampler ? `“${kept}”` : kept}.`);
    else sampler = id;
  }
  const noise = noiseFromA1111(p.extra?.RNG);
  if (noise === undefined) notes.push(`Random numbers “${p.extra!.RNG}” are not A1111's CPU, GPU or NV: they stay ${current.noise === 'gpu' ? 'GPU' : 'CPU'}.`);
  else if (p.extra?.RNG === undefined && p.seed !== undefined) notes.push('It names no RNG, which in A1111 means its default: random numbers GPU (an image from ComfyUI or diffusers wants CPU).');
  const clipSkip = Number(p.extra?.['Clip skip'] ?? 1);
  return {
    settings: {
      ...current,
      prompt: p.prompt,
      negativePrompt: p.negativePrompt ?? '',
      seed: p.seed ?? current.seed,
      steps: p.steps ?? current.steps,
      guidance: p.cfgScale ?? current.guidance,
      sampler,
      width: p.width ?? current.width,
      height: p.height ?? current.height,
      noise: noise ?? current.noise,
      clipSkip: Number.isInteger(clipSkip) && clipSkip >= 1 && clipSkip <= 12 ? clipSkip : current.clipSkip,
      padPrompts: p.extra?.['Pad conds']?.trim().toLowerCase() === 'true',
    },
    model: p.model && isRepoId(p.model) ? p.model : undefined,
    notes,
  };
}

/** A file name that says what the picture is: `a-watercolor-painting-of-a-lighthouse-1234.png`. */
export function pngFileName(prompt: string, seed: number): string {
  const words = prompt.toLowerCase().normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '');
  return `${words.slice(0, 48).replace(/-+$/, '') || 'image'}-${seed}.png`;
}

/** What the stage shows of the last result: the PNGs (object URLs) with their parameters. */
export type ShownResult = Omit<GeneratedImages, 'images'> & {
  prompt: string;
  samplerName: string;
  shots: { url: string; seed: number; fileName: string; parameters: string }[];
};
