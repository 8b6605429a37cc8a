import { NonFiniteError } from './image.ts';
import { firstNonFinite, onDevice, type Feed, type ModelRunner, type RunnerOptions } from './tensor.ts';

/** A stage that gave NaN/Infinity and was rerun with other settings that gave finite numbers. */
export interface Recovery {
  component: string;
  /** The settings that worked; remember them for this model on this device. */
  options: RunnerOptions;
  /** In words, for the user. */
  message: string;
}

const describe = (o: RunnerOptions) =>
  o.backend === 'wasm' ? 'on the CPU (wasm) backend' : `with graph optimisation “${o.graphOptimizationLevel ?? 'all'}”${o.backend ? ` on ${o.backend}` : ''}`;

// Tensors in GPU memory are checked when they are made (runOnDevice), not again as inputs.
const nonFinite = (ts: Record<string, Feed>) =>
  Object.values(ts).some((t) => (!onDevice(t) && t.data instanceof Float32Array ? firstNonFinite(t.data) >= 0 : false));

/**
 * Wraps a runner so that an output with NaN or Infinity (from finite inputs) never passes on:
 * the same inputs are run again with each of `fallbacks` in turn (a session reopened by
 * `reopen`), and the first finite result is used and reported through `onRecovered`. Known
 * case: onnxruntime-web's WebGPU backend fuses Conv+Tanh into a kernel that returns NaN for
 * large pre-activations, while the unfused graph and the CPU backend are fine. An output left
 * in GPU memory is read back once to be checked; when it is not finite, the stage is run again
 * as above and its output given as a plain tensor.
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
          onRecovered({
            component,
            options,
            message: `The ${component.replace('_', ' ')} gave invalid numbers (NaN) with the default settings; it was run again ${describe(options)}, which works, and this is remembered for this model on this device.`,
          });
          return again;
        }
      }
      throw new NonFiniteError(component, `also ${fallbacks.map(describe).join(', and ')}`);
    },
    async runOnDevice(feeds, output) {
      if (!current.runOnDevice) return (await guarded.run(feeds))[output];
      const out = await current.runOnDevice(feeds, output);
      if (!onDevice(out) || !nonFinite({ out: await out.read() }) || nonFinite(feeds)) return out;
      out.dispose();
      return (await guarded.run(feeds))[output];
    },
  };
  return guarded;
}
