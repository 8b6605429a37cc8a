// The IndexedDB backend: chosen in the cache panel, files in chunks of at most 8 MiB,
// byte-identical (the image matches the reference), kept across reloads, resumable. Storage is
// not the backend's business: images are made on the CPU backend (wasm), which opens the model
// far sooner than WebGPU on SwiftShader.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { opfsFiles } from '../support/opfs.ts';
import { pixelDiff, resultPixels } from '../support/pixels.ts';
import { referenceImage } from '../support/reference.ts';
import { TINY as MODEL, UNTIL_TEST_TIMEOUT, useE2e } from '../support/e2e.ts';

const e2e = useE2e({ params: { backend: 'wasm' } });
let hub: Hub;
let page: Page;
let repoDir: string;

beforeAll(async () => {
  repoDir = join(e2e.root, MODEL);
  hub = e2e.hub;
  page = await e2e.open(await e2e.newContext());
});

/** Sizes of the chunk records of every file in the IndexedDB backend. */
function idbChunks(p: Page): Promise<Record<string, number[]>> {
  return p.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const r = indexedDB.open('diffusion-studio-files');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const store = db.transaction('files').objectStore('files');
    const all = await new Promise<[IDBValidKey[], unknown[]]>((ok) => {
      const k = store.getAllKeys();
      k.onsuccess = () => {
        const v = store.getAll();
        v.onsuccess = () => ok([k.result, v.result]);
      };
    });
    const out: Record<string, number[]> = {};
    all[0].forEach((key, i) => {
      const m = String(key).match(/^chunk:(.*)#(\d+)$/);
      if (m) (out[m[1]] ??= [])[Number(m[2])] = (all[1][i] as Blob).size;
    });
    db.close();
    return out;
  });
}

const fileDownloads = () => hub.log.filter((r) => r.server === 'cdn' || /\/(resolve|resolve-cache)\//.test(r.url));

describe('IndexedDB backend', () => {
  let first: number[];

  it('is chosen in the cache panel, stores chunks of at most 8 MiB, and the image matches the reference', async () => {
    await page.getByTestId('storage-backend').selectOption('indexeddb');
    await expect.poll(() => page.getByTestId('cache-location').textContent()).toContain('IndexedDB');
    expect(await act(page, 'generate', { prompt: 'a photo of a cat', seed: 99 })).toBeUndefined();
    const chunks = await idbChunks(page);
    const unet = Object.entries(chunks).find(([k]) => k.endsWith('/unet/model.onnx'))![1];
    expect(unet.length).toBe(5); // 35.6 MB in 8 MiB pieces
    expect(Math.max(...Object.values(chunks).flat())).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(Object.keys(await opfsFiles(page)).filter((k) => k.startsWith('models/'))).toEqual([]);
    first = (await resultPixels(page)).data;
    const ref = await referenceImage(repoDir, { prompt: 'a photo of a cat', seed: 99, steps: 1 });
    const diff = pixelDiff(first, ref.image.data);
    expect(Math.max(...diff.mean)).toBeLessThanOrEqual(1);
    expect(Math.max(...diff.max)).toBeLessThanOrEqual(4);
  });

  it('survives a reload: the choice is kept and nothing is downloaded again', async () => {
    await page.reload();
    await expect.poll(() => page.getByTestId('storage-backend').inputValue()).toBe('indexeddb');
    hub.clearLog();
    expect(await act(page, 'generate', { prompt: 'a photo of a cat', seed: 99 })).toBeUndefined();
    expect(fileDownloads()).toEqual([]);
    expect((await resultPixels(page)).data).toEqual(first);
  });

  it('resumes a cancelled download from the chunks already stored', async () => {
    await page.getByTestId('delete-all').click();
    await expect.poll(() => idbChunks(page)).toEqual({});
    // The server sends 20 MB of the UNet and then holds the connection: cancelled surely mid-download,
    // once two 8 MiB chunks are stored.
    hub.faults.set([{ path: 'unet/model.onnx', stallAfterBytes: 20_000_000, times: 1 }]);
    hub.clearLog();
    await page.getByTestId('download').click();
    const stored = async () => (Object.entries(await idbChunks(page)).find(([k]) => k.endsWith('/unet/model.onnx'))?.[1] ?? []).length;
    await expect.poll(stored, UNTIL_TEST_TIMEOUT).toBeGreaterThanOrEqual(2);
    await page.getByTestId('cancel').click();
    await page.waitForSelector('[data-testid="error"]');
    const kept = (Object.entries(await idbChunks(page)).find(([k]) => k.endsWith('/unet/model.onnx'))?.[1] ?? []).reduce((a, b) => a + b, 0);
    expect(kept).toBeGreaterThan(8 * 1024 * 1024);
    hub.clearLog();
    expect(await act(page, 'download')).toBeUndefined();
    expect(hub.log.filter((r) => r.server === 'cdn' && r.path === 'unet/model.onnx').map((r) => r.range)).toEqual([`bytes=${kept}-`]);
  });

  it('switching back to OPFS uses OPFS again', async () => {
    await page.getByTestId('storage-backend').selectOption('opfs');
    await expect.poll(() => page.getByTestId('cache-location').textContent()).toContain('OPFS');
    expect(await act(page, 'download')).toBeUndefined();
    expect(Object.keys(await opfsFiles(page)).some((k) => k.endsWith('/unet/model.onnx'))).toBe(true);
  });
});

describe('a folder the user picked as the cache (an OPFS folder stands in for showDirectoryPicker)', () => {
  it('downloads into the folder with readable paths, is said in words, and is kept across reloads', async () => {
    const ctx = await e2e.newContext();
    try {
      const p = await e2e.open(ctx);
      // The folder the person picks when choosing “a folder on this computer…”.
      await p.evaluate(() => {
        (globalThis as any).showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('my-models', { create: true });
      });
      await p.getByTestId('storage-backend').selectOption('folder');
      await expect.poll(() => p.getByTestId('cache-location').textContent()).toContain('Stored in the folder “my-models” you chose');
      await p.reload();
      await expect.poll(() => p.getByTestId('cache-location').textContent()).toContain('Stored in the folder “my-models” you chose');
      expect(await p.getByTestId('storage-backend').inputValue()).toBe('folder');
      expect(await act(p, 'download')).toBeUndefined();
      const files = Object.keys(await opfsFiles(p));
      expect(files.some((k) => /^my-models\/models\/tiny\/sd-turbo-tiny\/[0-9a-f]{40}\/unet\/model\.onnx$/.test(k))).toBe(true);
      expect(files.filter((k) => k.startsWith('models/'))).toEqual([]);
      await p.reload();
      hub.clearLog();
      expect(await act(p, 'download')).toBeUndefined();
      expect(fileDownloads()).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});
