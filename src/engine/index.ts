/**
 * The page's door to the engine. Only the client and types are exported here, so importing
 * this module never pulls onnxruntime into the page; the worker loads it.
 */
export { EngineClient } from './client.ts';
export type * from './types.ts';
