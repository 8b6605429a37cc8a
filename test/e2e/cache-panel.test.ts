// The cache panel: readable names, sizes and refs; usage and quota; deleting lowers usage.
// The page prepares a downloaded model in the background; on the CPU backend (wasm) that is
// quick, so deleting does not wait for WebGPU-on-SwiftShader's shader compilation.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { TINY as MODEL, useE2e } from '../support/e2e.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { opfsFiles, opfsSha256 } from '../support/opfs.ts';

const e2e = useE2e({ params: { backend: 'wasm' } });
let hub: Hub;
let page: Page;

beforeAll(async () => {
  hub = e2e.hub;
  page = await e2e.open(await e2e.newContext());
});

const opfsText = (key: string) =>
  page.evaluate(async (k) => {
    let dir = await navigator.storage.getDirectory();
    const parts = k.split('/');
    for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part);
    return (await dir.getFileHandle(parts.at(-1)!)).getFile().then((f) => f.text());
  }, key);
const usage = () => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
const panelFiles = () => page.locator('[data-testid="cache-file"] td:first-child').allTextContents();

describe('cache panel', () => {
  it('lists the cached model by repo, commit, ref and file with sizes', async () => {
    expect(await act(page, 'download')).toBeUndefined();
    const panel = page.getByTestId('cache-panel');
    await expect.poll(panelFiles).toContain('unet/model.onnx');
    const onDisk = Object.entries(await opfsFiles(page)).filter(([k]) => /\/[0-9a-f]{40}\//.test(k));
    expect((await panelFiles()).sort()).toEqual(onDisk.map(([k]) => k.split('/').slice(4).join('/')).sort());
    const commit = onDisk[0][0].split('/')[3];
    const text = (await panel.textContent())!;
    expect(text).toContain(MODEL);
    expect(text).toContain(`commit ${commit.slice(0, 12)} (main)`);
    expect(text).toContain("Stored in this browser's private storage");
    expect(await page.getByTestId('storage-usage').textContent()).toMatch(/This site uses .+ of the .+ the browser allows it/);
  });

  it('deleting a file, then everything, lowers the browser’s usage', async () => {
    const before = await usage();
    const unetRow = page.locator('[data-testid="cache-file"]', { hasText: 'unet/model.onnx' });
    await unetRow.getByTestId('delete-file').click();
    // The page started preparing the model in the background after the download: deleting
    // stops that first, which takes until its current model call ends.
    await expect.poll(panelFiles, { timeout: 60_000 }).not.toContain('unet/model.onnx');
    expect(Object.keys(await opfsFiles(page)).some((k) => k.endsWith('/unet/model.onnx'))).toBe(false);
    const afterFile = await usage();
    expect(before - afterFile).toBeGreaterThan(30_000_000);
    await page.getByTestId('delete-all').click();
    await expect.poll(panelFiles).toEqual([]);
    // What is left after the UNet is ~1 MB, less than the IndexedDB writes (network log) that land
    // meanwhile, so usage is compared with the figure before any deletion; OPFS itself must be empty.
    expect(await usage()).toBeLessThan(before - 30_000_000);
    expect(Object.keys(await opfsFiles(page))).toEqual([]);
  });

  it('the next generate downloads again what was deleted', async () => {
    hub.clearLog();
    expect(await act(page, 'download')).toBeUndefined();
    expect(hub.log.some((r) => r.server === 'cdn' && r.path === 'unet/model.onnx')).toBe(true);
    await expect.poll(panelFiles).toContain('unet/model.onnx');
  });

  it('Verify passes on intact files and names a file with a flipped byte', async () => {
    const repoRow = page.locator('[data-testid="cache-repo"]', { hasText: MODEL });
    await repoRow.getByTestId('verify-repo').click();
    // A background warm-up may hold the engine for a moment: give Verify time.
    await expect.poll(() => repoRow.getByTestId('verify-result').textContent(), { timeout: 30_000 }).toMatch(/^All \d+ files match the Hub's hashes\.$/);
    const key = Object.keys(await opfsFiles(page)).find((k) => k.endsWith('/unet/model.onnx'))!;
    await page.evaluate(async (k) => {
      let dir = await navigator.storage.getDirectory();
      const parts = k.split('/');
      for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part);
      const handle = await dir.getFileHandle(parts.at(-1)!);
      const byte = new Uint8Array(await (await handle.getFile()).slice(1000, 1001).arrayBuffer());
      const w = await handle.createWritable({ keepExistingData: true });
      await w.write({ type: 'write', position: 1000, data: Uint8Array.of(byte[0] ^ 0xff) });
      await w.close();
    }, key);
    await repoRow.getByTestId('verify-repo').click();
    await expect.poll(() => repoRow.getByTestId('verify-result').textContent(), { timeout: 30_000 }).toMatch(/^1 of \d+ files do not match the Hub: unet\/model\.onnx\./);
    // Heal it for what follows: delete the file, download again.
    await page.locator('[data-testid="cache-file"]', { hasText: 'unet/model.onnx' }).getByTestId('delete-file').click();
    expect(await act(page, 'download')).toBeUndefined();
  });

  it('Export writes the Hugging Face cache layout and a plain folder (an OPFS folder stands in for the picked one)', async () => {
    const commit = Object.keys(await opfsFiles(page)).find((k) => k.endsWith('/unet/model.onnx'))!.split('/')[3];
    /** Clicks an Export button, with the folder the person would pick; resolves with how many files it says it wrote. */
    const exportInto = async (button: string, folder: string) => {
      await page.evaluate((name) => {
        (globalThis as any).showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle(name, { create: true });
      }, folder);
      await page.locator(`[data-testid="cache-repo"][data-repo="${MODEL}"]`).getByTestId(button).click();
      await expect.poll(() => page.getByTestId('export-result').textContent()).toContain(`into “${folder}”`);
      return Number(/Wrote (\d+) files/.exec((await page.getByTestId('export-result').textContent())!)![1]);
    };
    await exportInto('export-hf-cache', 'export-hf');
    const plainCount = await exportInto('export-plain', 'export-plain');
    const files = await opfsFiles(page);
    const base = 'export-hf/models--tiny--sd-turbo-tiny';
    expect(await opfsText('export-hf/models--tiny--sd-turbo-tiny/refs/main')).toBe(commit);
    const unetSha = await opfsSha256(page, `models/${MODEL}/${commit}/unet/model.onnx`);
    expect(await opfsSha256(page, `${base}/snapshots/${commit}/unet/model.onnx`)).toBe(unetSha);
    expect(files[`${base}/blobs/${unetSha}`]).toBe(files[`${base}/snapshots/${commit}/unet/model.onnx`]);
    expect(await opfsSha256(page, 'export-plain/unet/model.onnx')).toBe(unetSha);
    expect(Object.keys(files).filter((k) => k.startsWith('export-plain/')).length).toBe(plainCount);
  });

  it('Keep my files asks the browser for persistent storage and shows its answer', async () => {
    const button = page.getByTestId('persist');
    if (await button.count()) {
      await button.click();
      await expect.poll(() => page.getByTestId('storage-usage').textContent()).toMatch(/will keep these files|declined|will not evict/);
    } else {
      expect(await page.getByTestId('storage-usage').textContent()).toContain('will not evict them');
    }
  });
});
