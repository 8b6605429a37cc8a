import type { Page } from 'playwright-core';

/** Every file in the page's OPFS, as `path → size`. */
export function opfsFiles(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const out: Record<string, number> = {};
    const walk = async (dir: FileSystemDirectoryHandle, path: string): Promise<void> => {
      for await (const [name, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
        if (h.kind === 'directory') await walk(h as FileSystemDirectoryHandle, `${path}${name}/`);
        else out[path + name] = (await (h as FileSystemFileHandle).getFile()).size;
      }
    };
    await walk(await navigator.storage.getDirectory(), '');
    return out;
  });
}

/** Whether an OPFS key is a download under way (`partials/<key>`), not a file of the cache. */
export const isPartial = (key: string) => key.startsWith('partials/');

/** The complete cached files (`models/…`, `hubs/…`) among `files`, without partials, the marker or anything else. */
export function cachedFiles(files: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(files).filter(([k]) => k.startsWith('models/') || k.startsWith('hubs/')));
}

/**
 * The cached model files among `files`, without the listing records (refs and manifests): what a
 * download wrote. (The page reads the model's listing when it opens, before a test switches the
 * cache elsewhere, and that listing stays where the cache was then.)
 */
export function downloadedFiles(files: Record<string, number>): string[] {
  return Object.keys(cachedFiles(files)).filter((k) => !/\/(refs\/[^/]+|manifests\/[0-9a-f]{40}\.json)$/.test(k));
}

/** The size of the partial download of `path` (a path in the repo) among `files`, if there is one. */
export function partialSize(files: Record<string, number>, path: string): number | undefined {
  return Object.entries(files).find(([k]) => isPartial(k) && k.endsWith(`/${path}`))?.[1];
}

/** sha256 (hex) of one OPFS file, computed in the page. */
export function opfsSha256(page: Page, key: string): Promise<string> {
  return page.evaluate(async (k) => {
    let dir = await navigator.storage.getDirectory();
    const parts = k.split('/');
    for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
    const file = await (await dir.getFileHandle(parts.at(-1)!)).getFile();
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }, key);
}

/** Deletes everything in the page's OPFS. */
export function clearOpfs(page: Page): Promise<void> {
  return page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    for await (const [name] of root as unknown as AsyncIterable<[string, FileSystemHandle]>) await root.removeEntry(name, { recursive: true });
  });
}
