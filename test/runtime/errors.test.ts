import { transferHandlers } from 'comlink';
import { describe, expect, it } from 'vitest';
import { errorData, Float16UnsupportedError, installErrorTransfer, ModelTooLargeError } from '../../src/runtime/errors.ts';

/** What one side throws, as the other side receives it: serialized, structured-cloned, rebuilt. */
function across(thrown: unknown): unknown {
  installErrorTransfer();
  const handler = transferHandlers.get('throw')!;
  const [wire] = handler.serialize({ value: thrown } as never) as [unknown, Transferable[]];
  try {
    handler.deserialize(structuredClone(wire));
  } catch (received) {
    return received;
  }
  throw new Error('deserialize did not throw');
}

describe('errors cross the worker boundary as instances of their class', () => {
  it('rebuilds a registered class with its message, fields and stack; drops what cannot be cloned', () => {
    const err = new Float16UnsupportedError('unet');
    err.fp32Revision = 'fp32';
    Object.assign(err, { status: 403, response: { json: () => 1 }, port: new MessageChannel().port1 });
    const received = across(err) as Float16UnsupportedError & Record<string, unknown>;
    expect(received).toBeInstanceOf(Float16UnsupportedError);
    expect(received).toBeInstanceOf(Error);
    expect(received.name).toBe('Float16UnsupportedError');
    expect(received.message).toBe(err.message);
    expect(received.fp32Revision).toBe('fp32');
    expect(received.component).toBe('unet');
    expect(received.status).toBe(403);
    expect(received.port).toBeUndefined();
    expect(received.stack).toBe(err.stack);
    expect(across(new ModelTooLargeError('unet', 5e9, 'is'))).toMatchObject({ constructor: ModelTooLargeError, bytes: 5e9 });
  });

  it('an unregistered error arrives as an Error with its name and fields', () => {
    const received = across(Object.assign(new RangeError('odd'), { name: 'SomethingElseError', code: 7 })) as Error & { code: number };
    expect(received.constructor).toBe(Error);
    expect([received.name, received.message, received.code]).toEqual(['SomethingElseError', 'odd', 7]);
    expect(errorData(new Error('plain'))).toEqual({});
  });

  it('a DOMException (a cancelled call) arrives as a DOMException of the same name', () => {
    const received = across(new DOMException('Cancelled', 'AbortError'));
    expect(received).toBeInstanceOf(DOMException);
    expect(received).toMatchObject({ name: 'AbortError', message: 'Cancelled' });
  });

  it('a thrown value that is not an error arrives as it was', () => {
    expect(across('pause')).toBe('pause');
    expect(across({ reason: 1 })).toEqual({ reason: 1 });
  });
});
