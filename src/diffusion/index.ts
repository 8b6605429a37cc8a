/**
 * Pure math and model glue: tokenizers, A1111 prompt syntax, schedulers, torch-compatible noise, repo layouts and reference
 * configurations, the Stable Diffusion pipeline and the flow-matching transformer pipeline (Z-Image-Turbo). Runs in Node and
 * browsers alike, in float32; the runtime converts to whatever each model declares.
 * @module
 */
export { ClipTokenizer, TokenizerError, type TokenizerConfig } from './clip-tokenizer.ts';
export { bundledClipVocab, clipVocab, BUNDLED_TOKENIZER } from './clip-bpe.ts';
export { openTokenizer, type OpenedTokenizer, type TokenizerFiles } from './tokenizer-files.ts';
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
export { vaeOutputToImage, imageToVaeInput, type RgbaImage } from './image.ts';
export { isGpuResident, type Tensor, type TensorData, type ValueInfo, type ModelRunner, type RunnerOptions, type Backend, type ModelFiles, type GpuResidentTensor, type Feed } from './tensor.ts';
export { firstNonFinite, guardFinite, nanFallbacks, rememberedRecoveryMessage, NonFiniteError, type Recovery } from './nan-recovery.ts';
export { ConfigError } from './config-checks.ts';
export {
  encodeText,
  encodePrompts,
  penultimate,
  MAX_PROMPT_CHUNKS,
  type TextConditioning,
  type TextEncoders,
  type TextEncodingOptions,
  type PromptPair,
  type PromptEncoding,
} from './text-encoding.ts';
export { clipSkipSupport, recoverLayerNorm, applyLayerNorm, type ClipSkipSupport, type ClipSkipModel, type LayerNorm } from './text-layers.ts';
export { freeDimensionOverrides, type PinnedShape, type ShapeFacts } from './free-dimensions.ts';
export {
  describeLayout,
  chooseVariant,
  variantById,
  variantLabel,
  COMPONENTS,
  componentModelPath,
  missingFiles,
  pipelineFiles,
  everyVariantFiles,
  pipelineKind,
  componentBytes,
  type Component,
  type PipelineKind,
  type ModelVariant,
  type RepoLayout,
  type RepoFileInfo,
  type RunTarget,
} from './repo-layout.ts';
export {
  REFERENCE_CONFIGS,
  architectureOf,
  chooseReference,
  familyOf,
  stepsFromName,
  type Architecture,
  type ReferenceConfig,
  type UnetSignature,
} from './reference-configs.ts';
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
  requireRunnable,
  FAMILY_DEFAULTS,
  type LoadedModel,
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
  loadFlowMatchTransformer,
  zImageSigmas,
  Z_IMAGE_TURBO_REFERENCE,
  FLOW_MATCH_UNSUPPORTED,
  type FlowMatchComponent,
  type FlowMatchDescription,
  type FlowMatchLoadOptions,
  type UnsupportedSetting,
} from './load-flow-match.ts';
export {
  loadModel,
  runPipeline,
  releaseModel,
  isFlowMatchModel,
  unsupportedSettings,
  type AnyLoadedModel,
  type LoadedFlowMatchModel,
  type ModelFamily,
  type PipelineStage,
  type PipelineStageEvent,
  type PipelineResult,
} from './pipeline.ts';
