// Errors across workers. comlink sends a thrown Error as its name, message and stack only, and
// the other side gets a plain Error. Here the error's own fields travel too (a gated repo's URL,
// a quota's needed/free bytes, an fp16 model's fp32 revision), and the receiving side rebuilds
// an instance of the registered class of that name, so `instanceof` works on both sides.
// The engine worker, onnxruntime's worker and the page each call `installErrorTransfer()`.
//
// This file imports nothing but comlink, so the page may import it directly: the runtime's
// door (index.ts) also reaches onnxruntime's worker, which the page must not build or load.
import { transferHandlers } from 'comlink';

/** Any error class; the registry rebuilds instances without calling its constructor. */
export type ErrorClass = abstract new (...args: never[]) => Error;

const registry = new Map<string, ErrorClass>();

/**
 * Makes errors named by the keys rebuild as instances of these classes when they arrive from
 * another worker. Each key must be the `name` its class's instances carry (class names do not
 * survive minification; the `name` fields and these keys do).
 */
export function registerErrors(classes: Record<string, ErrorClass>): void {
  for (const [name, cls] of Object.entries(classes)) registry.set(name, cls);
}

/** The classes registered so far, by name (for tests). */
export function registeredErrors(): ReadonlyMap<string, ErrorClass> {
  return registry;
}

/** An error as it crosses: plain data that structured cloning keeps. */
interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** The error's own fields (status, url, needed, fp32Revision, …). */
  data: Record<string, unknown>;
  /** A DOMException (AbortError, QuotaExceededError, …): rebuilt as one. */
  dom?: boolean;
}

type Thrown = { isError: true; value: WireError } | { isError: false; value: unknown };

/** The error's own fields that survive structured cloning (strings, numbers, booleans, plain data). */
export function errorData(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (key === 'message' || key === 'name' || key === 'stack' || typeof value === 'function') continue;
    try {
      out[key] = structuredClone(value);
    } catch {
      // not cloneable (e.g. a Response): leave it behind
    }
  }
  return out;
}

/** What crosses for a thrown value. */
export function errorToWire(value: unknown): Thrown {
  const dom = typeof DOMException !== 'undefined' && value instanceof DOMException;
  if (!dom && !(value instanceof Error)) return { isError: false, value };
  const err = value as Error;
  return { isError: true, value: { name: err.name, message: err.message, stack: err.stack, data: dom ? {} : errorData(err), dom } };
}

/** The error again, as an instance of its registered class (a plain Error when none is registered). */
export function errorFromWire(wire: WireError): Error {
  if (wire.dom) return new DOMException(wire.message, wire.name);
  const cls = registry.get(wire.name) ?? Error;
  // A real Error object (with its stack machinery) whose prototype is the class's, built
  // without running the class's constructor: its fields come from the wire.
  const err = Reflect.construct(Error, [wire.message], cls) as Error;
  Object.assign(err, wire.data);
  err.name = wire.name;
  if (wire.stack) err.stack = wire.stack;
  return err;
}

/** Makes comlink carry errors with their class and fields, both ways. Call once per context. */
export function installErrorTransfer(): void {
  const original = transferHandlers.get('throw')!;
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize: (thrown: unknown) => [errorToWire((thrown as { value: unknown }).value), []],
    deserialize: (wire: unknown) => {
      const t = wire as Thrown;
      throw t.isError ? errorFromWire(t.value) : t.value;
    },
  });
}

/** A model uses 16-bit floats and the GPU's WebGPU has no `shader-f16`: onnxruntime would fail with a shader error. */
export class Float16UnsupportedError extends Error {
  override name = 'Float16UnsupportedError';
  /** A branch of the repo with fp32 weights, when the engine found one. */
  fp32Revision?: string;
  constructor(readonly component: string) {
    super(
      `This model uses 16-bit floats (float16, in its ${component}), which this GPU's WebGPU does not offer (no “shader-f16”). ` +
        'Run it on the CPU backend instead (slow), or use an fp32 revision of the model if the repo has one.',
    );
  }
}

/** A model file or model that onnxruntime-web cannot hold in wasm32's 4 GB. */
export class ModelTooLargeError extends Error {
  override name = 'ModelTooLargeError';
  constructor(readonly component: string, readonly bytes: number, what: string) {
    super(
      `The ${component} model ${what} ${(bytes / 1e9).toFixed(2)} GB, more than the 4 GB (4.29 GB) a WebAssembly memory can hold, ` +
        'which is where onnxruntime-web reads it. A model in smaller files, or an fp16 version of it, would load.',
    );
  }
}

registerErrors({ Float16UnsupportedError, ModelTooLargeError });
