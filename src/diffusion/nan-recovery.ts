// NaN recovery, all of it but the memory: what counts as a bad output, what to try instead on
// each backend, what the user is told, and the error when nothing works. The loader wraps every
// component with `guardFinite` (load.ts); the engine remembers what worked per model and device
// (engine/nan-recovery-memory.ts). Known case: onnxruntime-web's WebGPU backend fuses Conv+Tanh
// into a kernel that returns NaN for large pre-activations, while the unfused graph and the CPU
// backend are fine (the stand-in `tiny/sd-turbo-tanh` reproduces it).
import { isGpuResident, type Backend, type Feed, type ModelRunner, type RunnerOptions } from './tensor.ts';

/** Index of the first NaN or ±Infinity in `data`, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** The model produced NaN or ±Infinity: the image would be silently wrong (black), so none is made. */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
  constructor(readonly stage: string, detail = '') {
    super(`The ${componentName(stage)} produced invalid numbers (NaN or infinity)${detail ? `: ${detail}` : ''}. No image was made from them.`);
  }
}

/** A stage that gave NaN/Infinity and was rerun with other settings that gave finite numbers. */
export interface Recovery {
  component: string;
  /** The settings that worked; remember them for this model on this device. */
  options: RunnerOptions;
  /** In words, for the user. */
  message: string;
}

/** What to try, in order, when a stage gives NaN/Infinity on this backend: graph optimisation off, then the CPU. */
export function nanFallbacks(backend: Backend): RunnerOptions[] {
  return backend === 'webgpu'
    ? [{ backend: 'webgpu', graphOptimizationLevel: 'disabled' }, { backend: 'wasm' }]
    : [{ backend: 'wasm', graphOptimizationLevel: 'disabled' }];
}

/** What the page says about a component that runs with settings remembered from an earlier recovery. */
export function rememberedRecoveryMessage(component: string): string {
  return `${componentName(component)}: using settings remembered from an earlier NaN recovery`;
}

/** `vae_decoder` → `vae decoder`, for messages. */
const componentName = (component: string) => component.replace('_', ' ');

const describe = (o: RunnerOptions) =>
  o.backend === 'wasm' ? 'on the CPU (wasm) backend' : `with graph optimisation “${o.graphOptimizationLevel ?? 'all'}”${o.backend ? ` on ${o.backend}` : ''}`;

const recoveredMessage = (component: string, options: RunnerOptions) =>
  `The ${componentName(component)} gave invalid numbers (NaN) with the default settings; it was run again ${describe(options)}, which works, and this is remembered for this model on this device.`;

// Tensors in GPU memory are checked when they are made (runGpuResident), not again as inputs.
const nonFinite = (ts: Record<string, Feed>) =>
  Object.values(ts).some((t) => (!isGpuResident(t) && t.data instanceof Float32Array ? firstNonFinite(t.data) >= 0 : false));

/**
 * Wraps a runner so that an output with NaN or Infinity (from finite inputs) never passes on:
 * the same inputs are run again with each of `fallbacks` in turn (a session reopened by
 * `reopen`), and the first finite result is used and reported through `onRecovered`. An
 * output left in GPU memory is read back once to be checked; when it is not finite, the stage
 * is run again as above and its output given as a plain tensor.
 */
export function guardFinite(
  component: string,
  first: ModelRunner,
  reopen: (options: RunnerOptions) => Promise<ModelRunner>,
  fallbacks: RunnerOptions[],
  onRecovered: (r: Recovery) => void = () => {},
): ModelRunner {
  let current = first;
  const guarded: ModelRunner = {
    get inputs() {
      return current.inputs;
    },
    get outputs() {
      return current.outputs;
    },
    release: () => current.release(),
    async run(feeds) {
      const out = await current.run(feeds);
      if (!nonFinite(out) || nonFinite(feeds)) return out;
      for (const options of fallbacks) {
        await current.release();
        current = await reopen(options);
        const again = await current.run(feeds);
        if (!nonFinite(again)) {
          onRecovered({ component, options, message: recoveredMessage(component, options) });
          return again;
        }
      }
      throw new NonFiniteError(component, `also ${fallbacks.map(describe).join(', and ')}`);
    },
    async runGpuResident(feeds, output) {
      if (!current.runGpuResident) return (await guarded.run(feeds))[output];
      const out = await current.runGpuResident(feeds, output);
      if (!isGpuResident(out) || !nonFinite({ out: await out.read() }) || nonFinite(feeds)) return out;
      out.dispose();
      return (await guarded.run(feeds))[output];
    },
  };
  return guarded;
}
