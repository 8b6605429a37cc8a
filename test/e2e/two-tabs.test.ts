// Two tabs downloading the same model at once: Web Locks make each file download once.
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act, openApp } from '../support/app-driver.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { opfsSha256 } from '../support/opfs.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { ensureTinyModel } from '../../tools/tiny-model/tiny-model.ts';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = '.cache/hub-root';
const MODEL = 'tiny/sd-turbo-tiny';
let stack: Stack;
let hub: Hub;
let context: BrowserContext;
let repoDir: string;

beforeAll(async () => {
  repoDir = await ensureTinyModel(ROOT, MODEL);
  stack = await startStack(ROOT);
  hub = stack.hub;
  context = await stack.browser.newContext();
});
afterAll(() => stack?.close());

describe('two tabs', () => {
  it('download each file once; the second tab waits and then uses the first tab’s files', async () => {
    // Slow enough that both tabs are surely downloading at the same time.
    hub.faults.set([{ path: 'unet/model.onnx', throttleBytesPerSec: 20_000_000, times: 'always' }]);
    const [a, b] = await Promise.all([0, 1].map(() => openApp(context, stack.app.url, { hub: hub.url, model: MODEL })));
    hub.clearLog();
    const [ea, eb] = await Promise.all([act(a, 'download'), act(b, 'download')]);
    expect([ea, eb]).toEqual([undefined, undefined]);
    const gets = hub.log.filter((r) => r.method === 'GET' && (r.server === 'cdn' || r.url.includes('/resolve-cache/')));
    const perFile = new Map<string, number>();
    for (const r of gets) perFile.set(r.path!, (perFile.get(r.path!) ?? 0) + 1);
    expect(perFile.size).toBeGreaterThanOrEqual(10);
    expect([...perFile.values()].every((n) => n === 1)).toBe(true);
    const downloaded = await Promise.all([a, b].map(async (p) => Number(await p.getByTestId('download-info').getAttribute('data-downloaded-bytes'))));
    expect(Math.min(...downloaded)).toBe(0); // one tab fetched everything, the other nothing
    const key = (await b.evaluate(() => document.querySelector('[data-testid="download-info"] code')?.textContent)) ?? '';
    expect(key).toMatch(/^[0-9a-f]{10}$/);
    const want = createHash('sha256').update(await readFile(join(repoDir, 'unet/model.onnx'))).digest('hex');
    const commit = hub.log.find((r) => r.url.includes('/resolve/'))!.url.split('/')[4];
    expect(await opfsSha256(b, `models/${MODEL}/${commit}/unet/model.onnx`)).toBe(want);
    hub.faults.clear();
  });
});
