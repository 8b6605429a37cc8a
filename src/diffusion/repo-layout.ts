// Where a repo keeps its ONNX components, and in which variants. Two layouts are met on the Hub:
// - folders (diffusers, optimum, ORT web exports): `unet/model.onnx` (or the folder's only .onnx,
//   e.g. microsoft/sd-turbo-webnn's `model_layernorm.onnx`), external data beside it;
// - flat (webnn/sdxl-turbo, webnn/Z-Image-Turbo, transformers.js style): one `onnx/` folder of
//   `<component>_model[_<variant>].onnx` files, e.g. `unet_model_q4f16.onnx`, with external data in
//   `<file>_data`, `<file>_data_1`, … (ort-web-perf's chunker names them so). Helper graphs there
//   (`concat_model_f16.onnx`, `latents_model_f16.onnx`, `scheduler_model_f16.onnx`, Z-Image's
//   `scheduler_step_model_f16.onnx` and `vae_pre_process_model_f16.onnx`, safety checker)
//   are not components: the pipeline does their work itself, so they are neither listed nor fetched.
// The denoiser says which pipeline runs the repo: a UNet (Stable Diffusion) or a transformer
// (flow matching: Z-Image-Turbo's `transformer_model_q4f16.onnx`); variants are named after it.

/**
 * The ONNX components a repo may have: `text_encoder_2` is SDXL's, `vae_encoder` is img2img's;
 * `unet` is Stable Diffusion's denoiser, `transformer` a flow-matching model's (Z-Image-Turbo).
 */
export const COMPONENTS = ['text_encoder', 'text_encoder_2', 'unet', 'transformer', 'vae_decoder', 'vae_encoder'] as const;
/** One of {@link COMPONENTS}. */
export type Component = (typeof COMPONENTS)[number];

/** Which pipeline runs a repo: Stable Diffusion's (a UNet) or the flow-matching transformer's (a transformer and no UNet). */
export type PipelineKind = 'stable-diffusion' | 'flow-match-transformer';
const REQUIRED: Record<PipelineKind, Component[]> = {
  'stable-diffusion': ['text_encoder', 'unet', 'vae_decoder'],
  'flow-match-transformer': ['text_encoder', 'transformer', 'vae_decoder'],
};
/** A chat model's text encoder brings its own tokenizer: there is no shipped one to fall back on. */
const FLOW_MATCH_TOKENIZER = 'tokenizer/tokenizer.json';

/** A file of a repo, with its size when the listing gives one. */
export interface RepoFileInfo {
  path: string;
  size?: number;
}

/** One way to run the repo: which ONNX file each component opens. */
export interface ModelVariant {
  /** The name suffix (`q4f16`, `qdq_q4f16`, `f16`, …), `''` for plain names (`model.onnx`). */
  id: string;
  /** In words, for the page: `int4 weights (MatMulNBits), fp16`, … */
  label: string;
  /** The model file of each component present in this variant. */
  models: Partial<Record<Component, string>>;
  /** Every file this variant needs: models and their external data. */
  files: string[];
  /** Bytes of `files`, when the listing gave every size. */
  bytes?: number;
  /** Its names say fp16 (f16, fp16, q4f16): WebGPU then needs `shader-f16`. `false` when the names do not say. */
  float16: boolean;
}

/** What a repo's file list says about its components. */
export interface RepoLayout {
  kind: 'folders' | 'flat';
  /** Every variant found, the plain one first; folders have exactly one. */
  variants: ModelVariant[];
}

const FLAT = /^onnx\/(text_encoder_2|text_encoder|unet|transformer|vae_decoder|vae_encoder)_model(?:_([\w.-]+?))?\.onnx$/;
const CONFIG_FILES = ['model_index.json', 'scheduler/scheduler_config.json'];
const TOKENIZER_DIRS = ['tokenizer/', 'tokenizer_2/'];
const ROOT_TOKENIZER = ['tokenizer.json', 'tokenizer_config.json'];

const pathOf = (f: string | RepoFileInfo) => (typeof f === 'string' ? f : f.path);

/** The component's ONNX file in a folder layout: `model.onnx`, else the only `.onnx` file in its folder. */
export function componentModelPath(files: readonly string[], component: string): string | undefined {
  if (files.includes(`${component}/model.onnx`)) return `${component}/model.onnx`;
  const onnx = files.filter((p) => p.startsWith(`${component}/`) && p.endsWith('.onnx') && !p.slice(component.length + 1).includes('/'));
  return onnx.length === 1 ? onnx[0] : undefined;
}

/** The repo's layout and variants, from its file list (sizes, when given, are summed per variant). */
export function describeLayout(listing: readonly (string | RepoFileInfo)[]): RepoLayout {
  const paths = listing.map(pathOf);
  const sizes = new Map(listing.filter((f): f is RepoFileInfo => typeof f !== 'string').map((f) => [f.path, f.size]));
  const withBytes = (v: Omit<ModelVariant, 'bytes'>): ModelVariant => {
    const all = v.files.map((f) => sizes.get(f));
    return all.every((s) => typeof s === 'number') && all.length ? { ...v, bytes: (all as number[]).reduce((a, b) => a + b, 0) } : v;
  };
  const flat = new Map<Component, Map<string, string>>(); // component → variant id → file
  for (const p of paths) {
    const m = FLAT.exec(p);
    if (!m) continue;
    const component = m[1] as Component;
    if (!flat.has(component)) flat.set(component, new Map());
    flat.get(component)!.set(m[2] ?? '', p);
  }
  // Variants are the denoiser's: every other component is matched to its precision.
  const denoiser = flat.get('unet') ?? flat.get('transformer');
  if (!denoiser) {
    const models: Partial<Record<Component, string>> = {};
    for (const c of COMPONENTS) {
      const model = componentModelPath(paths, c);
      if (model) models[c] = model;
    }
    // A folder's every file goes with its model: external data is named by the model itself (weights.pb, model.onnx_data, …).
    const files = paths.filter((p) => Object.keys(models).some((c) => p.startsWith(`${c}/`)));
    return { kind: 'folders', variants: [withBytes({ id: '', label: 'as exported', models, files, float16: false })] };
  }
  const ids = [...denoiser.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
  const variants = ids.map((id) => {
    const models: Partial<Record<Component, string>> = {};
    for (const [component, byId] of flat) {
      const file = byId.get(id) ?? byId.get(id.replace(/^qdq_/, '')) ?? (byId.size === 1 ? [...byId.values()][0] : undefined) ?? closest(byId, id);
      if (file) models[component] = file;
    }
    const files = Object.values(models).flatMap((m) => [m, ...flatExternalData(m, paths)]);
    return withBytes({ id, label: variantLabel(id), models, files, float16: /fp?16/.test(id) });
  });
  return { kind: 'flat', variants };
}

/** A flat folder's external data files of `model`: `<file>_data`, `<file>_data_1`, … or `<file>.data`. */
const flatExternalData = (model: string, paths: readonly string[]) => paths.filter((p) => p.startsWith(`${model}_data`) || p === `${model}.data`);

/** A component's file in another precision when the variant's own is missing: fp16 before the rest, then the plain one. */
function closest(byId: Map<string, string>, id: string): string | undefined {
  const order = [/fp?16/.test(id) ? 'f16' : '', 'fp16', 'f16', '', ...byId.keys()];
  for (const o of order) if (byId.has(o)) return byId.get(o);
  return undefined;
}

/** A variant id in words. */
export function variantLabel(id: string): string {
  const qdq = id.startsWith('qdq_');
  const rest = qdq ? id.slice(4) : id;
  const float = /fp?16/.test(rest) ? 'fp16' : 'fp32';
  if (rest.startsWith('q4') || rest === 'int4' || rest === 'bnb4') return `int4 weights (${qdq ? 'QDQ' : 'MatMulNBits'}), ${float}`;
  if (/^(q8|int8|uint8|quantized)$/.test(rest)) return `int8 weights${qdq ? ' (QDQ)' : ''}`;
  if (rest === '' || rest === 'fp32') return 'fp32';
  return /^f(p)?16$/.test(rest) ? 'fp16' : rest;
}

/** What the variant choice needs to know about where the model will run. */
export interface RunTarget {
  backend: 'webgpu' | 'wasm' | 'webnn';
  /** Whether WebGPU offers `shader-f16` (ignored elsewhere). */
  shaderF16?: boolean;
}

/**
 * The variant to open on `target`, from what onnxruntime-web's providers run well: on WebGPU
 * with shader-f16 the MatMulNBits int4 files (webnn's demo: "WebGPU EP does not support INT4 QDQ
 * model well yet"), then fp16, fp32; without shader-f16 fp32 first (fp16 would fail in the
 * shader compiler); on WebNN the QDQ files (the demo's default there); on the CPU the smallest
 * (int4 keeps SDXL inside wasm32's 4 GB).
 */
export function chooseVariant(layout: RepoLayout, target: RunTarget): ModelVariant {
  const rank = (v: ModelVariant): number => {
    const qdq = v.id.startsWith('qdq_');
    const int4 = /^(qdq_)?(q4|int4|bnb4)/.test(v.id);
    if (target.backend === 'webnn') return qdq ? 0 : int4 ? 1 : v.float16 ? 2 : 3;
    if (target.backend === 'wasm') return int4 && !qdq ? 0 : int4 ? 1 : v.float16 ? 3 : 2;
    if (!target.shaderF16) return !v.float16 ? (int4 ? 1 : 0) : qdq ? 3 : 2;
    return int4 && !qdq ? 0 : v.float16 ? 1 : !qdq ? 2 : 3;
  };
  return [...layout.variants].sort((a, b) => rank(a) - rank(b))[0]!;
}

/** The variant with this id, or the first when `id` is undefined; a clear error for an id the repo lacks. */
export function variantById(layout: RepoLayout, id?: string): ModelVariant {
  if (id === undefined) return layout.variants[0]!;
  const v = layout.variants.find((x) => x.id === id);
  if (!v) throw new Error(`This repo has no “${id}” variant (it has ${layout.variants.map((x) => x.id || 'the plain one').join(', ')}).`);
  return v;
}

/**
 * Bytes each component of the variant opens: its graph and external data (a flat folder's
 * `<file>_data*` shards, or a component folder's every file). Files without a size count 0.
 */
export function componentBytes(listing: readonly RepoFileInfo[], variant?: string): Partial<Record<Component, number>> {
  const layout = describeLayout(listing);
  const v = variantById(layout, variant);
  const bytes: Partial<Record<Component, number>> = {};
  for (const [component, model] of Object.entries(v.models) as [Component, string][]) {
    const paths = listing.map((f) => f.path);
    const files = new Set(layout.kind === 'flat' ? [model, ...flatExternalData(model, paths)] : paths.filter((p) => p.startsWith(`${component}/`) && !p.endsWith('/config.json')));
    bytes[component] = listing.filter((f) => files.has(f.path)).reduce((sum, f) => sum + (f.size ?? 0), 0);
  }
  return bytes;
}

/** Which pipeline runs the repo, from its file list: the flow-matching transformer's when it has a transformer and no UNet. */
export function pipelineKind(files: readonly string[]): PipelineKind {
  const models = describeLayout(files).variants[0]?.models ?? {};
  return models.transformer && !models.unet ? 'flow-match-transformer' : 'stable-diffusion';
}

/** Why a repo's file list cannot be run by this app (the missing paths), or `[]` when it can. */
export function missingFiles(files: readonly string[], variant?: string): string[] {
  const layout = describeLayout(files);
  const v = variantById(layout, variant);
  const kind = pipelineKind(files);
  const missing = REQUIRED[kind].filter((c) => !v.models[c]).map((c) => (layout.kind === 'flat' ? `onnx/${c}_model.onnx` : `${c}/model.onnx`));
  return kind === 'flow-match-transformer' && !files.includes(FLOW_MATCH_TOKENIZER) ? [FLOW_MATCH_TOKENIZER, ...missing] : missing;
}

/**
 * The files of a repo the pipeline uses: configs, tokenizers, and the chosen variant's ONNX
 * files with their external data (default: the first variant). Other variants, helper graphs and
 * safety checkers are left out, so they are never downloaded.
 */
export function pipelineFiles(paths: readonly string[], variant?: string): string[] {
  return withSharedFiles(paths, new Set(variantById(describeLayout(paths), variant).files));
}

/**
 * The files of a repo that any of its variants uses: configs, tokenizers and every variant's
 * ONNX files with their external data (helper graphs and safety checkers still left out). What
 * a listing keeps, so that a variant can be chosen (and sized) later without asking again.
 */
export function everyVariantFiles(paths: readonly string[]): string[] {
  return withSharedFiles(paths, new Set(describeLayout(paths).variants.flatMap((v) => v.files)));
}

/** The chosen model files, plus the configs and tokenizers every variant shares. */
function withSharedFiles(paths: readonly string[], chosen: ReadonlySet<string>): string[] {
  return paths.filter(
    (p) =>
      chosen.has(p) ||
      CONFIG_FILES.includes(p) ||
      ROOT_TOKENIZER.includes(p) ||
      TOKENIZER_DIRS.some((d) => p.startsWith(d)) ||
      // vae/config.json: diffusers keeps the VAE's numbers there even when only its decoder is exported.
      /^(unet|transformer|vae|vae_decoder|text_encoder(_2)?)\/config\.json$/.test(p),
  );
}
