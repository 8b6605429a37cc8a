// A result as the page keeps it: each image as a PNG carrying its A1111 `parameters`, shown
// from an object URL, offered for download under a name that says what it is, and kept in
// the history with the settings that made it.
import type { GeneratedImages } from '../engine/index.ts';
import { parametersFor, pngFileName, samplerName, type GenerationSettings, type ShownResult } from './generation-settings.ts';
import type { HistoryEntry } from './history.ts';
import { pngUrl, pngWithParameters } from './png-image.ts';

/** The stage's view of a result (object URLs: revoke them with `revokeShots`) and its history entries. */
export async function resultShots(out: GeneratedImages, asked: GenerationSettings): Promise<{ result: ShownResult; entries: HistoryEntry[] }> {
  const { images, ...rest } = out;
  const shots: ShownResult['shots'] = [];
  const entries: HistoryEntry[] = [];
  for (const [k, { image, seed }] of images.entries()) {
    const parameters = parametersFor(rest, seed, asked);
    const png = await pngWithParameters(image, parameters);
    const fileName = pngFileName(asked.prompt, seed);
    shots.push({ url: pngUrl(png), seed, fileName, parameters });
    entries.push({
      id: `${Date.now()}-${k}-${seed}`, createdAt: Date.now(), png, parameters, fileName,
      prompt: asked.prompt, negativePrompt: asked.negativePrompt, seed, steps: out.steps, sampler: asked.sampler,
      samplerName: samplerName(out.sampler), guidanceScale: out.guidanceScale, width: out.width, height: out.height,
      model: out.model.model, revision: out.model.revision, commit: out.model.commit, backend: out.backend, timings: out.timings,
    });
  }
  return { result: { ...rest, prompt: asked.prompt, samplerName: samplerName(out.sampler), shots }, entries };
}

/** Frees the object URLs of a result no longer shown. */
export function revokeShots(result: ShownResult | undefined): void {
  for (const s of result?.shots ?? []) URL.revokeObjectURL(s.url);
}
