import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import { generateSdTurbo, loadSdTurbo, type GenerateRequest, type RepoReader } from '../../src/diffusion/index.ts';
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

/**
 * The reference image: the same pipeline code the app runs, on onnxruntime-web's wasm
 * backend in Node, straight from the repo folder. The browser's WebGPU image must match it.
 */
export async function referenceImage(repoDir: string, req: Omit<GenerateRequest, 'width' | 'height'> & { width?: number; height?: number }) {
  const models = await loadSdTurbo(await folderReader(repoDir), runnerFactory(ort as unknown as Ort, 'wasm'));
  const size = models.shape.defaultSize;
  return generateSdTurbo(models, { width: size, height: size, ...req });
}
