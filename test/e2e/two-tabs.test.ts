// Two tabs downloading the same model at once: Web Locks make each file download once.
// (Downloads only, on the CPU backend: the page's background preparation of the model is quick there.)
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { TINY as MODEL, useE2e } from '../support/e2e.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { opfsSha256 } from '../support/opfs.ts';

const e2e = useE2e({ params: { backend: 'wasm' } });
let hub: Hub;
let context: BrowserContext;
let repoDir: string;

beforeAll(async () => {
  repoDir = join(e2e.root, MODEL);
  hub = e2e.hub;
  context = await e2e.newContext();
});

describe('two tabs', () => {
  it('download each file once; the second tab waits and then uses the first tab’s files', async () => {
    // Slow enough that both tabs are surely downloading at the same time.
    hub.faults.set([{ path: 'unet/model.onnx', throttleBytesPerSec: 20_000_000, times: 'always' }]);
    const [a, b] = await Promise.all([0, 1].map(() => e2e.open(context)));
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
