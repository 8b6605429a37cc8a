/**
 * Pure math and model glue: tokenizers, A1111 prompt syntax, schedulers, torch-compatible noise, the Stable Diffusion pipeline and
 * the flow-matching transformer pipeline (Z-Image-Turbo). Runs in
 * Node and browsers alike, in float32; the runtime converts to whatever each model declares.
 * @module
 */
export { ClipTokenizer, type TokenizerConfig } from './clip-tokenizer.ts';
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
export { ChatTokenizer, CHATML_TEMPLATE, truncationNotice, type ChatTemplateSource, type EncodedPrompt } from './chat-tokenizer.ts';
export { reopenableComponent, EmbeddingCache, type ComponentHandle } from './component-handle.ts';
export {
  generateFlowMatch,
  type FlowMatchFamily,
  type FlowMatchTransformerModel,
  type FlowMatchStage,
  type FlowMatchStageEvent,
  type FlowMatchResult,
} from './pipelines/flow-match-transformer.ts';
export {
  isFlowMatchRepo,
  flowMatchLayout,
  flowMatchMissingFiles,
  flowMatchPipelineFiles,
  FLOW_MATCH_COMPONENTS,
  CHAT_TOKENIZER_FILES,
  type FlowMatchComponent,
  type FlowMatchLayout,
} from './flow-match-layout.ts';
export { loadFlowMatchTransformer, zImageSigmas, Z_IMAGE_TURBO_REFERENCE, type FlowMatchDescription, type FlowMatchLoadOptions } from './load-flow-match.ts';
