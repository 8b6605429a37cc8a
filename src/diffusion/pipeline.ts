// One door to both pipelines, as diffusers' DiffusionPipeline picks a class for a repo: which one a
// repo needs (its denoiser: a UNet or a transformer, see repo-layout.ts `pipelineKind`), opening
// it, running it, closing it. The engine and library users go through here; each pipeline and its
// loader stay files of their own that never reach into each other.
import { FLOW_MATCH_UNSUPPORTED, loadFlowMatchTransformer, type FlowMatchDescription, type FlowMatchLoadOptions, type UnsupportedSetting } from './load-flow-match.ts';
import { loadStableDiffusion, type LoadedModel, type RepoReader } from './load.ts';
import { generateFlowMatch, type FlowMatchFamily, type FlowMatchStage, type FlowMatchTransformerModel } from './pipelines/flow-match-transformer.ts';
import { generate, type Family, type GenerateRequest, type Stage } from './pipelines/stable-diffusion.ts';
import type { RgbaImage } from './image.ts';
import { pipelineKind, type PipelineKind } from './repo-layout.ts';
import type { RunnerFactory, Tensor } from './tensor.ts';

/** A flow-matching transformer model (Z-Image-Turbo) and its description. */
export type LoadedFlowMatchModel = FlowMatchTransformerModel & { description: FlowMatchDescription };

/** A model of either pipeline, with its description; tell them apart with {@link isFlowMatchModel}. */
export type AnyLoadedModel = LoadedModel | LoadedFlowMatchModel;

/** Every family either pipeline runs: Stable Diffusion's (`sd-turbo`, `sdxl`, …) and the flow-matching transformers' (`z-image`). */
export type ModelFamily = Family | FlowMatchFamily;

/** Every stage either pipeline reports: Stable Diffusion's `unet`, the flow-matching `transformer`, and the encoders and VAE they share. */
export type PipelineStage = Stage | FlowMatchStage;

/** Progress from either pipeline: which stage is starting (or which denoising step is done), for which image. */
export interface PipelineStageEvent {
  stage: PipelineStage;
  image: number;
  images: number;
  step?: number;
  steps?: number;
  /** After a denoising step: the latents `[1, C, h, w]` (C = 4 for SD, 16 for Z-Image), for a live preview. */
  latents?: Tensor;
  /** Text encoder: the prompt's encoding was cached, so the text encoder did not run. */
  reused?: boolean;
}

/** The images of either pipeline with their seeds, the stage times, and what the user should be told. */
export interface PipelineResult {
  images: { image: RgbaImage; seed: number }[];
  /** Milliseconds per stage, summed over steps and images (only the stages the pipeline has). */
  timings: Partial<Record<PipelineStage, number>>;
  /** The steps run per image. */
  steps: number;
  /** Denoiser inputs fed from GPU memory (`encoder_hidden_states` for SD on WebGPU). */
  gpuResidentInputs: string[];
  /** Things that did not stop the work but changed it (a prompt cut at the token limit). */
  notices: string[];
  /** The Clip skip applied (1 where the model does not take the one asked for, and for transformers). */
  clipSkip: number;
  /** Whether the prompt and negative prompt were padded to one length (Stable Diffusion's `padPrompts`). */
  paddedPrompts: boolean;
}

/** True for a flow-matching transformer model. */
export const isFlowMatchModel = (m: AnyLoadedModel): m is LoadedFlowMatchModel => 'transformer' in m;

/** The page's settings a repo's pipeline does not take: none for Stable Diffusion, Z-Image-Turbo's for the flow-matching transformer. */
export function unsupportedSettings(kind: PipelineKind): UnsupportedSetting[] {
  return kind === 'flow-match-transformer' ? [...FLOW_MATCH_UNSUPPORTED] : [];
}

/**
 * Opens a repo with the pipeline its file list calls for: the flow-matching transformer's when it
 * has a transformer and no UNet (webnn/Z-Image-Turbo), Stable Diffusion's otherwise.
 * `releaseTextEncoder` only concerns the former.
 */
export async function loadModel(repo: RepoReader, createRunner: RunnerFactory, opts: FlowMatchLoadOptions = {}): Promise<AnyLoadedModel> {
  if (pipelineKind(repo.files) === 'flow-match-transformer') return loadFlowMatchTransformer(repo, createRunner, opts);
  const { releaseTextEncoder: _, ...sd } = opts;
  return loadStableDiffusion(repo, createRunner, sd);
}

/** Makes the images with the model's own pipeline; an aborted `signal` stops it before the next model call. */
export async function runPipeline(
  m: AnyLoadedModel,
  req: GenerateRequest,
  onStage: (e: PipelineStageEvent) => void = () => {},
  signal?: AbortSignal,
): Promise<PipelineResult> {
  if (isFlowMatchModel(m)) return { ...(await generateFlowMatch(m, req, onStage, signal)), clipSkip: 1, paddedPrompts: false };
  return generate(m, req, onStage, signal);
}

/** Closes every session the model has open (a released text encoder is left as it is). */
export async function releaseModel(m: AnyLoadedModel): Promise<void> {
  const runners = isFlowMatchModel(m) ? [m.textEncoder, m.transformer, m.vaeDecoder] : [m.textEncoder, m.textEncoder2, m.unet, m.vaeDecoder, m.vaeEncoder];
  for (const r of runners) await r?.release();
}
