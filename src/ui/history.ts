// Every image made, kept in this browser's IndexedDB (page side; the engine never sees it) with
// the settings that made it. A database of its own, so clearing the model cache keeps it, and
// the service worker never touches it, so it survives app updates too.
import { clear, createStore, del, get, set, values } from 'idb-keyval';
import type { GeneratedImages } from '../engine/index.ts';

type Backend = GeneratedImages['backend'];

export interface HistoryEntry {
  id: string;
  /** ms since the epoch. */
  createdAt: number;
  /** The PNG exactly as shown and downloaded, `parameters` chunk included. */
  png: Uint8Array;
  /** The A1111 `parameters` text (also inside `png`). */
  parameters: string;
  fileName: string;
  prompt: string;
  negativePrompt: string;
  seed: number;
  steps: number;
  /** The sampler id asked for ('' = the model's own), and what ran, in A1111's words. */
  sampler: string;
  samplerName: string;
  guidanceScale: number;
  width: number;
  height: number;
  model: string;
  revision: string;
  commit: string;
  backend: Backend;
  /** Milliseconds per stage, plus `load` and `total`. */
  timings: Record<string, number>;
}

const store = () => createStore('diffusion-studio-history', 'images');

export async function addToHistory(entry: HistoryEntry): Promise<void> {
  await set(entry.id, entry, store());
}

/** Newest first. */
export async function listHistory(): Promise<HistoryEntry[]> {
  const all = await values<HistoryEntry>(store());
  return all.sort((a, b) => b.createdAt - a.createdAt);
}

export const getHistoryEntry = (id: string) => get<HistoryEntry>(id, store());
export const deleteHistoryEntry = (id: string) => del(id, store());
export const clearHistory = () => clear(store());

/** Bytes the kept images take (the PNGs; the settings are a few hundred bytes each). */
export const historyBytes = (entries: HistoryEntry[]) => entries.reduce((s, e) => s + e.png.byteLength + e.parameters.length, 0);
