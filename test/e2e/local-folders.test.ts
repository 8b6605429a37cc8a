// Files the user already has, used in place: a Hugging Face cache folder and a plain model
// folder. Only what is missing there is downloaded (the hub's log proves it), nothing found
// locally is copied into the cache, and the image matches the reference. Where files come from
// is the engine's business, not the backend's: images are made on the CPU backend (wasm), fastest.
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { TINY as MODEL, useE2e } from '../support/e2e.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { opfsFiles } from '../support/opfs.ts';
import { pixelDiff, resultPixels } from '../support/pixels.ts';
import { referenceImage } from '../support/reference.ts';

const LOCAL = ['unet/model.onnx', 'text_encoder/model.onnx', 'tokenizer/vocab.json', 'tokenizer/merges.txt'];
const e2e = useE2e({ params: { backend: 'wasm' } });
let hub: Hub;
let context: BrowserContext;
let repoDir: string;
let tmp: string;
let info: { sha: string; siblings: { rfilename: string; blobId: string; lfs?: { sha256: string } }[] };
let reference: number[];

beforeAll(async () => {
  repoDir = join(e2e.root, MODEL);
  hub = e2e.hub;
  tmp = await mkdtemp(join(tmpdir(), 'local-folders-'));
  info = await (await fetch(`${hub.url}/api/models/${MODEL}/revision/main?blobs=true`)).json();
  reference = [...(await referenceImage(repoDir, { prompt: 'a photo of a cat', seed: 5, steps: 1 })).image.data];
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  context = await e2e.newContext();
});

const oid = (path: string) => {
  const s = info.siblings.find((x) => x.rfilename === path)!;
  return s.lfs?.sha256 ?? s.blobId;
};
const downloadedPaths = () => [...new Set(hub.log.filter((r) => r.server === 'cdn' || r.url.includes('/resolve-cache/')).map((r) => r.path!))].sort();

async function generateAndCheck(page: Page, folderName: string, how: string) {
  hub.clearLog();
  expect(await act(page, 'generate', { prompt: 'a photo of a cat', seed: 5 })).toBeUndefined();
  const downloaded = downloadedPaths();
  for (const p of LOCAL) expect(downloaded).not.toContain(p);
  expect(downloaded).toContain('vae_decoder/model.onnx');
  const sources = await page.locator('[data-testid="file-source"]').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-path'), e.textContent])));
  for (const p of LOCAL) expect(sources[p]).toBe(`folder “${folderName}” (${how})`);
  expect(sources['vae_decoder/model.onnx']).toBe('download');
  // Used in place: nothing found locally was copied into the cache.
  const cached = Object.keys(await opfsFiles(page)).filter((k) => k.startsWith('models/') && /\/[0-9a-f]{40}\//.test(k));
  for (const p of LOCAL) expect(cached.some((k) => k.endsWith(`/${p}`))).toBe(false);
  const diff = pixelDiff((await resultPixels(page)).data, reference);
  expect(Math.max(...diff.mean)).toBeLessThanOrEqual(1);
  expect(Math.max(...diff.max)).toBeLessThanOrEqual(4);
}

describe('using files already on disk', () => {
  it('a Hugging Face cache folder without usable symlinks: files found as blobs/<oid> (directory handle; OPFS stands in for the picker)', async () => {
    const page = await e2e.open(context);
    // The page fetches the bytes itself (the hub's log is cleared before the test proper).
    const files = LOCAL.map((p) => ({ oid: oid(p), url: `${hub.url}/${MODEL}/resolve/${info.sha}/${p}` }));
    await page.evaluate(
      async ({ files, sha }) => {
        const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('hf-home', { create: true });
        const repo = await (await root.getDirectoryHandle('hub', { create: true })).getDirectoryHandle('models--tiny--sd-turbo-tiny', { create: true });
        const write = async (dir: FileSystemDirectoryHandle, name: string, data: BlobPart) => {
          const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
          await w.write(data);
          await w.close();
        };
        await write(await repo.getDirectoryHandle('refs', { create: true }), 'main', sha);
        await (await repo.getDirectoryHandle('snapshots', { create: true })).getDirectoryHandle(sha, { create: true });
        const blobs = await repo.getDirectoryHandle('blobs', { create: true });
        for (const f of files) await write(blobs, f.oid, await (await fetch(f.url)).blob());
        // The folder the person picks in “Use a folder…”.
        (globalThis as any).showDirectoryPicker = async () => root;
      },
      { files, sha: info.sha },
    );
    await page.getByTestId('pick-folder').click();
    await expect.poll(() => page.getByTestId('folders-in-use').textContent()).toContain('hf-home');
    await generateAndCheck(page, 'hf-home', 'blob');
  });

  it('a Hugging Face cache folder exactly as huggingface_hub lays it out (snapshot symlinks into blobs), picked with webkitdirectory', async () => {
    const repo = join(tmp, 'hub', 'models--tiny--sd-turbo-tiny');
    await mkdir(join(repo, 'refs'), { recursive: true });
    await writeFile(join(repo, 'refs', 'main'), info.sha);
    for (const p of LOCAL) {
      const blob = join(repo, 'blobs', oid(p));
      const link = join(repo, 'snapshots', info.sha, p);
      await mkdir(dirname(blob), { recursive: true });
      await mkdir(dirname(link), { recursive: true });
      await cp(join(repoDir, p), blob);
      await symlink(relative(dirname(link), blob), link);
    }
    const page = await e2e.open(context);
    await page.getByTestId('folder-input').setInputFiles(join(tmp, 'hub'));
    await expect.poll(() => page.getByTestId('folders-in-use').textContent()).toContain('hub');
    // The folder upload does not hand over the symlinked snapshot entries (seen with
    // Playwright's directory upload into Chromium), so the files are found as blobs/<oid>.
    await generateAndCheck(page, 'hub', 'blob');
  });

  it('a plain model folder (a clone of the repo), picked with webkitdirectory', async () => {
    const plain = join(tmp, 'sd-turbo-clone');
    for (const p of LOCAL) {
      await mkdir(dirname(join(plain, p)), { recursive: true });
      await cp(join(repoDir, p), join(plain, p));
    }
    const page = await e2e.open(context);
    await page.getByTestId('folder-input').setInputFiles(plain);
    await expect.poll(() => page.getByTestId('folders-in-use').textContent()).toContain('sd-turbo-clone');
    await generateAndCheck(page, 'sd-turbo-clone', 'plain');
  });
});
