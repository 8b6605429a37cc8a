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
