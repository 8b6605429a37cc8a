/**
 * Pure math and model glue: tokenizer, A1111 prompt syntax, schedulers, torch-compatible noise, the Stable Diffusion pipeline. Runs in
 * Node and browsers alike, in float32; the runtime converts to whatever each model declares.
 * @module
 */
export { ClipTokenizer, TokenizerError, type TokenizerConfig } from './clip-tokenizer.ts';
export { createNoise, seedToUint64, type Noise, type NoiseSource, type NoiseOptions, type CpuKernel, type Seed } from './noise/index.ts';
export * from './schedulers/index.ts';
export {
  parsePromptAttention,
  extractExtraNetworks,
  chunkPrompt,
  emptyChunk,
  padChunks,
  commaIdOf,
  applyEmphasis,
  encodeChunks,
  countTokens,
  preparePrompt,
  type PromptPart,
  type WeightedText,
  type PromptBreak,
  type ExtraNetwork,
  type PromptTokenizer,
  type PromptChunk,
  type ChunkedPrompt,
  type ChunkOptions,
  type TokenCount,
  type PreparedPrompt,
} from './prompt/index.ts';
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
