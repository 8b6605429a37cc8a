/**
 * Runs `fn` holding the Web Lock for one cache key, shared by every tab and worker of the
 * origin: one writer per file, so a second tab downloading the same model waits here and then
 * finds the file complete. Where there are no Web Locks (Node), `fn` just runs.
 */
export async function withFileLock(key: string, signal: AbortSignal | undefined, fn: () => Promise<void>): Promise<void> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return fn();
  await locks.request(`diffusion-studio:${key}`, { signal }, fn);
}

/**
 * Runs `fn` holding the locks of every key in `keys` (what a deletion removes), so no tab is
 * writing any of them meanwhile: a download under way finishes its file first, and a download
 * waiting for one finds it gone afterwards and starts it again. The locks are taken in one order
 * (sorted), so two deletions cannot each hold what the other waits for; a download holds one
 * lock at a time.
 */
export async function withFileLocks(keys: Iterable<string>, fn: () => Promise<void>): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  const take = (i: number): Promise<void> => (i === sorted.length ? fn() : withFileLock(sorted[i]!, undefined, () => take(i + 1)));
  await take(0);
}
