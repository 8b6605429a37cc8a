// Helpers for the tiny-model tests: deterministic noise, file listings, and running a
// tiny repo on onnxruntime-web's wasm backend whatever dtypes its sessions declare.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as ort from 'onnxruntime-web';
import { fromHalfBitsArray, toHalfBitsArray } from '../../src/runtime/float16.ts';

export const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

/** Every file under dir, as relative paths with forward slashes. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).replaceAll('\\', '/'));
}

/** Deterministic N(0,1) noise (mulberry32 + Box-Muller), so a test sees the same latents every run. */
export function randn(count: number, seed: number): Float32Array {
  let a = seed;
  const uniform = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

export function stats(values: Float32Array) {
  let sum = 0;
  let sq = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  for (const v of values) sq += (v - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length), finite: values.every(Number.isFinite) };
}

export const meanAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;

/** name → [type, ...dims], the way the tests spell a session's declared inputs or outputs. */
export type Signature = Record<string, (string | number)[]>;

export function signature(metadata: readonly ort.InferenceSession.ValueMetadata[]): Signature {
  return Object.fromEntries(metadata.map((m) => [m.name, m.isTensor ? [m.type, ...m.shape] : []]));
}

/** A tensor of the type a session declares for the input, from plain numbers. */
export function tensorAs(type: string, values: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  switch (type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from(values), dims);
    case 'float16':
      return new ort.Tensor('float16', toHalfBitsArray(values), dims);
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from(Array.from(values), (v) => BigInt(Math.round(v))), dims);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from(values), dims);
    default:
      throw new Error(`no test conversion to ${type}`);
  }
}

/** A float output as float32 values (Node 20 hands float16 back as Uint16Array bits). */
export function floatsOf(tensor: ort.Tensor): Float32Array {
  if (tensor.type === 'float16' && tensor.data instanceof Uint16Array) return fromHalfBitsArray(tensor.data);
  return Float32Array.from(tensor.data as ArrayLike<number>);
}

/** diffusers' get_guidance_scale_embedding (what LCM feeds as timestep_cond), for one guidance scale. */
export function guidanceEmbedding(guidanceScale: number, dim = 256): Float32Array {
  const w = (guidanceScale - 1) * 1000;
  const half = dim / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) / (half - 1)) * i) * w);
  return Float32Array.from([...freqs.map(Math.sin), ...freqs.map(Math.cos)]);
}

/**
 * The sessions of a tiny repo, each created with the external data beside it, keyed by component:
 * the folder (`unet/model.onnx` → `unet`) or, in a flat `onnx/` folder, the name before `_model`
 * (`onnx/unet_model_q4f16.onnx` → `unet`).
 */
/** The component a model file belongs to: its folder, or in a flat `onnx/` folder the name before `_model`. */
export function componentOf(model: string): string {
  return /^onnx\/(.+?)_model(?:_\w+)?\.onnx$/.exec(model)?.[1] ?? model.slice(0, model.lastIndexOf('/'));
}

export async function openRepo(dir: string, files: readonly string[]): Promise<Record<string, ort.InferenceSession>> {
  const sessions: Record<string, ort.InferenceSession> = {};
  for (const model of files.filter((f) => f.endsWith('.onnx'))) {
    const flat = /^onnx\/(.+?)_model(?:_\w+)?\.onnx$/.exec(model);
    const folder = model.slice(0, model.lastIndexOf('/'));
    const beside = (f: string) => f.slice(0, f.lastIndexOf('/')) === folder;
    const external = files.filter((f) => beside(f) && (flat ? f.startsWith(`${model}_data`) : /\/(weights\.pb|model\.onnx_data(_\d+)?)$/.test(f)));
    const externalData = await Promise.all(external.map(async (f) => ({ path: f.slice(folder.length + 1), data: await readFile(join(dir, f)) })));
    sessions[componentOf(model)] = await ort.InferenceSession.create(await readFile(join(dir, model)), { externalData });
  }
  return sessions;
}

/** Enough of CLIP's tokenizer for prompts whose words are whole tokens, padded as the repo's tokenizer_config says. */
export async function tokenize(dir: string, prompt: string): Promise<Int32Array> {
  const vocab: Record<string, number> = JSON.parse(await readFile(join(dir, 'tokenizer/vocab.json'), 'utf8'));
  const config = JSON.parse(await readFile(join(dir, 'tokenizer/tokenizer_config.json'), 'utf8'));
  const words = prompt.split(' ').map((w) => vocab[`${w}</w>`] ?? Number.NaN);
  if (!words.every(Number.isInteger)) throw new Error(`not every word of "${prompt}" is one token`);
  const ids = new Int32Array(77).fill(vocab[config.pad_token]!);
  ids.set([vocab['<|startoftext|>']!, ...words, vocab['<|endoftext|>']!]);
  return ids;
}
