import { openAsBlob } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { runnerFactory, type Ort } from './src/runtime/session.ts';
import { externalizeInitializers } from './src/runtime/onnx-skeleton.ts';
ort.env.wasm.numThreads = 1;
const blob = await openAsBlob('.cache/hub-root/tiny/sd-turbo-big/unet/model.onnx');
let t0 = performance.now();
const sk = await externalizeInitializers(blob, 'x');
console.log('skeleton', Math.round(performance.now() - t0), 'ms', sk.model.length, 'bytes', sk.externalBytes);
t0 = performance.now();
const bytes = new Uint8Array(await blob.arrayBuffer());
console.log('read whole', Math.round(performance.now() - t0), 'ms');
t0 = performance.now();
const s = await ort.InferenceSession.create(sk.model, { executionProviders: ['wasm'], enableMemPattern: false, enableCpuMemArena: false, externalData: [{ path: 'x', data: bytes }] });
console.log('wasm session (skeleton)', Math.round(performance.now() - t0), 'ms');
await s.release();
for (const level of ['disabled', 'all'] as const) {
  t0 = performance.now();
  const s2 = await ort.InferenceSession.create(sk.model, { executionProviders: ['wasm'], graphOptimizationLevel: level, enableMemPattern: false, enableCpuMemArena: false, externalData: [{ path: 'x', data: bytes }] });
  console.log('wasm session opt', level, Math.round(performance.now() - t0), 'ms');
  await s2.release();
}
