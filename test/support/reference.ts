import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import { generate, loadStableDiffusion, type GenerateRequest, type LoadOptions, type RepoReader } from '../../src/diffusion/index.ts';
import { runnerFactory, type Ort } from '../../src/runtime/session.ts';

ort.env.wasm.numThreads = 1;

/** A repo folder on disk as the pipeline reads it. */
export async function folderReader(dir: string): Promise<RepoReader> {
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else files.push(relative(dir, join(d, e.name)).split('\\').join('/'));
    }
  };
  await walk(dir);
  return {
    files,
    readText: (p) => readFile(join(dir, p), 'utf8'),
    readBytes: async (p) => new Uint8Array(await readFile(join(dir, p))),
  };
}

/** The model in `repoDir`, opened on onnxruntime-web's wasm backend in Node (`load`: e.g. which variant). */
export async function referenceModel(repoDir: string, load: LoadOptions = {}) {
  return loadStableDiffusion(await folderReader(repoDir), runnerFactory(ort as unknown as Ort, 'wasm'), load);
}

/**
 * The reference images: the same pipeline code the app runs, on onnxruntime-web's wasm
 * backend in Node, straight from the repo folder. The browser's images must match them.
 * Settings left out take the model's defaults, as in the app.
 */
export async function referenceImages(repoDir: string, req: Partial<GenerateRequest> & { prompt: string; seed: number }, load: LoadOptions = {}) {
  const model = await referenceModel(repoDir, load);
  const d = model.description.defaults;
  try {
    return await generate(model, { steps: d.steps, guidanceScale: d.guidanceScale, width: d.size, height: d.size, ...req });
  } finally {
    for (const r of [model.textEncoder, model.textEncoder2, model.unet, model.vaeDecoder, model.vaeEncoder]) await r?.release();
  }
}

/** The first reference image (see `referenceImages`). */
export async function referenceImage(repoDir: string, req: Partial<GenerateRequest> & { prompt: string; seed: number }, load: LoadOptions = {}) {
  const out = await referenceImages(repoDir, req, load);
  return { ...out, image: out.images[0].image };
}
