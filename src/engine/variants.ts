// Which variant of a repo to download and open (webnn's flat onnx/ folders offer q4f16, qdq_q4f16,
// f16, fp32 …; folder layouts have one), from the listing kept in the manifest: the person's
// choice, else what this device's backend runs well (diffusion's chooseVariant). A manifest
// keeps every variant's files; the chosen variant's part of it is what is made complete.
import { chooseVariant, describeLayout, pipelineFiles, variantById, type RepoLayout } from '../diffusion/index.ts';
import type { RepoFile } from '../hub/index.ts';
import type { BackendChoice } from '../runtime/index.ts';
import type { Manifest } from './manifest.ts';
import type { VariantInfo } from './types.ts';

/** The repo's layout, from the files its manifest lists (with their sizes). */
export function layoutOf(manifest: Pick<Manifest, 'files'>): RepoLayout {
  return describeLayout(manifest.files.map((f) => ({ path: f.path, size: f.size >= 0 ? f.size : undefined })));
}

/**
 * The variant to use: `requested` when the person chose one (`''` is the plain one; a clear
 * error when the repo has no such variant), else the one `target` runs well: no fp16 files on a GPU without shader-f16,
 * MatMulNBits int4 on WebGPU and the CPU, QDQ on WebNN.
 */
export function pickVariant(manifest: Pick<Manifest, 'files'>, requested: string | undefined, target: BackendChoice): string {
  const layout = layoutOf(manifest);
  if (requested !== undefined) return variantById(layout, requested).id;
  return chooseVariant(layout, { backend: target.backend, shaderF16: target.shaderF16 }).id;
}

/** The part of a manifest one variant uses: its model files and external data, configs, tokenizers. */
export function forVariant(manifest: Manifest, variant: string): Manifest & { variant: string } {
  const wanted = new Set(pipelineFiles(manifest.files.map((f) => f.path), variant || undefined));
  return { ...manifest, files: manifest.files.filter((f) => wanted.has(f.path)), variant };
}

/** The id and label of the variant a narrowed manifest holds (folder layouts: the plain one, "as exported"). */
export function variantNamed(manifest: Manifest & { variant?: string }): { id: string; label: string } {
  const id = manifest.variant ?? '';
  const v = layoutOf(manifest).variants.find((x) => x.id === id);
  return { id, label: v?.label ?? (id || 'as exported') };
}

const bytesOf = (files: RepoFile[]) => files.reduce((s, f) => s + Math.max(0, f.size), 0);

/** Every variant of the repo as the page offers them: size to download, precision, and whether it runs on `target`. */
export function listedVariants(manifest: Manifest, target?: BackendChoice): VariantInfo[] {
  const layout = layoutOf(manifest);
  return layout.variants.map((v) => {
    const files = forVariant(manifest, v.id).files;
    const weights = layout.kind === 'flat' ? v.label : precisionFromSize(manifest.files, layout);
    const needsF16 = target?.backend === 'webgpu' && !target.shaderF16 && v.float16;
    return {
      id: v.id,
      label: v.label,
      bytes: bytesOf(files),
      float16: v.float16,
      ...(weights && { weights }),
      runsHere: !needsF16,
      ...(needsF16 && { note: 'fp16 files: this GPU’s WebGPU has no shader-f16 (the CPU backend runs them)' }),
    };
  });
}

// UNet parameter counts (diffusers' UNet2DConditionModel): SD 1.x 859.5 M, SD 2.x 865.9 M
// (SD-Turbo, LCM Dreamshaper v7 share these), SDXL 2567 M. Bytes per parameter give the weights'
// precision when the file names do not say: ~2 is fp16, ~4 is fp32.
const UNET_PARAMETERS = { sd: 862e6, sdxl: 2567e6 };

/**
 * What a folder layout's weights are, judged from its UNet's size (its files' names never say):
 * `fp16 weights (by size)` or `fp32 weights (by size)`; undefined for any other size (a stand-in,
 * an int8 export, an architecture not in the table).
 */
export function precisionFromSize(files: readonly RepoFile[], layout: RepoLayout): string | undefined {
  const variant = layout.variants[0];
  const unet = variant?.models.unet;
  if (!variant || !unet) return undefined;
  const dir = unet.slice(0, unet.lastIndexOf('/') + 1);
  const unetBytes = bytesOf(files.filter((f) => f.path.startsWith(dir)));
  const perParameter = unetBytes / (variant.models.text_encoder_2 ? UNET_PARAMETERS.sdxl : UNET_PARAMETERS.sd);
  if (perParameter >= 1.7 && perParameter <= 2.4) return 'fp16 weights (by size)';
  if (perParameter >= 3.5 && perParameter <= 4.7) return 'fp32 weights (by size)';
  return undefined;
}

/**
 * The files of a cached commit to export: the shared ones and every variant complete in the
 * cache; all of them when no variant is (so the export names what is missing).
 */
export function exportableFiles(manifest: Manifest, stored: (path: string) => boolean): RepoFile[] {
  const complete = layoutOf(manifest).variants.filter((v) => forVariant(manifest, v.id).files.every((f) => stored(f.path)));
  if (!complete.length) return manifest.files;
  const keep = new Set(complete.flatMap((v) => forVariant(manifest, v.id).files.map((f) => f.path)));
  return manifest.files.filter((f) => keep.has(f.path));
}
