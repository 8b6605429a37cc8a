/**
 * The diffusion studio's engine as a library: use it without our UI.
 *
 * ```ts
 * import { EngineClient } from './src/index.ts';
 * const engine = new EngineClient();   // starts the engine's Web Worker
 * const out = await engine.generate(
 *   { hubUrl: 'https://huggingface.co', model: 'schmuell/sd-turbo-ort-web', revision: 'main' },
 *   { prompt: 'a lighthouse at dawn', seed: 42, steps: 1 },
 *   (event) => console.log(event),     // download and stage progress
 * );
 * // out.images[0].image: { width, height, data: RGBA bytes }
 * ```
 *
 * Errors keep their class across the worker (`err instanceof hub.GatedRepoError`), and
 * `explainError(err)` says what a page should show and offer for one.
 *
 * @packageDocumentation
 */
export { EngineClient, explainError, QuotaError, Float16UnsupportedError, ModelTooLargeError } from './engine/index.ts';
export type * from './engine/index.ts';
export * as hub from './hub/index.ts';
export * as cache from './cache/index.ts';
export * as diffusion from './diffusion/index.ts';
