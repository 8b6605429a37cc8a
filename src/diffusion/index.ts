/**
 * Pure math and model glue: tokenizer, schedulers, RNG, pipelines. Runs in Node and browsers alike.
 * @module
 */
export { ClipTokenizer, type TokenizerConfig } from './clip-tokenizer.ts';
export { SeededRandom, randomSeed } from './rng.ts';
export { EulerDiscreteScheduler, type SchedulerConfig } from './schedulers/euler-discrete.ts';
export { vaeOutputToImage, type RgbaImage } from './image.ts';
export type { Tensor, TensorData, ModelRunner } from './tensor.ts';
export {
  generateSdTurbo,
  type SdTurboModels,
  type GenerateRequest,
  type GenerateResult,
  type Stage,
} from './pipelines/sd-turbo.ts';
export { loadSdTurbo, readModelShape, pipelineFiles, REQUIRED_FILES, type RepoReader, type RunnerFactory, type ModelShape } from './load.ts';
