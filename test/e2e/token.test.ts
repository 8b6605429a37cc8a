// The token: checked with whoami, used only for the Hub's origin, kept only if asked;
// gated models say what to do. Real app, real Chromium, the local hub with hub.json. (Downloads
// only, on the CPU backend: the page's background preparation of the model is quick there.)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { copyStandIn, useE2e } from '../support/e2e.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { opfsFiles } from '../support/opfs.ts';
import { findInStorage } from '../support/storage-scan.ts';

const ALICE = 'hf_aliceGrantedToken0123456789';
const BOB = 'hf_bobNotGrantedToken987654321';
const GATED = 'tiny/gated';

const hubJson = (root: string, granted: string[]) =>
  writeFile(join(root, 'hub.json'), JSON.stringify({
    tokens: { [ALICE]: { name: 'alice', role: 'read' }, [BOB]: { name: 'bob', role: 'read' } },
    repos: { [GATED]: { gated: 'manual', granted, license: 'openrail' } },
  }));

const e2e = useE2e({
  params: { backend: 'wasm', model: GATED },
  root: async (dir) => {
    await copyStandIn(dir, GATED);
    await hubJson(dir, ['alice']);
  },
});
let hub: Hub;
let context: BrowserContext;

beforeAll(() => {
  hub = e2e.hub;
});
beforeEach(async () => {
  await hubJson(e2e.root, ['alice']);
  context = await e2e.newContext();
  hub.clearLog();
});

async function signIn(page: import('playwright-core').Page, token: string, remember = false) {
  await page.getByTestId('token').fill(token);
  if (remember) await page.getByTestId('remember-token').check();
  await page.getByTestId('sign-in').click();
  await page.waitForSelector('[data-testid="token-status"]');
  return page.getByTestId('token-status').textContent();
}

/** Everything the servers received, as text, except Authorization headers sent to the hub origin. */
const everythingButHubAuth = () =>
  hub.log.map((r) => JSON.stringify({ ...r, headers: { ...r.headers, authorization: r.server === 'hub' ? undefined : r.headers.authorization } })).join('\n');

describe('token and gated models', () => {
  it('an invalid token gets a clear message and is kept nowhere', async () => {
    const page = await e2e.open(context);
    expect(await signIn(page, 'hf_notAValidToken', true)).toContain('The Hub does not accept this token');
    expect(await page.getByTestId('token').inputValue()).toBe('');
    expect(await findInStorage(page, 'hf_notAValidToken')).toEqual([]);
  });

  it('gated, anonymous: shows license and gating first, then asks for a token; nothing is marked complete', async () => {
    const page = await e2e.open(context);
    await page.waitForSelector('[data-testid="model-card"]');
    expect(await page.getByTestId('license').textContent()).toBe('openrail');
    expect(await page.getByTestId('gated').textContent()).toBe('gated');
    expect(await page.locator('[data-testid="model-card"] a').first().getAttribute('href')).toBe(`${hub.url}/${GATED}`);
    expect(await act(page, 'generate')).toContain('This model is gated: paste your Hugging Face token');
    expect(Object.keys(await opfsFiles(page)).filter((k) => k.endsWith('.onnx'))).toEqual([]);
    // "Paste your token" opens the token panel (even when folded) and puts the cursor in the field.
    await page.locator('details.token > summary').click();
    await page.getByTestId('focus-token').click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('token');
    expect(await page.locator('details.token').getAttribute('open')).not.toBeNull();
  });

  it('gated, not granted: names the account and the page; works without a reload once granted', async () => {
    const page = await e2e.open(context);
    expect(await signIn(page, BOB)).toContain('Signed in as bob (read token)');
    expect(await act(page, 'download')).toContain(`Your account bob has not been granted access: visit ${hub.url}/${GATED} and accept the license`);
    await hubJson(e2e.root, ['alice', 'bob']);
    expect(await act(page, 'download')).toBeUndefined();
    expect(Object.keys(await opfsFiles(page)).filter((k) => k.endsWith('/unet/model.onnx'))).toHaveLength(1);
  });

  it('the token goes to the hub origin only, and is stored nowhere unless remembered', async () => {
    const page = await e2e.open(context);
    expect(await signIn(page, ALICE)).toContain('Signed in as alice (read token), for this visit only');
    expect(await act(page, 'download')).toBeUndefined();
    const hubAuth = hub.log.filter((r) => r.server === 'hub' && r.headers.authorization === `Bearer ${ALICE}`);
    expect(hubAuth.length).toBeGreaterThan(5); // whoami, revision, resolves
    expect(hub.log.filter((r) => r.server === 'cdn').length).toBeGreaterThan(0);
    expect(everythingButHubAuth()).not.toContain(ALICE);
    expect(await findInStorage(page, ALICE)).toEqual([]);
    await page.locator('[data-testid="network-panel"] summary').click();
    await page.waitForSelector('[data-testid="network-entry"]');
    const panel = (await page.getByTestId('network-panel').textContent())!;
    expect(panel).toContain('/api/whoami-v2');
    expect(panel).not.toContain(ALICE);
    // A reload forgets a token that was not remembered.
    await page.reload();
    expect(await page.$('[data-testid="token-status"]')).toBeNull();
  });

  it('remember keeps it in IndexedDB across reloads; forget deletes it', async () => {
    const page = await e2e.open(context);
    expect(await signIn(page, ALICE, true)).toContain('remembered on this device');
    expect((await findInStorage(page, ALICE)).every((w) => w.startsWith('indexedDB:'))).toBe(true);
    expect(await findInStorage(page, ALICE)).toHaveLength(1);
    await page.reload();
    await page.waitForSelector('[data-testid="token-status"]');
    expect(await page.getByTestId('token-status').textContent()).toContain('Signed in as alice');
    expect(await act(page, 'download')).toBeUndefined();
    await page.getByTestId('forget-token').click();
    await expect.poll(() => page.getByTestId('token-status').textContent()).toContain('Token forgotten');
    expect(await findInStorage(page, ALICE)).toEqual([]);
    await page.reload();
    await page.waitForSelector('[data-testid="model-card"]');
    expect(await page.$('[data-testid="token-status"]')).toBeNull();
  });
});
