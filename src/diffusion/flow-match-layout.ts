// Which files make a flow-matching transformer repo (Z-Image-Turbo), from its file list alone.
// webnn/Z-Image-Turbo keeps its graphs in one flat onnx/ folder, `<component>_model_<variant>.onnx`
// with external data in `<file>_data`, `<file>_data_1`, … (shards of at most 1.9 GB), beside small
// helper graphs (scheduler_step, vae_pre_process, sc_prep, safety_checker) whose work the pipeline
// does itself, so they are never fetched. A diffusers-style export would have transformer/,
// text_encoder/ and vae_decoder/ folders instead; both are read here.

/** The ONNX components of a flow-matching transformer repo. */
export const FLOW_MATCH_COMPONENTS = ['text_encoder', 'transformer', 'vae_decoder'] as const;
/** One of {@link FLOW_MATCH_COMPONENTS}. */
export type FlowMatchComponent = (typeof FLOW_MATCH_COMPONENTS)[number];

/** Where each component's graph is, and every file that goes with it. */
export interface FlowMatchLayout {
  kind: 'flat' | 'folders';
  /** The graph of each component. */
  models: Record<FlowMatchComponent, string>;
  /** Each component's graph and its external data files (every shard). */
  files: Record<FlowMatchComponent, string[]>;
}

/** The tokenizer files such a repo has (tokenizer.json with, optionally, its config and a template file). */
export const CHAT_TOKENIZER_FILES = ['tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json', 'tokenizer/chat_template.jinja'] as const;
const CONFIG_FILES = ['model_index.json', 'scheduler/scheduler_config.json', 'vae/config.json', 'vae_decoder/config.json', 'transformer/config.json'];

const FLAT = /^onnx\/(text_encoder|transformer|vae_decoder)_model(?:_([\w.-]+?))?\.onnx$/;
// Which variant of a component to open when a repo has several: int4 with fp16 math (what the
// WebGPU demo runs), then fp16, then int4, then fp32; anything else by name.
const VARIANT_ORDER = ['q4f16', 'f16', 'fp16', 'q4', '', 'fp32'];

/** Whether the file list is a flow-matching transformer repo (a transformer graph, no UNet). */
export function isFlowMatchRepo(files: readonly string[]): boolean {
  return files.some((p) => /^onnx\/transformer_model(_[\w.-]+)?\.onnx$/.test(p) || /^transformer\/[^/]+\.onnx$/.test(p)) && !files.some((p) => /^(onnx\/unet_model|unet\/)/.test(p));
}

/** The repo's layout, or undefined when a component's graph is missing (see {@link flowMatchMissingFiles}). */
export function flowMatchLayout(files: readonly string[]): FlowMatchLayout | undefined {
  const flat = files.some((p) => FLAT.test(p));
  const models: Partial<Record<FlowMatchComponent, string>> = {};
  for (const c of FLOW_MATCH_COMPONENTS) {
    const model = flat ? flatModel(files, c) : folderModel(files, c);
    if (model) models[c] = model;
  }
  if (FLOW_MATCH_COMPONENTS.some((c) => !models[c])) return undefined;
  const all = models as Record<FlowMatchComponent, string>;
  const withData = (c: FlowMatchComponent): string[] => {
    const model = all[c];
    if (!flat) return files.filter((p) => p.startsWith(`${c}/`) && p !== `${c}/config.json`);
    return [model, ...files.filter((p) => p.startsWith(model) && /^(_data(_\d+)?|\.data)$/.test(p.slice(model.length)))];
  };
  return {
    kind: flat ? 'flat' : 'folders',
    models: all,
    files: Object.fromEntries(FLOW_MATCH_COMPONENTS.map((c) => [c, withData(c)])) as Record<FlowMatchComponent, string[]>,
  };
}

/** What the pipeline would miss in this file list (paths in words), or `[]` when it can run. */
export function flowMatchMissingFiles(files: readonly string[]): string[] {
  const missing: string[] = files.includes('tokenizer/tokenizer.json') ? [] : ['tokenizer/tokenizer.json'];
  const flat = files.some((p) => FLAT.test(p));
  for (const c of FLOW_MATCH_COMPONENTS) {
    if (!(flat ? flatModel(files, c) : folderModel(files, c))) missing.push(flat ? `onnx/${c}_model_<variant>.onnx` : `${c}/model.onnx`);
  }
  return missing;
}

/** The files to fetch: configs and tokenizer, and each component's chosen graph with every shard of its data; never helper graphs or other variants. */
export function flowMatchPipelineFiles(files: readonly string[]): string[] {
  const layout = flowMatchLayout(files);
  const wanted = new Set<string>([...CONFIG_FILES, ...CHAT_TOKENIZER_FILES, ...(layout ? FLOW_MATCH_COMPONENTS.flatMap((c) => layout.files[c]) : [])]);
  return files.filter((p) => wanted.has(p));
}

function flatModel(files: readonly string[], component: FlowMatchComponent): string | undefined {
  const byVariant = new Map<string, string>();
  for (const p of files) {
    const m = FLAT.exec(p);
    if (m?.[1] === component) byVariant.set(m[2] ?? '', p);
  }
  const rank = (v: string) => (VARIANT_ORDER.includes(v) ? VARIANT_ORDER.indexOf(v) : VARIANT_ORDER.length);
  return [...byVariant.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))[0]?.[1];
}

function folderModel(files: readonly string[], component: FlowMatchComponent): string | undefined {
  if (files.includes(`${component}/model.onnx`)) return `${component}/model.onnx`;
  const onnx = files.filter((p) => p.startsWith(`${component}/`) && p.endsWith('.onnx') && !p.slice(component.length + 1).includes('/'));
  return onnx.length === 1 ? onnx[0] : undefined;
}
