// The History gallery's state: the kept images (newest first) with object URLs to show them.
import { addToHistory, clearHistory, deleteHistoryEntry, listHistory, type HistoryEntry } from './history.ts';
import { pngUrl } from './png-image.ts';

/** A kept image and the object URL it is shown from. */
export type HistoryItem = HistoryEntry & { url: string };

export class HistoryState {
  items = $state.raw<HistoryItem[]>([]);
  /** False until the first read, so "nothing yet" is not said before it is known. */
  loaded = $state(false);

  /** Reads the history again. */
  async load(): Promise<void> {
    const entries = await listHistory();
    this.revoke();
    this.items = entries.map((e) => ({ ...e, url: pngUrl(e.png) }));
    this.loaded = true;
  }

  /** Keeps new images; resolves with a message per image that could not be kept. */
  async add(entries: HistoryEntry[]): Promise<string[]> {
    const problems: string[] = [];
    for (const e of entries) await addToHistory(e).catch((err) => problems.push(`This image could not be kept in the history: ${err.message}`));
    await this.load();
    return problems;
  }

  async remove(id: string): Promise<void> {
    await deleteHistoryEntry(id);
    await this.load();
  }

  async clear(): Promise<void> {
    await clearHistory();
    await this.load();
  }

  /** Frees the object URLs (when the page goes away). */
  revoke(): void {
    for (const i of this.items) URL.revokeObjectURL(i.url);
  }
}
