/**
 * Pure math and model glue: tokenizer, schedulers, RNG, the Stable Diffusion pipeline. Runs in
 * Node and browsers alike, in float32; the runtime converts to whatever each model declares.
 * @module
 */
export { ClipTokenizer, type TokenizerConfig } from './clip-tokenizer.ts';
export { SeededRandom } from './rng.ts';
export * from './schedulers/index.ts';
export { vaeOutputToImage, imageToVaeInput, NonFiniteError, type RgbaImage } from './image.ts';
export { firstNonFinite, onDevice, type Tensor, type TensorData, type ValueInfo, type ModelRunner, type RunnerOptions, type ModelFiles, type DeviceTensor, type Feed } from './tensor.ts';
export { guardFinite, type Recovery } from './guard.ts';
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
