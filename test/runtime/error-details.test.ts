import { transferHandlers } from 'comlink';
import { describe, expect, it } from 'vitest';
import { errorData, sendErrorDetails } from '../../src/runtime/error-details.ts';
import { Float16UnsupportedError } from '../../src/runtime/session.ts';

describe('errors cross the worker boundary with their data', () => {
  it('keeps the name, message and own cloneable fields; drops what cannot be cloned', () => {
    sendErrorDetails();
    const handler = transferHandlers.get('throw')!;
    const err = new Float16UnsupportedError('unet');
    err.fp32Revision = 'fp32';
    Object.assign(err, { status: 403, response: { json: () => 1 }, port: new MessageChannel().port1 });
    const [wire] = handler.serialize({ value: err } as never) as [unknown, Transferable[]];
    // What arrives in the page: structured-cloned, then turned back into an Error by comlink.
    let received: any;
    try {
      handler.deserialize(structuredClone(wire));
    } catch (e) {
      received = e;
    }
    expect(received).toBeInstanceOf(Error);
    expect(received.name).toBe('Float16UnsupportedError');
    expect(received.message).toContain('16-bit floats');
    expect(received.fp32Revision).toBe('fp32');
    expect(received.component).toBe('unet');
    expect(received.status).toBe(403);
    expect(received.port).toBeUndefined();
    expect(errorData(new Error('plain'))).toEqual({});
  });
});
