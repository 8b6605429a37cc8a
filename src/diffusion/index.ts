/**
 * Pure math and model glue: tokenizer, schedulers, RNG, the Stable Diffusion pipeline. Runs in
 * Node and browsers alike, in float32; the runtime converts to whatever each model declares.
 * @module
 */
export { ClipTokenizer, type TokenizerConfig } from './clip-tokenizer.ts';
export { SeededRandom, randomSeed } from './rng.ts';
export * from './schedulers/index.ts';
export { vaeOutputToImage, imageToVaeInput, type RgbaImage } from './image.ts';
export { isGpuResident, type Tensor, type TensorData, type ValueInfo, type ModelRunner, type RunnerOptions, type Backend, type ModelFiles, type GpuResidentTensor, type Feed } from './tensor.ts';
export { firstNonFinite, guardFinite, nanFallbacks, rememberedRecoveryMessage, NonFiniteError, type Recovery } from './nan-recovery.ts';
export {
  generate,
  applyGuidance,
  guidanceEmbedding,
  type Family,
  type StableDiffusionModel,
  type GenerateRequest,
  type GenerateResult,
  type Stage,
  type StageEvent,
} from './pipelines/stable-diffusion.ts';
export {
  loadStableDiffusion,
  componentModelPath,
  missingFiles,
  requireRunnable,
  pipelineFiles,
  detectFamily,
  COMPONENTS,
  FAMILY_DEFAULTS,
  type RepoReader,
  type RunnerFactory,
  type ModelDefaults,
  type ModelDescription,
  type LoadOptions,
} from './load.ts';
