// The engine's module worker: everything heavy (network, storage, onnxruntime) happens here.
import { expose, releaseProxy, transfer } from 'comlink';
import type { EngineApi } from './api.ts';
import { Engine } from './engine.ts';
import './errors.ts'; // registers the engine's error classes
import { installErrorTransfer } from '../runtime/index.ts';
import type { GeneratedImages } from './types.ts';

/** The page's callbacks arrive as comlink proxies, each holding a MessagePort until released. */
function releaseProxies(args: unknown[]): void {
  for (const arg of args) {
    const release = arg && (typeof arg === 'object' || typeof arg === 'function') ? (arg as { [releaseProxy]?: unknown })[releaseProxy] : undefined;
    if (typeof release === 'function') release();
  }
}

/** What a result hands over instead of copying: the generated pixels. */
const transferables: Partial<Record<keyof EngineApi, (result: never) => Transferable[]>> = {
  generate: (r: GeneratedImages) => [...new Set(r.images.map((i) => i.image.data.buffer as ArrayBuffer))],
};

/** Every method of the engine, each releasing the proxies it was given once its call settles. */
function exposed(engine: Engine): EngineApi {
  return new Proxy(engine, {
    get(target, key, receiver) {
      const member: unknown = Reflect.get(target, key, receiver);
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) => {
        try {
          const result = await member.apply(target, args);
          const give = transferables[key as keyof EngineApi];
          return give ? transfer(result, give(result as never)) : result;
        } finally {
          releaseProxies(args);
        }
      };
    },
  });
}

installErrorTransfer();
expose(exposed(new Engine()));
