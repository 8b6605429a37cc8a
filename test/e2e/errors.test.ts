// Bad input in the real app: a clear message in data-testid="error", and nothing half-written
// ever marked complete. Downloads and messages do not depend on the backend: the CPU one (wasm)
// keeps the page's background preparation of a downloaded model short.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { act, waitForPartial } from '../support/app-driver.ts';
import { copyStandIn, TINY as MODEL, useE2e } from '../support/e2e.ts';
import { opfsFiles } from '../support/opfs.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';

const e2e = useE2e({
  params: { backend: 'wasm' },
  root: async (dir) => {
    const repo = await copyStandIn(dir, MODEL);
    await cp(repo, join(dir, 'tiny/no-unet'), { recursive: true, filter: (src) => !src.includes('/unet') });
  },
});
let hub: Hub;
let context: BrowserContext;

beforeAll(() => {
  hub = e2e.hub;
});
beforeEach(async () => {
  context = await e2e.newContext(); // a fresh profile: empty OPFS
  hub.faults.clear();
  hub.clearLog();
});

const fileRequests = () => hub.log.filter((r) => r.server === 'cdn' || /\/(resolve|resolve-cache)\//.test(r.url));
const unetGets = () => hub.log.filter((r) => r.server === 'cdn' && r.path === 'unet/model.onnx' && r.method === 'GET');
const unetPartial = (files: Record<string, number>) => Object.entries(files).find(([k]) => k.endsWith('/unet/model.onnx.incomplete'))?.[1];

/**
 * Opens the app and starts a download that stops after the UNet's first 6 MB (the server holds
 * the connection), returning once those are in the partial file: surely under way, on any machine.
 */
async function downloadUnderWay() {
  hub.faults.add({ path: 'unet/model.onnx', stallAfterBytes: 6_000_000, times: 1 });
  const page = await e2e.open(context);
  await page.getByTestId('download').click();
  await waitForPartial(page, 'unet/model.onnx', 6_000_000);
  return page;
}

const completeUnet = (files: Record<string, number>) => Object.keys(files).filter((k) => k.endsWith('/unet/model.onnx'));

describe('bad input gets a clear message and loses nothing', () => {
  it('hub unreachable and nothing cached', async () => {
    const page = await e2e.open(context, { hub: 'http://127.0.0.1:9' });
    const error = await act(page, 'generate');
    expect(error).toContain('Cannot reach the Hub at http://127.0.0.1:9');
    expect(error).toContain('not in the cache yet');
  });

  it('repository not found', async () => {
    const page = await e2e.open(context, { model: 'tiny/does-not-exist' });
    expect(await act(page, 'generate')).toMatch(/tiny\/does-not-exist: repository not found/);
    expect(fileRequests()).toEqual([]);
  });

  it('a revision that does not exist', async () => {
    const page = await e2e.open(context, { revision: 'no-such-branch' });
    expect(await act(page, 'download')).toMatch(/revision not found/);
  });

  it('a repo without the files the pipeline needs: said before downloading anything', async () => {
    const page = await e2e.open(context, { model: 'tiny/no-unet' });
    expect(await act(page, 'generate')).toContain('has no unet/model.onnx');
    expect(fileRequests()).toEqual([]);
  });

  it('a listed file the server cannot find', async () => {
    hub.faults.add({ path: 'unet/model.onnx', target: 'resolve', status: 404, times: 'always' });
    const page = await e2e.open(context);
    expect(await act(page, 'download')).toMatch(/unet\/model\.onnx: file not found/);
    expect(completeUnet(await opfsFiles(page))).toEqual([]);
  });

  it('a server that keeps failing: gives up with the reason, keeps the partial, resumes later', async () => {
    // A slow first response, so that the drop surely comes after some bytes were written.
    hub.faults.add(
      { path: 'unet/model.onnx', dropAfterBytes: 3_000_000, throttleBytesPerSec: 6_000_000, times: 1 },
      { path: 'unet/model.onnx', status: 503, times: 'always' },
    );
    const page = await e2e.open(context);
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
    const page = await downloadUnderWay();
    await page.getByTestId('pause').click();
    await page.waitForSelector('[data-testid="resume"]');
    expect(await page.getByRole('status').textContent()).toContain('Paused');
    expect(await page.$('[data-testid="error"]')).toBeNull();
    const kept = unetPartial(await opfsFiles(page));
    hub.clearLog();
    await page.getByTestId('resume').click();
    await page.waitForSelector('[data-testid="download-info"]', { timeout: 0 });
    expect(unetGets().map((r) => r.range)).toEqual([`bytes=${kept}-`]);
    expect(completeUnet(await opfsFiles(page))).toHaveLength(1);
  });

  it('cancel stops the download, keeps what arrived, and the next attempt continues from there', async () => {
    const page = await downloadUnderWay();
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
