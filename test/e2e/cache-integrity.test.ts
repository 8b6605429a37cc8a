// What a deletion or a file's name can do to the cache, and must not: "Delete everything" in
// one tab while another tab downloads (IndexedDB), a repo file that is really named
// `X.incomplete` (OPFS), and partial downloads left by an earlier version beside the files.
// Storage, not generation: downloads only, on the CPU backend.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { copyStandIn, TINY, UNTIL_TEST_TIMEOUT, useE2e } from '../support/e2e.ts';
import { idbChunks, idbHoles } from '../support/idb.ts';
import { cachedFiles, opfsFiles, opfsSha256 } from '../support/opfs.ts';
import { MARKER_FILE } from '../../src/cache/app-folder.ts';
import { fileKey } from '../../src/cache/layout.ts';
import { sha256 } from '../support/hub-fixture.ts';

/** A copy of the stand-in whose tokenizer folder also holds a file really named `vocab.json.incomplete`. */
const NAMED = 'tiny/named-incomplete';
const e2e = useE2e({
  params: { backend: 'wasm' },
  root: async (dir) => {
    await copyStandIn(dir, TINY);
    const repo = await copyStandIn(dir, NAMED);
    // Not the partial of vocab.json: a file of the repo, shorter than vocab.json, as a partial would be.
    const vocab = await readFile(join(repo, 'tokenizer/vocab.json'));
    await writeFile(join(repo, 'tokenizer/vocab.json.incomplete'), vocab.subarray(0, 1000));
  },
});

const unetChunks = async (p: Page) => (Object.entries(await idbChunks(p)).find(([k]) => k.endsWith('/unet/model.onnx'))?.[1] ?? []).length;

describe('deleting while another tab downloads (IndexedDB)', () => {
  it('waits for the download’s file lock: no file is ever marked complete with a piece missing', async () => {
    const context = await e2e.newContext();
    const a = await e2e.open(context);
    await a.getByTestId('storage-backend').selectOption('indexeddb');
    await expect.poll(() => a.getByTestId('cache-location').textContent()).toContain('IndexedDB');
    // Tab A's UNet stops after 20 MB (two 8 MiB pieces stored) and is held there until released.
    e2e.hub.faults.set([{ path: 'unet/model.onnx', stallAfterBytes: 20_000_000, times: 1 }]);
    await a.getByTestId('download').click();
    await expect.poll(() => unetChunks(a), UNTIL_TEST_TIMEOUT).toBeGreaterThanOrEqual(2);

    // Tab B sees the files already complete and deletes everything.
    const b = await e2e.open(context);
    await expect.poll(() => b.getByTestId('cache-location').textContent()).toContain('IndexedDB');
    await b.waitForSelector('[data-testid="delete-all"]', { timeout: 0 });
    await b.getByTestId('delete-all').click();
    await b.getByTestId('delete-all-confirm').click();

    // A's connection goes on (B's deletion waits for the UNet's lock, which A holds while it writes): its download completes, then B's deletion runs.
    e2e.hub.faults.resumeStalled();
    await a.waitForSelector('[data-testid="download-info"], [data-testid="error"]', { timeout: 0 });
    expect(await a.$('[data-testid="error"]')).toBeNull();
    await b.waitForSelector('[data-testid="delete-result"]', { timeout: 0 });
    expect(await b.getByTestId('delete-result').textContent()).toMatch(/^Deleted \d+ files/);
    // Whatever is left is whole; today's code left the UNet "complete" with its first pieces deleted.
    expect(await idbHoles(a)).toEqual([]);

    // And A still makes its image from what it downloads again.
    e2e.hub.faults.clear();
    expect(await act(a, 'generate', { prompt: 'a cat', seed: 1 })).toBeUndefined();
    expect(await idbHoles(a)).toEqual([]);
  });
});

describe('partial downloads are kept apart from the repo’s files (OPFS)', () => {
  it('a repo file really named vocab.json.incomplete is a file of its own, not vocab.json’s partial', async () => {
    const page = await e2e.open(await e2e.newContext(), { model: NAMED });
    expect(await act(page, 'download')).toBeUndefined();
    const commit = (await (await fetch(`${e2e.hub.url}/api/models/${NAMED}/revision/main`)).json()).sha as string;
    const repo = join(e2e.root, NAMED);
    for (const path of ['tokenizer/vocab.json', 'tokenizer/vocab.json.incomplete']) {
      expect(await opfsSha256(page, fileKey(e2e.hub.url, NAMED, commit, path)), path).toBe(sha256(await readFile(join(repo, path))));
    }
    // Both listed in the cache panel; downloads under way live under partials/, none is left.
    const listed = await page.locator('[data-testid="cache-file"] td:first-child').allTextContents();
    expect(listed).toEqual(expect.arrayContaining(['tokenizer/vocab.json', 'tokenizer/vocab.json.incomplete']));
    expect(Object.keys(await opfsFiles(page)).filter((k) => k.startsWith('partials/'))).toEqual([]);
    expect(await act(page, 'generate', { prompt: 'a cat', seed: 1 })).toBeUndefined();
  });

  it('partials an earlier version left beside the files (X.incomplete) are cleared once, never taken for a file', async () => {
    const page = await e2e.open(await e2e.newContext());
    expect(await act(page, 'download')).toBeUndefined();
    const ours = Object.keys(cachedFiles(await opfsFiles(page)));
    // The old layout, with no marker yet: a complete file of the official Hub's folder, and partials beside files.
    const old = `models/${TINY}/${'0'.repeat(40)}`;
    const legacy = [`${old}/unet/model.onnx`, `${old}/unet/model.onnx.incomplete`, `${old}/vae_decoder/model.onnx.incomplete`];
    await page.evaluate(
      async ([keys, marker]) => {
        const root = await navigator.storage.getDirectory();
        for (const key of keys) {
          let dir = root;
          const parts = key.split('/');
          for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p, { create: true });
          const w = await (await dir.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
          await w.write(new Uint8Array(4096));
          await w.close();
        }
        await root.removeEntry(marker);
      },
      [legacy, MARKER_FILE] as const,
    );
    await page.reload(); // a new engine: its first look at OPFS sweeps the old partials, then writes the marker
    await page.waitForSelector('[data-testid="cache-file"]', { timeout: 0 });
    const files = Object.keys(await opfsFiles(page));
    expect(files.filter((k) => k.endsWith('.incomplete'))).toEqual([]);
    expect(files).toContain(MARKER_FILE);
    expect(files).toEqual(expect.arrayContaining([...ours, legacy[0]]));
  });
});
