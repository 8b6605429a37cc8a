// The IndexedDB backend: chosen in the cache panel, files in chunks of at most 8 MiB,
// byte-identical (the image matches the reference), kept across reloads, resumable. Storage is
// not the backend's business: images are made on the CPU backend (wasm), which opens the model
// far sooner than WebGPU on SwiftShader.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { idbChunks } from '../support/idb.ts';
import { downloadedFiles, opfsFiles } from '../support/opfs.ts';
import { APP_FOLDER, MARKER_FILE } from '../../src/cache/app-folder.ts';
import { repoKey } from '../../src/cache/layout.ts';
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
    expect(downloadedFiles(await opfsFiles(page))).toEqual([]); // every file of the download is in IndexedDB
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
    await page.getByTestId('delete-all-confirm').click();
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
      // In the app's own folder inside the picked one, marked as the app's, in the local hub's folder of the cache.
      const repo = `my-models/${APP_FOLDER}/${repoKey(hub.url, MODEL)}`;
      expect(files).toContain(`my-models/${APP_FOLDER}/${MARKER_FILE}`);
      expect(files.some((k) => k.startsWith(`${repo}/`) && /^[0-9a-f]{40}\/unet\/model\.onnx$/.test(k.slice(repo.length + 1)))).toBe(true);
      // No file of the download is in OPFS (only the model's listing, read when the page opened).
      expect(downloadedFiles(await opfsFiles(p))).toEqual([]);
      await p.reload();
      hub.clearLog();
      expect(await act(p, 'download')).toBeUndefined();
      expect(fileDownloads()).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

/** Every file under `folder` of the page's OPFS (the folder a person would have picked), path → its text (a big file: its size). */
const folderTexts = (p: Page, folder: string) =>
  p.evaluate(async (name) => {
    const out: Record<string, string> = {};
    const walk = async (dir: FileSystemDirectoryHandle, path: string): Promise<void> => {
      for await (const [n, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
        if (h.kind === 'directory') await walk(h as FileSystemDirectoryHandle, `${path}${n}/`);
        else {
          const file = await (h as FileSystemFileHandle).getFile();
          out[path + n] = file.size < 65536 ? await file.text() : `${file.size} bytes`;
        }
      }
    };
    await walk(await (await navigator.storage.getDirectory()).getDirectoryHandle(name), '');
    return out;
  }, folder);

/** Writes `files` (path → text) into a folder of the page's OPFS and makes it the one “picked” from now on. */
const pickedFolderWith = (p: Page, folder: string, files: Record<string, string>) =>
  p.evaluate(
    async ([name, files]) => {
      const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(name, { create: true });
      for (const [path, text] of Object.entries(files)) {
        const parts = path.split('/');
        let dir = root;
        for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
        const w = await (await dir.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
        await w.write(text);
        await w.close();
      }
      (globalThis as any).showDirectoryPicker = async () => root;
    },
    [folder, files] as const,
  );

describe('“Delete everything” in a folder the user picked (an OPFS folder stands in for showDirectoryPicker)', () => {
  const SHA = '0123456789abcdef0123456789abcdef01234567';
  // A ComfyUI / A1111 folder has a models/ of its own; here also one laid out as an earlier
  // version of this app wrote it (models/<org>/<name>/<commit>/…, refs), which is not used or deleted.
  const theirs = {
    'models/keep.txt': 'the user’s own file',
    [`models/org/name/${SHA}/unet/model.onnx`]: 'the user’s own weights',
    'models/org/name/refs/main': SHA,
    [`models/tiny/sd-turbo-tiny/${SHA}/unet/model.onnx`]: 'left by an earlier version of the app',
    'models/tiny/sd-turbo-tiny/refs/main': SHA,
    'notes.txt': 'not the app’s either',
  };

  it('asks first with the count and size, then deletes only what the app downloaded: the folder’s own models/ survives byte for byte', async () => {
    const p = await e2e.open(await e2e.newContext());
    await pickedFolderWith(p, 'ComfyUI', theirs);
    await p.getByTestId('storage-backend').selectOption('folder');
    await expect.poll(() => p.getByTestId('cache-location').textContent()).toContain('Stored in the folder “ComfyUI” you chose');
    expect(await act(p, 'download')).toBeUndefined();
    const before = await folderTexts(p, 'ComfyUI');
    const ours = Object.keys(before).filter((k) => k.startsWith(`${APP_FOLDER}/`) && k !== `${APP_FOLDER}/${MARKER_FILE}`);
    expect(ours.length).toBeGreaterThan(5);
    // The panel lists the model it downloaded, not the folder's own models/ (not even the old layout's).
    expect(await p.locator('[data-testid="cache-repo"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-repo')))).toEqual([MODEL]);

    await p.getByTestId('delete-all').click();
    const question = (await p.getByTestId('delete-all-question').textContent())!;
    const files = await p.locator('[data-testid="cache-file"]').count();
    expect(question).toMatch(new RegExp(`^\\s*Delete ${files} files \\(\\d+(\\.\\d)? MB\\) of 1 model\\?`));
    expect(question).toContain('nothing outside diffusion-studio-cache/ in “ComfyUI”');
    // Nothing is deleted before the answer.
    expect(await folderTexts(p, 'ComfyUI')).toEqual(before);
    await p.getByTestId('delete-all-confirm').click();
    await expect.poll(() => p.getByTestId('delete-result').textContent()).toMatch(new RegExp(`^Deleted ${files} files \\(`));

    const after = await folderTexts(p, 'ComfyUI');
    for (const [path, text] of Object.entries(theirs)) expect(after[path], path).toBe(text);
    expect(Object.keys(after).sort()).toEqual([...Object.keys(theirs), `${APP_FOLDER}/${MARKER_FILE}`].sort());
  });

  it('a diffusion-studio-cache/ the app did not make (no marker) is refused, not used or deleted', async () => {
    const p = await e2e.open(await e2e.newContext());
    await pickedFolderWith(p, 'Shared', { [`${APP_FOLDER}/${SHA}.txt`]: 'someone else’s', 'models/keep.txt': 'mine' });
    await p.getByTestId('storage-backend').selectOption('folder');
    await expect.poll(() => p.locator('[data-testid="cache-panel"] .bad').textContent()).toContain(`already has a “${APP_FOLDER}” folder that this app did not make`);
    expect(await p.getByTestId('storage-backend').inputValue()).toBe('opfs');
    expect(await folderTexts(p, 'Shared')).toEqual({ [`${APP_FOLDER}/${SHA}.txt`]: 'someone else’s', 'models/keep.txt': 'mine' });
  });
});
