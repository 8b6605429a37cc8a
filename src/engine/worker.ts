// The engine's module worker: everything heavy (network, storage, onnxruntime) happens here.
import { expose, releaseProxy, transfer } from 'comlink';
import { Engine } from './engine.ts';
import { sendErrorDetails } from '../runtime/error-details.ts';
import type { EngineEvent } from './types.ts';

type Callback = ((e: EngineEvent) => void) & { [releaseProxy]?: () => void };

/** The page's progress callbacks arrive as comlink proxies: each holds a MessagePort until released. */
async function thenRelease<T>(onEvent: Callback | undefined, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    onEvent?.[releaseProxy]?.();
  }
}

class WorkerEngine extends Engine {
  override prepare(...args: Parameters<Engine['prepare']>) {
    return thenRelease(args[1] as Callback, super.prepare(...args));
  }

  override warmUp(...args: Parameters<Engine['warmUp']>) {
    return thenRelease(args[1] as Callback, super.warmUp(...args));
  }

  override download(...args: Parameters<Engine['download']>) {
    return thenRelease(args[1] as Callback, super.download(...args));
  }

  // Hand the pixels over instead of copying them.
  override async generate(...args: Parameters<Engine['generate']>) {
    const result = await thenRelease(args[2] as Callback, super.generate(...args));
    return transfer(result, [...new Set(result.images.map((i) => i.image.data.buffer as ArrayBuffer))]);
  }
}

sendErrorDetails();
expose(new WorkerEngine());
