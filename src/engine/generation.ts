// Generation: opening a cached model's sessions (with remembered NaN recoveries, see
// nan-recovery-memory.ts) and making images.
import { generate, loadStableDiffusion, SAMPLERS, type ModelDescription, type RepoReader, type StableDiffusionModel } from '../diffusion/index.ts';
import { fileKey, type Store } from '../cache/index.ts';
import { createRuntime, type Backend } from '../runtime/index.ts';
import type { EnsureResult } from './ensure-model.ts';
import type { Manifest } from './manifest.ts';
import { nanRecovery } from './nan-recovery-memory.ts';
import type { EngineEvent, GeneratedImages, GenerateOptions, PreparedModel } from './types.ts';

/** A model with its sessions open. */
export interface OpenModel {
  key: string;
  backend: Backend;
  fallbackReason?: string;
  model: StableDiffusionModel & { description: ModelDescription };
  /** Components rerun with other settings after giving NaN (remembered or just now), in words. */
  recoveries: string[];
  /** Ends onnxruntime's worker for this model: its sessions and every byte they held. */
  close(): void;
}

/** Opens every component of a model on the chosen backend, one at a time. */
export async function openModel(
  key: string,
  reader: RepoReader,
  prefer: Backend | 'auto',
  onEvent: (e: EngineEvent) => void,
  gpuResident = true,
): Promise<OpenModel> {
  const runtime = await createRuntime(prefer);
  try {
    const nan = await nanRecovery(key, runtime.backend, onEvent);
    const model = await loadStableDiffusion(reader, runtime.createRunner, {
      ...nan.options,
      gpuResident,
      onComponent: (c) => onEvent({ kind: 'status', message: `Loading ${c.replace('_', ' ')} on ${runtime.backend}…` }),
    });
    return { key, backend: runtime.backend, fallbackReason: runtime.fallbackReason, model, recoveries: nan.recoveries, close: runtime.close };
  } catch (err) {
    runtime.close();
    throw err;
  }
}

/** Fills in the model's defaults and clamps what the user asked for to what the pipeline can do. */
export function resolveOptions(d: ModelDescription, o: GenerateOptions) {
  const size = (v: number | undefined) => Math.max(64, Math.min(2048, Math.floor((v || d.defaults.size) / 8) * 8));
  const sampler = o.sampler && SAMPLERS.some((s) => s.id === o.sampler) ? o.sampler : undefined;
  return {
    prompt: o.prompt,
    negativePrompt: o.negativePrompt ?? '',
    seed: Math.floor(o.seed) >>> 0,
    steps: Math.max(1, Math.min(150, Math.round(o.steps || d.defaults.steps))),
    guidanceScale: o.guidanceScale ?? d.defaults.guidanceScale,
    width: size(o.width),
    height: size(o.height),
    batch: Math.max(1, Math.min(8, Math.round(o.batch ?? 1))),
    sampler,
    initImage: o.initImage,
    strength: o.strength,
  };
}

/** Least time between two latent previews sent to the page. */
const PREVIEW_MS = 150;

/** Makes the images; stage events go to `onEvent`, an aborted `signal` stops before the next model call. */
export async function makeImages(
  open: OpenModel,
  options: GenerateOptions,
  onEvent: (e: EngineEvent) => void,
  signal: AbortSignal,
): Promise<Omit<GeneratedImages, 'model' | 'timings'> & { timings: Record<string, number> }> {
  const req = resolveOptions(open.model.description, options);
  // The page draws a live preview from the latents; copying them across at most every
  // PREVIEW_MS (and always after the last step) keeps fast models from flooding the page.
  let lastPreview = -Infinity;
  const result = await generate(
    open.model,
    req,
    (e) => {
      const now = performance.now();
      const wanted = e.latents && e.latents.data instanceof Float32Array && (e.step === e.steps || now - lastPreview >= PREVIEW_MS);
      if (wanted) lastPreview = now;
      const latents = wanted ? { dims: [...e.latents!.dims], data: e.latents!.data as Float32Array } : undefined;
      onEvent({ kind: 'stage', stage: e.stage, step: e.step, steps: e.steps, image: e.image, images: e.images, ...(latents && { latents }) });
    },
    signal,
  );
  return {
    images: result.images,
    steps: result.steps,
    guidanceScale: req.guidanceScale,
    sampler: req.sampler ?? String(open.model.description.schedulerConfig._class_name),
    width: result.images[0].image.width,
    height: result.images[0].image.height,
    backend: open.backend,
    gpuResidentInputs: result.gpuResidentInputs,
    timings: { ...result.timings },
  };
}

/** One cached commit (plus files used in place from the user's folders) as the pipeline reads it. */
export function cachedRepoReader(store: Store, manifest: Manifest, localFiles: Map<string, File>): RepoReader {
  const get = async (path: string) => {
    const blob = localFiles.get(path) ?? (await store.get(fileKey(manifest.repo, manifest.commit, path)));
    if (!blob) throw new Error(`${path} is missing from the cache.`);
    return blob;
  };
  return {
    files: manifest.files.map((f) => f.path),
    readText: async (path) => (await get(path)).text(),
    readBytes: async (path) => new Uint8Array(await (await get(path)).arrayBuffer()),
    // The stored Blob, not its bytes: the runtime streams it into one buffer of its own (or hands
    // onnxruntime an object URL when no buffer that large can be made), see runtime/session.ts.
    readData: (path) => get(path),
  };
}

/** Each file of the model and where it comes from, in words. */
export function filesWithSources(manifest: Manifest, sources: Record<string, string>) {
  return manifest.files.map((f) => ({ path: f.path, size: f.size, source: sources[f.path] ?? 'cache' }));
}

/** What the page is told about an opened model. */
export function describeModel(open: OpenModel, manifest: Manifest, ensured: EnsureResult, revision: string): PreparedModel {
  const d = open.model.description;
  return {
    model: manifest.repo,
    revision,
    commit: manifest.commit,
    offline: ensured.offline,
    files: filesWithSources(manifest, ensured.sources),
    downloadedBytes: ensured.downloadedBytes,
    backend: open.backend,
    fallbackReason: open.fallbackReason,
    license: manifest.license,
    gated: manifest.gated,
    family: d.family,
    defaults: d.defaults,
    scheduler: String(d.schedulerConfig._class_name),
    predictionType: d.predictionType,
    img2img: d.img2img,
    recoveries: open.recoveries,
    loadMs: { ...d.loadMs },
  };
}
