// The Node reference for flow-matching transformer stand-ins (Z-Image), as reference.ts is for
// Stable Diffusion: the pipeline code the app runs, on onnxruntime-web's wasm backend in Node,
// straight from the repo folder. The browser's images must match these.
import * as ort from 'onnxruntime-web';
import { generateFlowMatch, loadFlowMatchTransformer, type FlowMatchLoadOptions, type GenerateRequest } from '../../src/diffusion/index.ts';
import { runnerFactory, type Ort } from '../../src/runtime/session.ts';
import { folderReader } from './reference.ts';

ort.env.wasm.numThreads = 1;

/** The flow-matching model in `repoDir`, opened on the wasm backend in Node. */
export async function referenceFlowMatchModel(repoDir: string, opts: FlowMatchLoadOptions = {}) {
  return loadFlowMatchTransformer(await folderReader(repoDir), runnerFactory(ort as unknown as Ort, 'wasm'), opts);
}

/** Settings left out take the model's defaults, as in the app. */
export type ReferenceRequest = Partial<GenerateRequest> & { prompt: string; seed: number };

/** Generates with a fresh model and releases it; see {@link referenceFlowMatchModel}. */
export async function referenceFlowMatchImages(repoDir: string, req: ReferenceRequest) {
  const model = await referenceFlowMatchModel(repoDir);
  const d = model.description.defaults;
  try {
    return await generateFlowMatch(model, { steps: d.steps, guidanceScale: d.guidanceScale, width: d.size, height: d.size, ...req });
  } finally {
    await model.textEncoder.release();
    for (const r of [model.transformer, model.vaeDecoder]) await r.release();
  }
}
