// Which onnxruntime worker each component's session lives in, from the components' sizes alone
// (pure, tested in Node). One WebAssembly memory (wasm32) holds at most 4 GiB, and on the CPU
// backend every session of a worker keeps its weights there: Z-Image-Turbo's text encoder (2.2 GB)
// and transformer (3.7 GB) cannot share one. So a model larger than one such memory gets a worker
// per big component, and a component its pipeline can reopen (the text encoder, once the prompt is
// encoded) has its worker ended after each use: ending a worker is the only way to get its memory
// back, as WebAssembly memory never shrinks (and onnxruntime's WebGPU allocator keeps its buffers
// until the device goes). Models that fit stay in one worker, as before (SD's GPU-resident prompt
// embeddings cannot cross workers: each worker has its own GPU device).
import { WASM32_LIMIT, type Backend } from '../runtime/index.ts';

/** What the engine decided about memory for one model, and why (for the page). */
export interface MemoryPlan {
  /** Components by worker: each inner list shares one onnxruntime worker. */
  workers: string[][];
  /** Components whose worker is ended after each use and started again, from the cache, when needed. */
  releaseAfterUse: string[];
  /** Bytes of each component's files. */
  bytes: Record<string, number>;
  /** Why the components do not share one worker, in words; undefined when they do. */
  reason?: string;
}

/** How {@link placeComponents} decides. */
export interface PlacementOptions {
  backend: Backend;
  /** Components the pipeline can close after use and reopen (Z-Image's text encoder); none for SD. */
  releasable?: readonly string[];
  /** `save`: place as if the model did not fit (a worker per component, releasable ones ended after use), e.g. on a small machine. */
  memory?: 'auto' | 'save';
}

/**
 * What one worker's components may weigh on the CPU backend: wasm32's 4 GiB less room for the
 * activations, onnxruntime's own allocations and the graph (Z-Image's transformer at 1024² needs
 * a few hundred MB of activations).
 */
export const WORKER_BUDGET = WASM32_LIMIT - 512 * 1024 ** 2;

/**
 * Places components (given in the order they are opened) in workers. Fits one WebAssembly memory
 * (and `memory` is not `save`): one worker, as always. Otherwise each releasable component gets a
 * worker of its own, ended after each use; the others share workers up to {@link WORKER_BUDGET}
 * each on the CPU backend (there their weights live in the worker's memory) and one worker on
 * WebGPU (there they live in GPU memory).
 */
export function placeComponents(bytes: Record<string, number>, opts: PlacementOptions): MemoryPlan {
  const components = Object.keys(bytes);
  const total = components.reduce((sum, c) => sum + bytes[c]!, 0);
  const save = opts.memory === 'save';
  if (!save && total <= WASM32_LIMIT) return { workers: [components], releaseAfterUse: [], bytes };
  const releasable = components.filter((c) => opts.releasable?.includes(c));
  const rest = components.filter((c) => !releasable.includes(c));
  const shared: string[][] = [];
  for (const c of rest) {
    const last = shared.at(-1);
    const weight = (group: string[]) => group.reduce((sum, g) => sum + bytes[g]!, 0);
    const joins = last && !save && (opts.backend !== 'wasm' || weight(last) + bytes[c]! <= WORKER_BUDGET);
    if (joins) last.push(c);
    else shared.push([c]);
  }
  const reason = save
    ? 'memory saving was asked for'
    : `this model (${gigabytes(total)}) is larger than one WebAssembly memory (4 GB)`;
  return { workers: [...releasable.map((c) => [c]), ...shared], releaseAfterUse: releasable, bytes, reason };
}

/** The plan in words for the page: which components have a worker of their own, which are ended after use, and why. */
export function describePlan(plan: MemoryPlan): string | undefined {
  if (!plan.reason) return undefined;
  const name = (c: string) => `the ${c.replace(/_/g, ' ')} (${gigabytes(plan.bytes[c] ?? 0)})`;
  const groups = plan.workers.map((g) => g.map(name).join(' and '));
  const released = plan.releaseAfterUse.length ? `; ${plan.releaseAfterUse.map(name).join(', ')} is closed once the prompt is encoded and reopened for a new prompt` : '';
  // "one each for A, B, C" only when no worker holds two components: else each worker is named apart.
  const where = plan.workers.every((g) => g.length === 1) ? `, one each for ${groups.join(', ')}` : `: ${groups.map((g) => `one for ${g}`).join('; ')}`;
  return `${plan.workers.length} onnxruntime workers${where}${released}: ${plan.reason}.`;
}

/** A size in decimal units, as the Hub's pages write them: `2.2 GB`, `99 MB`. */
export function gigabytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n >= 1e6 ? `${Math.round(n / 1e6)} MB` : `${Math.round(n / 1e3)} KB`;
}
