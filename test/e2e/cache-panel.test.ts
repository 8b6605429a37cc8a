// The cache panel: readable names, sizes and refs; usage and quota; deleting lowers usage.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act, openApp } from '../support/app-driver.ts';
import type { Hub } from '../support/hub-server.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { opfsFiles } from '../support/opfs.ts';
import { ensureTinyModel } from '../support/tiny-model.ts';

const ROOT = '.cache/hub-root';
const MODEL = 'tiny/sd-turbo-tiny';
let stack: Stack;
let hub: Hub;
let app: Stack['app'];
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  await ensureTinyModel(ROOT, MODEL);
  ({ hub, app, browser } = stack = await startStack(ROOT));
  context = await browser.newContext();
  page = await openApp(context, app.url, { hub: hub.url, model: MODEL });
});
afterAll(async () => {
  await stack?.close();
});

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
    await expect.poll(panelFiles).not.toContain('unet/model.onnx');
    expect(Object.keys(await opfsFiles(page)).some((k) => k.endsWith('/unet/model.onnx'))).toBe(false);
    const afterFile = await usage();
    expect(before - afterFile).toBeGreaterThan(30_000_000);
    await page.getByTestId('delete-all').click();
    await expect.poll(panelFiles).toEqual([]);
    expect(await usage()).toBeLessThan(afterFile);
    expect(Object.keys(await opfsFiles(page))).toEqual([]);
  });

  it('the next generate downloads again what was deleted', async () => {
    hub.clearLog();
    expect(await act(page, 'download')).toBeUndefined();
    expect(hub.log.some((r) => r.server === 'cdn' && r.path === 'unet/model.onnx')).toBe(true);
    await expect.poll(panelFiles).toContain('unet/model.onnx');
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
