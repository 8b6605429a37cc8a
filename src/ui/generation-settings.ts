// The settings a person edits for one generation, and how they map to and from the A1111
// `parameters` text that our PNGs carry (so a dropped PNG, ours or A1111's, restores them).
import { SAMPLERS, type RgbaImage } from '../diffusion/index.ts';
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
}

/** A random seed to show the user (fits in an input and in 32 bits): the UI's only source of seeds. */
export const randomSeed = () => Math.floor(Math.random() * 2 ** 31);

export function defaultGenerationSettings(): GenerationSettings {
  return { prompt: 'a watercolor painting of a lighthouse at dawn', negativePrompt: '', seed: randomSeed(), sampler: '', batch: 1, strength: 0.6 };
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

/** Our sampler id for an A1111 sampler name; '' (the model's own) when we have no such sampler. */
export function samplerId(name: string | undefined): string {
  if (!name) return '';
  const n = name.trim().toLowerCase();
  return SAMPLERS.find((s) => s.label.toLowerCase() === n || s.id === n)?.id ?? '';
}

/** The `parameters` text for image `index` of a result. */
export function parametersFor(out: Omit<GeneratedImages, 'images'>, seed: number, s: Pick<GenerationSettings, 'prompt' | 'negativePrompt'>): string {
  const p: GenerationParameters = {
    prompt: s.prompt,
    negativePrompt: s.negativePrompt || undefined,
    steps: out.steps,
    sampler: samplerName(out.sampler),
    cfgScale: out.guidanceScale,
    seed,
    width: out.width,
    height: out.height,
    // No file hash reaches the page, so the commit stands in for it: it pins the exact weights.
    modelHash: out.model.commit.slice(0, 10),
    model: out.model.model,
  };
  return formatParameters(p);
}

/**
 * Settings (and a Hub repo id, when the `Model` field is one the Hub accepts: an A1111 checkpoint
 * name, or a `../..` from a crafted PNG, is not) from a `parameters` text.
 * Fields the text does not carry keep their current values.
 */
export function settingsFromParameters(text: string, current: GenerationSettings): { settings: GenerationSettings; model?: string } {
  const p = parseParameters(text);
  return {
    settings: {
      ...current,
      prompt: p.prompt,
      negativePrompt: p.negativePrompt ?? '',
      seed: p.seed ?? current.seed,
      steps: p.steps ?? current.steps,
      guidance: p.cfgScale ?? current.guidance,
      sampler: p.sampler !== undefined ? samplerId(p.sampler) : current.sampler,
      width: p.width ?? current.width,
      height: p.height ?? current.height,
    },
    model: p.model && isRepoId(p.model) ? p.model : undefined,
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
