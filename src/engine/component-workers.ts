// The onnxruntime workers of one opened model, as its MemoryPlan places the components: one worker
// per group, started when a component of the group is first opened, and, for a component released
// after use (Z-Image's text encoder), a worker of its own for each opening, ended with its session.
// Tensors cross between them as plain arrays (a GPU tensor belongs to its worker's GPU device).
import type { ModelRunner, RunnerFactory } from '../diffusion/index.ts';
import { createRuntime, type Backend, type Runtime } from '../runtime/index.ts';
import type { MemoryPlan } from './placement.ts';

/** A factory of sessions, each in the worker the plan gives its component, and a way to end them all. */
export interface ComponentWorkers {
  createRunner: RunnerFactory;
  /** How many onnxruntime workers are running now. */
  readonly running: number;
  /** Ends every worker: every session and all the memory they held are gone. */
  close(): void;
}

/**
 * Workers on `backend` for the plan's components (a component the plan does not name joins the
 * first group that is kept). `start` makes one worker (tests give their own).
 */
export function componentWorkers(plan: MemoryPlan, backend: Backend, start: (backend: Backend) => Promise<Runtime> = createRuntime): ComponentWorkers {
  const kept = plan.workers.findIndex((g) => !g.some((c) => plan.releaseAfterUse.includes(c)));
  const groups = new Map<number, Promise<Runtime>>();
  // Every worker started and not yet ended, with the runtime once it is up (so ending it is immediate).
  const live = new Map<Promise<Runtime>, Runtime | undefined>();
  const launch = () => {
    const runtime = start(backend);
    live.set(runtime, undefined);
    runtime.then(
      (r) => (live.has(runtime) ? live.set(runtime, r) : r.close()), // ended while starting: end it now
      () => live.delete(runtime),
    );
    return runtime;
  };
  const end = (runtime: Promise<Runtime>) => {
    const up = live.get(runtime);
    live.delete(runtime);
    up?.close();
  };

  const createRunner: RunnerFactory = async (name, files, options) => {
    if (plan.releaseAfterUse.includes(name)) {
      const own = launch();
      let runner: ModelRunner;
      try {
        runner = await (await own).createRunner(name, files, options);
      } catch (err) {
        end(own);
        throw err;
      }
      // Ending the worker, not just the session, is what gives its memory back.
      return { ...runner, release: async () => end(own) };
    }
    const found = plan.workers.findIndex((g) => g.includes(name));
    const group = found >= 0 ? found : Math.max(0, kept);
    if (!groups.has(group)) groups.set(group, launch());
    return (await groups.get(group)!).createRunner(name, files, options);
  };

  return {
    createRunner,
    get running() {
      return live.size;
    },
    close() {
      for (const runtime of [...live.keys()]) end(runtime);
      groups.clear();
    },
  };
}
