// Generation: opening a cached model's sessions (with remembered NaN recoveries, see
// nan-recovery-memory.ts, and in the workers its memory plan gives, see placement.ts) with the
// pipeline the repo needs, and making images.
import {
  a1111Sampler, componentBytes, loadModel, pipelineKind, runPipeline, SAMPLERS, samplerConfig, type AnyLoadedModel, type FlowMatchDescription, type ModelDescription,
  type RepoFileInfo, type RepoReader,
} from '../diffusion/index.ts';
import { fileKey, type Store } from '../cache/index.ts';
import { chooseBackend, type Backend } from '../runtime/index.ts';
import { componentWorkers } from './component-workers.ts';
import type { EnsureResult } from './ensure-model.ts';
import type { Manifest } from './manifest.ts';
import { nanRecovery } from './nan-recovery-memory.ts';
import { describePlan, gigabytes, placeComponents, type MemoryPlan } from './placement.ts';
import type { EngineEvent, GeneratedImages, GenerateOptions, PreparedModel } from './types.ts';

/** A model with its sessions open. */
export interface OpenModel {
  key: string;
  backend: Backend;
  fallbackReason?: string;
  model: AnyLoadedModel;
  /** Which worker each component's session lives in, and which are ended after use. */
  plan: MemoryPlan;
  /** Components rerun with other settings after giving NaN (remembered or just now), in words. */
  recoveries: string[];
  /** Where the model's events go from now on (each call gives its own): status while a component reopens, NaN recoveries. */
  listen(onEvent: (e: EngineEvent) => void): void;
  /** Ends onnxruntime's workers for this model: their sessions and every byte they held. */
  close(): void;
}

/** What to open: the backend asked for, the Hub's id of the repo (it helps pick a reference configuration) and the variant. */
export interface OpenTarget {
  prefer: Backend | 'auto';
  repoId: string;
  /** An id of the repo's variants (`''`: the plain one). */
  variant: string;
}

/** How to open a model: where its sessions run, and how it treats memory. */
export interface OpenOptions {
  /** SD on WebGPU: keep the prompt's embeddings in GPU memory for the UNet (default true). */
  gpuResident?: boolean;
  /** `save`: a worker per component and the text encoder closed after each prompt, even when the model would fit (see placement.ts). */
  memory?: 'auto' | 'save';
}

/**
 * Opens every component of a model on the chosen backend, one at a time, with the pipeline the
 * repo needs, each in the worker its memory plan gives (`listing`: the files with their sizes).
 */
export async function openModel(
  key: string,
  reader: RepoReader,
  listing: readonly RepoFileInfo[],
  target: OpenTarget,
  onEvent: (e: EngineEvent) => void,
  opts: OpenOptions = {},
): Promise<OpenModel> {
  let sink = onEvent;
  const emit = (e: EngineEvent) => sink(e);
  const choice = await chooseBackend(target.prefer);
  const { backend } = choice;
  const flowMatch = pipelineKind(reader.files) === 'flow-match-transformer';
  const plan = placeComponents(componentBytes(listing) as Record<string, number>, { backend, releasable: flowMatch ? ['text_encoder'] : [], memory: opts.memory });
  const workers = componentWorkers(plan, backend);
  try {
    const nan = await nanRecovery(key, backend, emit);
    const opened = new Set<string>();
    const model = await loadModel(reader, workers.createRunner, {
      ...nan.options,
      gpuResident: opts.gpuResident ?? true,
      repoId: target.repoId,
      variant: target.variant,
      // WebNN builds its graphs for fixed shapes: symbolic dimensions are pinned to the model's own size.
      pinShape: backend === 'webnn' ? 'default' : undefined,
      releaseTextEncoder: plan.releaseAfterUse.includes('text_encoder'),
      onComponent: (c) => {
        emit({ kind: 'status', message: loadingMessage(c, backend, plan, opened.has(c)) });
        opened.add(c);
      },
    });
    return {
      key, backend, fallbackReason: choice.fallbackReason, model, plan, recoveries: nan.recoveries,
      listen: (f) => void (sink = f),
      close: () => workers.close(),
    };
  } catch (err) {
    workers.close();
    throw err;
  }
}

/** What the page says while a component opens: where, and, when it has a worker of its own, why. */
function loadingMessage(component: string, backend: Backend, plan: MemoryPlan, again: boolean): string {
  const name = component.replace(/_/g, ' ');
  if (again && plan.releaseAfterUse.includes(component)) return `Loading the ${name} again for the new prompt (it was closed to make room for the ${plan.workers.flat().includes('transformer') ? 'transformer' : 'denoiser'})…`;
  if (!plan.reason || !plan.workers.some((g) => g.length === 1 && g[0] === component)) return `Loading ${name} on ${backend}…`;
  return `Loading the ${name} (${gigabytes(plan.bytes[component] ?? 0)}) on ${backend} in a worker of its own: ${plan.reason}…`;
}

/** Fills in the model's defaults and clamps what the user asked for to what the pipeline can do; settings the model does not take are dropped. */
export function resolveOptions(d: ModelDescription | FlowMatchDescription, o: GenerateOptions) {
  const size = (v: number | undefined) => Math.max(64, Math.min(2048, Math.floor((v || d.defaults.size) / 8) * 8));
  // A denoiser with a fixed latent size (static export, or pinned for WebNN) makes that size only.
  const fixed = d.fixedSize;
  const unsupported = new Set<string>('unsupported' in d ? d.unsupported : []);
  const sampler = o.sampler && !unsupported.has('sampler') && SAMPLERS.some((s) => s.id === o.sampler) ? o.sampler : undefined;
  return {
    prompt: o.prompt,
    negativePrompt: unsupported.has('negativePrompt') ? '' : (o.negativePrompt ?? ''),
    seed: Math.floor(o.seed) >>> 0,
    steps: Math.max(1, Math.min(150, Math.round(o.steps || d.defaults.steps))),
    guidanceScale: unsupported.has('guidance') ? d.defaults.guidanceScale : (o.guidanceScale ?? d.defaults.guidanceScale),
    width: fixed?.width ?? size(o.width),
    height: fixed?.height ?? size(o.height),
    batch: Math.max(1, Math.min(8, Math.round(o.batch ?? 1))),
    sampler,
    noise: o.noise === 'gpu' ? ('gpu' as const) : ('cpu' as const),
    clipSkip: Math.max(1, Math.min(12, Math.round(Number(o.clipSkip) || 1))),
    padPrompts: o.padPrompts === true,
    initImage: unsupported.has('img2img') ? undefined : o.initImage,
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
  open.listen(onEvent);
  // The page draws a live preview from the latents; copying them across at most every
  // PREVIEW_MS (and always after the last step) keeps fast models from flooding the page.
  let lastPreview = -Infinity;
  const result = await runPipeline(
    open.model,
    req,
    (e) => {
      if (e.reused) return onEvent({ kind: 'status', message: 'Prompt unchanged: reusing its encoding (the text encoder does not run again).' });
      const now = performance.now();
      const wanted = e.latents && e.latents.data instanceof Float32Array && (e.step === e.steps || now - lastPreview >= PREVIEW_MS);
      if (wanted) lastPreview = now;
      const latents = wanted ? { dims: [...e.latents!.dims], data: e.latents!.data as Float32Array } : undefined;
      onEvent({ kind: 'stage', stage: e.stage, step: e.step, steps: e.steps, image: e.image, images: e.images, ...(latents && { latents }) });
    },
    signal,
  );
  for (const message of result.notices) onEvent({ kind: 'notice', message });
  const own = open.model.description.schedulerConfig;
  return {
    images: result.images,
    steps: result.steps,
    guidanceScale: req.guidanceScale,
    sampler: req.sampler ?? String(own._class_name),
    a1111Sampler: a1111Sampler(req.sampler ? samplerConfig(own, req.sampler) : own),
    noise: req.noise,
    clipSkip: result.clipSkip,
    paddedPrompts: result.paddedPrompts,
    notices: result.notices,
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
    const blob = localFiles.get(path) ?? (await store.get(fileKey(manifest.hub, manifest.repo, manifest.commit, path)));
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
  const flow = 'pipeline' in d;
  return {
    hub: manifest.hub,
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
    variant: { ...d.variant },
    layout: d.layout,
    assumed: [...d.assumed],
    ...(d.reference && { reference: { ...d.reference } }),
    tokenizers: [...d.tokenizers],
    ...(d.fixedSize && { fixedSize: { ...d.fixedSize } }),
    ...(d.fixedBatch !== undefined && { fixedBatch: d.fixedBatch }),
    clipSkip: flow ? { max: 1, reason: 'this model has no CLIP text encoder' } : { ...d.clipSkip },
    pipeline: flow ? d.pipeline : 'stable-diffusion',
    unsupported: flow ? [...d.unsupported] : [],
    memory: { workers: open.plan.workers, releaseAfterUse: open.plan.releaseAfterUse, summary: describePlan(open.plan) },
  };
}
