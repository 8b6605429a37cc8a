import type { Page } from 'playwright-core';

/** Every record of the IndexedDB cache backend (`diffusion-studio-files`), key → the value's size (Blobs) or value (metadata). */
function idbRecords(p: Page): Promise<{ key: string; blobSize?: number; meta?: { complete: boolean; chunkSizes: number[] } }[]> {
  return p.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open('diffusion-studio-files');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    if (!db.objectStoreNames.contains('files')) return [];
    const store = db.transaction('files').objectStore('files');
    const [keys, values] = await new Promise<[IDBValidKey[], unknown[]]>((ok) => {
      const k = store.getAllKeys();
      k.onsuccess = () => {
        const v = store.getAll();
        v.onsuccess = () => ok([k.result, v.result]);
      };
    });
    db.close();
    return keys.map((key, i) => {
      const v = values[i];
      return v instanceof Blob ? { key: String(key), blobSize: v.size } : { key: String(key), meta: v as { complete: boolean; chunkSizes: number[] } };
    });
  });
}

/** Sizes of the chunk records of every file in the IndexedDB backend. */
export async function idbChunks(p: Page): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const r of await idbRecords(p)) {
    const m = r.key.match(/^chunk:(.*)#(\d+)$/);
    if (m && r.blobSize !== undefined) (out[m[1]!] ??= [])[Number(m[2])] = r.blobSize;
  }
  return out;
}

/**
 * Files the IndexedDB backend says are complete but are not whole: a chunk their metadata lists
 * is missing or of another size (what a deletion in another tab did to a download under way).
 */
export async function idbHoles(p: Page): Promise<string[]> {
  const records = await idbRecords(p);
  const chunks = new Map(records.filter((r) => r.blobSize !== undefined).map((r) => [r.key, r.blobSize!]));
  const holes: string[] = [];
  for (const r of records) {
    if (!r.key.startsWith('meta:') || !r.meta?.complete) continue;
    const key = r.key.slice(5);
    r.meta.chunkSizes.forEach((size, n) => {
      if (chunks.get(`chunk:${key}#${n}`) !== size) holes.push(`${key} #${n}`);
    });
  }
  return holes;
}
