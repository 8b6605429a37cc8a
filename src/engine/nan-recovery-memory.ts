// The engine's side of NaN recovery (diffusion/nan-recovery.ts decides what to try and says
// what happened): the settings that made a component give finite numbers after the default ones
// gave NaN are kept per model commit and backend in IndexedDB, so the next visit starts with them
// instead of failing first.
import { createStore, get, set } from 'idb-keyval';
import { nanFallbacks, rememberedRecoveryMessage, type Backend, type LoadOptions, type RunnerOptions } from '../diffusion/index.ts';
import type { EngineEvent } from './types.ts';

const db = () => createStore('diffusion-studio-recoveries', 'recoveries');

/** Remembered per-component settings for one model on one backend on this device. */
export async function loadRecoveries(memoryKey: string): Promise<Record<string, RunnerOptions>> {
  return (await get<Record<string, RunnerOptions>>(memoryKey, db()).catch(() => undefined)) ?? {};
}

/** Keeps the settings that worked for `component`, beside those remembered for the model's other components. */
export async function rememberRecovery(memoryKey: string, component: string, options: RunnerOptions): Promise<void> {
  const all = await loadRecoveries(memoryKey);
  await set(memoryKey, { ...all, [component]: options }, db()).catch(() => {});
}

/**
 * The loader's NaN-recovery options for model `key` on `backend`: the settings remembered from
 * earlier visits, the fallbacks to try, and a recovery handler that tells the page and remembers
 * what worked. `recoveries` lists, in words, every component that runs with other settings
 * (remembered now, or recovered later while the model is open).
 */
export async function nanRecovery(key: string, backend: Backend, onEvent: (e: EngineEvent) => void) {
  const memoryKey = `${key}/${backend}`;
  const overrides = await loadRecoveries(memoryKey);
  const recoveries = Object.keys(overrides).map(rememberedRecoveryMessage);
  const options: Pick<LoadOptions, 'overrides' | 'fallbacks' | 'onRecovered'> = {
    overrides,
    fallbacks: nanFallbacks(backend),
    onRecovered: (r) => {
      recoveries.push(r.message);
      onEvent({ kind: 'notice', message: r.message });
      void rememberRecovery(memoryKey, r.component, r.options);
    },
  };
  return { options, recoveries };
}
