import { transferHandlers } from 'comlink';
import { describe, expect, it } from 'vitest';
import { explainError, QuotaError } from '../../src/engine/errors.ts';
import { GatedRepoError, HubUnreachableError, InvalidTokenError, RepoNotFoundError } from '../../src/hub/index.ts';
import { NonFiniteError } from '../../src/diffusion/index.ts';
import { Float16UnsupportedError, installErrorTransfer, registeredErrors } from '../../src/runtime/errors.ts';

/** What the engine throws, as the page receives it. */
function across(thrown: unknown): unknown {
  installErrorTransfer();
  const handler = transferHandlers.get('throw')!;
  const [wire] = handler.serialize({ value: thrown } as never) as [unknown, Transferable[]];
  try {
    handler.deserialize(structuredClone(wire));
  } catch (received) {
    return received;
  }
}

describe('the engine error registry', () => {
  it('registers each class under the name its instances carry (what crosses the boundary)', () => {
    const registry = registeredErrors();
    expect([...registry.keys()]).toEqual(expect.arrayContaining(['GatedRepoError', 'InvalidTokenError', 'RepoNotFoundError', 'HubUnreachableError', 'QuotaError', 'NonFiniteError', 'Float16UnsupportedError', 'ModelTooLargeError']));
    for (const [name, cls] of registry) {
      const instance = new (cls as unknown as new (...a: unknown[]) => Error)('message', 0, undefined, '');
      expect(instance.name, `the class registered as ${name}`).toBe(name);
    }
  });

  it('the page tells errors apart with instanceof after the crossing', () => {
    expect(across(new GatedRepoError('gated', 401, 'GatedRepo', 'u'))).toBeInstanceOf(GatedRepoError);
    expect(across(new NonFiniteError('unet'))).toMatchObject({ constructor: NonFiniteError, stage: 'unet' });
    expect(across(new QuotaError('full', 10, 2))).toMatchObject({ constructor: QuotaError, needed: 10, free: 2 });
  });
});

describe('explainError: what the page shows and offers', () => {
  it('gives each kind of error its next step and the data for it', () => {
    expect(explainError(across(new GatedRepoError('This model is gated', 401, 'GatedRepo', 'u')))).toEqual({ kind: 'gated', name: 'GatedRepoError', message: 'This model is gated' });
    expect(explainError(across(new QuotaError('No room', 50, 10)))).toEqual({ kind: 'quota', name: 'QuotaError', message: 'No room', needed: 50, free: 10 });
    const f16 = Object.assign(new Float16UnsupportedError('unet'), { fp32Revision: 'fp32' });
    expect(explainError(across(f16))).toMatchObject({ kind: 'float16', fp32Revision: 'fp32' });
    expect(explainError(across(new HubUnreachableError('down', 0, undefined, 'u'))).kind).toBe('hub-unreachable');
    expect(explainError(across(new InvalidTokenError('bad', 401, undefined, 'u'))).kind).toBe('invalid-token');
    expect(explainError(across(new RepoNotFoundError('none', 404, 'RepoNotFound', 'u'))).kind).toBe('repo-not-found');
  });

  it('a cancelled call says what was kept; anything else keeps its own words', () => {
    expect(explainError(across(new DOMException('Cancelled', 'AbortError')))).toEqual({
      kind: 'cancelled', name: 'AbortError', message: 'Cancelled. Downloaded bytes are kept; the next attempt continues from there.',
    });
    expect(explainError(across(new TypeError('odd')))).toEqual({ kind: 'other', name: 'TypeError', message: 'odd' });
    expect(explainError('a string')).toEqual({ kind: 'other', name: 'Error', message: 'a string' });
  });
});
