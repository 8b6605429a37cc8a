// A flat onnx/ repo with two variants, for the variant choice: webnn/sdxl-turbo's stand-in
// (`*_model_q4f16.onnx`: int4 weights, fp16 I/O) plus plain `*_model.onnx` files of the same
// components with fp32 weights and I/O, as transformers.js-style repos name their fp32 files.
// Whether webnn/sdxl-turbo itself has fp32 files is not established (its demo loads q4f16 and
// qdq_q4f16); this is the layout a repo offering both would have.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { sdxlTurboWebnn } from '../../tools/tiny-model/families-sdxl.ts';
import { DataType } from '../../tools/tiny-model/onnx-writer.ts';
import { repoParts } from '../../tools/tiny-model/repo-files.ts';
import { ensureTinyModel, FAMILIES } from '../../tools/tiny-model/tiny-model.ts';
import { HUB_ROOT } from './e2e-context.ts';

const fp32 = <T extends object>(opts: T): T => ({ ...opts, io: DataType.FLOAT, compute: DataType.FLOAT, quantize: undefined });
const plain = (file: string) => file.replace(/_q4f16\.onnx$/, '.onnx');

/** The fp32 variant's model files (`onnx/<component>_model.onnx`), written into `repoDir`. */
export async function addFp32FlatVariant(repoDir: string): Promise<string[]> {
  const spec = sdxlTurboWebnn();
  const variant = {
    ...spec,
    text: { ...spec.text, file: plain(spec.text.file), opts: fp32(spec.text.opts) },
    text2: { ...spec.text2!, file: plain(spec.text2!.file), opts: fp32(spec.text2!.opts) },
    unet: { ...spec.unet, file: plain(spec.unet.file), opts: { ...fp32(spec.unet.opts), timestep: { ...spec.unet.opts.timestep!, type: DataType.FLOAT } } },
    vaeDecoder: { ...spec.vaeDecoder, file: plain(spec.vaeDecoder.file), opts: fp32(spec.vaeDecoder.opts) },
    helpers: [],
  };
  const models = repoParts('sdxl-turbo-webnn', 0, variant).filter((part) => part.paths.every((p) => /^onnx\/\w+_model\.onnx$/.test(p)));
  for (const part of models) await part.write(repoDir);
  return models.flatMap((part) => part.paths);
}

/** webnn/sdxl-turbo's stand-in with an fp32 variant beside its q4f16 one, as repo `repo` under `root`. */
export async function twoVariantRepo(root: string, repo: string): Promise<string> {
  const dir = join(root, repo);
  await cp(await ensureTinyModel(HUB_ROOT, FAMILIES['sdxl-turbo-webnn'].repo, { family: 'sdxl-turbo-webnn' }), dir, { recursive: true });
  await addFp32FlatVariant(dir);
  return dir;
}
