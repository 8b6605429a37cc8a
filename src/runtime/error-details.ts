import { transferHandlers } from 'comlink';

/**
 * comlink sends a thrown Error to the page as its name, message and stack only. This makes it
 * send the error's own data too (a gated repo's URL, a quota's needed/free bytes, an fp16
 * model's fp32 revision), so the page can offer the next step instead of parsing words.
 * Call once in the worker; the page needs nothing (comlink copies the fields onto the Error).
 */
export function sendErrorDetails(): void {
  const original = transferHandlers.get('throw')!;
  transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize(thrown: unknown) {
      const [wire, transfer] = original.serialize(thrown) as [{ isError: boolean; value: Record<string, unknown> }, Transferable[]];
      const err = (thrown as { value: unknown }).value;
      if (wire.isError && err instanceof Error) Object.assign(wire.value, errorData(err));
      return [wire, transfer];
    },
    deserialize: original.deserialize,
  });
}

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
