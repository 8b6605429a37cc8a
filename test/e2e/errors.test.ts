// Bad input in the real app: a clear message in data-testid="error", and nothing half-written
// ever marked complete.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { act, openApp } from '../support/app-driver.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { opfsFiles } from '../support/opfs.ts';
import { ensureTinyModel } from '../../tools/tiny-model/tiny-model.ts';

const MODEL = 'tiny/sd-turbo-tiny';
let root: string;
let stack: Stack;
let hub: Hub;
let app: Stack['app'];
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-errors-'));
  const repo = await ensureTinyModel(root, MODEL);
  await cp(repo, join(root, 'tiny/no-unet'), { recursive: true, filter: (src) => !src.includes('/unet') });
  ({ hub, app, browser } = stack = await startStack(root));
});
afterAll(async () => {
  await stack?.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  context = await browser.newContext(); // a fresh profile: empty OPFS
  hub.faults.clear();
  hub.clearLog();
});
afterEach(() => context.close());

const fileRequests = () => hub.log.filter((r) => r.server === 'cdn' || /\/(resolve|resolve-cache)\//.test(r.url));
const unetGets = () => hub.log.filter((r) => r.server === 'cdn' && r.path === 'unet/model.onnx' && r.method === 'GET');
const unetPartial = (files: Record<string, number>) => Object.entries(files).find(([k]) => k.endsWith('/unet/model.onnx.incomplete'))?.[1];

/** Opens the app and starts a slow download, returning once the UNet is a few MB in. */
async function slowDownloadUnderWay() {
  hub.faults.add({ path: 'unet/model.onnx', throttleBytesPerSec: 8_000_000, times: 1 });
  const page = await openApp(context, app.url, { hub: hub.url, model: MODEL });
  await page.getByTestId('download').click();
  await expect.poll(() => unetGets()[0]?.bytesSent ?? 0, { timeout: 30_000 }).toBeGreaterThan(4_000_000);
  return page;
}

const completeUnet = (files: Record<string, number>) => Object.keys(files).filter((k) => k.endsWith('/unet/model.onnx'));

describe('bad input gets a clear message and loses nothing', () => {
  it('hub unreachable and nothing cached', async () => {
    const page = await openApp(context, app.url, { hub: 'http://127.0.0.1:9', model: MODEL });
    const error = await act(page, 'generate');
    expect(error).toContain('Cannot reach the Hub at http://127.0.0.1:9');
    expect(error).toContain('not in the cache yet');
  });

  it('repository not found', async () => {
    const page = await openApp(context, app.url, { hub: hub.url, model: 'tiny/does-not-exist' });
    expect(await act(page, 'generate')).toMatch(/tiny\/does-not-exist: repository not found/);
    expect(fileRequests()).toEqual([]);
  });

  it('a revision that does not exist', async () => {
    const page = await openApp(context, app.url, { hub: hub.url, model: MODEL, revision: 'no-such-branch' });
    expect(await act(page, 'download')).toMatch(/revision not found/);
  });

  it('a repo without the files the pipeline needs: said before downloading anything', async () => {
    const page = await openApp(context, app.url, { hub: hub.url, model: 'tiny/no-unet' });
    expect(await act(page, 'generate')).toContain('has no unet/model.onnx');
    expect(fileRequests()).toEqual([]);
  });

  it('a listed file the server cannot find', async () => {
    hub.faults.add({ path: 'unet/model.onnx', target: 'resolve', status: 404, times: 'always' });
    const page = await openApp(context, app.url, { hub: hub.url, model: MODEL });
    expect(await act(page, 'download')).toMatch(/unet\/model\.onnx: file not found/);
    expect(completeUnet(await opfsFiles(page))).toEqual([]);
  });

  it('a server that keeps failing: gives up with the reason, keeps the partial, resumes later', async () => {
    // A slow first response, so that the drop surely comes after some bytes were written.
    hub.faults.add(
      { path: 'unet/model.onnx', dropAfterBytes: 3_000_000, throttleBytesPerSec: 6_000_000, times: 1 },
      { path: 'unet/model.onnx', status: 503, times: 'always' },
    );
    const page = await openApp(context, app.url, { hub: hub.url, model: MODEL });
    const error = await act(page, 'download');
    expect(error).toMatch(/503/);
    const files = await opfsFiles(page);
    expect(completeUnet(files)).toEqual([]);
    // What arrived before the drop is kept (bytes still in flight when the socket died are not).
    const partial = unetPartial(files)!;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThanOrEqual(3_000_000);

    hub.faults.clear();
    hub.clearLog();
    expect(await act(page, 'download')).toBeUndefined();
    expect(unetGets().map((r) => r.range)).toEqual([`bytes=${partial}-`]);
    expect(completeUnet(await opfsFiles(page))).toHaveLength(1);
  });

  it('pause keeps what arrived; resume continues from there', async () => {
    const page = await slowDownloadUnderWay();
    await page.getByTestId('pause').click();
    await page.waitForSelector('[data-testid="resume"]');
    expect(await page.getByRole('status').textContent()).toContain('Paused');
    expect(await page.$('[data-testid="error"]')).toBeNull();
    const kept = unetPartial(await opfsFiles(page));
    hub.clearLog();
    await page.getByTestId('resume').click();
    await page.waitForSelector('[data-testid="download-info"]', { timeout: 60_000 });
    expect(unetGets().map((r) => r.range)).toEqual([`bytes=${kept}-`]);
    expect(completeUnet(await opfsFiles(page))).toHaveLength(1);
  });

  it('cancel stops the download, keeps what arrived, and the next attempt continues from there', async () => {
    const page = await slowDownloadUnderWay();
    await page.getByTestId('cancel').click();
    await page.waitForSelector('[data-testid="error"]');
    expect(await page.getByTestId('error').textContent()).toContain('Cancelled');
    const files = await opfsFiles(page);
    expect(completeUnet(files)).toEqual([]);
    const kept = unetPartial(files)!;
    expect(kept).toBeGreaterThan(3_000_000);

    hub.clearLog();
    expect(await act(page, 'download')).toBeUndefined();
    expect(unetGets().map((r) => r.range)).toEqual([`bytes=${kept}-`]);
  });
});
