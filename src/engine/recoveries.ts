import { createStore, get, set } from 'idb-keyval';
import type { RunnerOptions } from '../diffusion/index.ts';

// Settings that made a component give finite numbers after the default ones gave NaN, per
// model commit and backend, so the next visit starts with them instead of failing first.
const db = () => createStore('diffusion-studio-recoveries', 'recoveries');

/** Remembered per-component settings for one model on this device. */
export async function loadRecoveries(modelKey: string): Promise<Record<string, RunnerOptions>> {
  return (await get<Record<string, RunnerOptions>>(modelKey, db()).catch(() => undefined)) ?? {};
}

export async function rememberRecovery(modelKey: string, component: string, options: RunnerOptions): Promise<void> {
  const all = await loadRecoveries(modelKey);
  await set(modelKey, { ...all, [component]: options }, db()).catch(() => {});
}
