import type { Page } from 'playwright-core';

/**
 * Where in the page's origin storage a string occurs: localStorage, sessionStorage, every
 * IndexedDB database and store, every OPFS file, every Cache API entry. Returns the places.
 */
export function findInStorage(page: Page, needle: string): Promise<string[]> {
  return page.evaluate(async (needle) => {
    const found: string[] = [];
    const check = (where: string, text: string) => text.includes(needle) && found.push(where);
    check('localStorage', JSON.stringify({ ...localStorage }));
    check('sessionStorage', JSON.stringify({ ...sessionStorage }));
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const req = indexedDB.open(name!);
        req.onsuccess = () => ok(req.result);
        req.onerror = () => fail(req.error);
      });
      for (const store of db.objectStoreNames) {
        const tx = db.transaction(store, 'readonly').objectStore(store);
        const [keys, values] = await Promise.all(
          [tx.getAllKeys(), tx.getAll()].map((r) => new Promise<unknown[]>((ok) => (r.onsuccess = () => ok(r.result)))),
        );
        check(`indexedDB:${name}/${store}`, JSON.stringify([keys, values]));
      }
      db.close();
    }
    const walk = async (dir: FileSystemDirectoryHandle, path: string): Promise<void> => {
      for await (const [n, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
        if (h.kind === 'directory') await walk(h as FileSystemDirectoryHandle, `${path}${n}/`);
        else {
          const file = await (h as FileSystemFileHandle).getFile();
          // Read as latin1-ish text so a token inside binary files would still be found.
          const bytes = new Uint8Array(await file.arrayBuffer());
          let text = '';
          for (let i = 0; i < bytes.length; i += 65536) text += String.fromCharCode(...bytes.subarray(i, i + 65536));
          check(`opfs:${path}${n}`, path + n + text);
        }
      }
    };
    await walk(await navigator.storage.getDirectory(), '');
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const req of await cache.keys()) check(`cache:${name}`, req.url + (await (await cache.match(req))!.text()));
    }
    return found;
  }, needle);
}
