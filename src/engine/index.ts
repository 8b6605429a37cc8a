/**
 * The page's door to the engine. Only the client, its interface, the error classes and types
 * are exported here, so importing this module never pulls onnxruntime into the page; the
 * worker loads it.
 */
export { EngineClient } from './client.ts';
export { explainError, QuotaError, Float16UnsupportedError, ModelTooLargeError, type ExplainedError } from './errors.ts';
export type * from './api.ts';
export type * from './types.ts';
