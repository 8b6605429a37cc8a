// The engine's module worker: everything heavy (network, storage, onnxruntime) happens here.
import { expose, transfer } from 'comlink';
import { Engine } from './engine.ts';

class WorkerEngine extends Engine {
  // Hand the pixels over instead of copying them.
  override async generate(...args: Parameters<Engine['generate']>) {
    const result = await super.generate(...args);
    return transfer(result, [result.image.data.buffer]);
  }
}

expose(new WorkerEngine());
