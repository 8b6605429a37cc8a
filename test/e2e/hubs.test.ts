// Links that name another hub (`?hub=`), and what such a hub can do to the cache. The official
// Hub is stood in by a local hub behind `context.route('https://huggingface.co/**')` (pages and
// workers alike), so the app meets it exactly as it would the real one: no `?hub=`, no question.
// Downloads and generation on the CPU backend (which hub answered is not the backend's business).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { copyStandIn, HUB_ROOT, OFFICIAL_HUB, TINY, useE2e } from '../support/e2e.ts';
import { serveOfficialHubFrom } from '../support/official-hub.ts';
import { pixelDiff, resultPixels } from '../support/pixels.ts';
import { referenceImage } from '../support/reference.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';
import { writeTinyModel } from '../../tools/tiny-model/tiny-model.ts';

const ALICE = 'hf_aliceGrantedToken0123456789';
const GATED = 'tiny/gated';
const PROMPT = 'a photo of a cat';
const SEED = 21;

// The hub a link names: the stand-ins, a gated repo, and alice's token.
const e2e = useE2e({
  params: { backend: 'wasm' },
  root: async (dir) => {
    await copyStandIn(dir, TINY);
    await copyStandIn(dir, GATED);
    await writeFile(join(dir, 'hub.json'), JSON.stringify({ tokens: { [ALICE]: { name: 'alice', role: 'read' } }, repos: { [GATED]: { gated: 'manual', granted: ['alice'] } } }));
  },
});

let official: Hub;
/** A hub that claims the official Hub's commit for TINY and serves other weights of the same sizes. */
let lying: Hub;
let lyingRoot: string;
let officialCommit: string;

beforeAll(async () => {
  official = await startHub({ root: HUB_ROOT });
  officialCommit = (await (await fetch(`${official.url}/api/models/${TINY}/revision/main`)).json()).sha;
  lyingRoot = await mkdtemp(join(tmpdir(), 'lying-hub-'));
  await writeTinyModel(join(lyingRoot, TINY), { seed: 7 });
  await writeFile(join(lyingRoot, 'hub.json'), JSON.stringify({ repos: { [TINY]: { sha: officialCommit } } }));
  lying = await startHub({ root: lyingRoot });
});
afterAll(async () => {
  await official?.close();
  await lying?.close();
  if (lyingRoot) await rm(lyingRoot, { recursive: true, force: true });
});

/** Requests a hub received, without CORS preflights. */
const received = (hub: Hub) => hub.log.filter((r) => r.method !== 'OPTIONS');
/** Calls the engine from the page as a page that skipped the question would (`studio.engine`, the store's debug hook). */
const engineCall = (page: Page, method: string, ...args: unknown[]) =>
  page.evaluate(
    async ([method, args]) => {
      const engine = (globalThis as any).studio.engine;
      return engine[method](...args).then(() => 'resolved', (err: Error) => `${err.name}: ${err.message}`);
    },
    [method, args] as const,
  );

describe('a link that names another hub', () => {
  it('makes no request there until the person confirms it, and a pasted token reaches it only after that', async () => {
    e2e.hub.clearLog();
    const page = await e2e.open(await e2e.newContext(), { model: GATED }, { confirmHub: false });
    const question = page.getByTestId('hub-question');
    await question.waitFor();
    expect(await question.textContent()).toContain(`Use the hub at ${e2e.hub.url}? Tokens you paste will be sent there`);
    expect(await page.$('[data-testid="hub-badge"]')).toBeNull();

    // The person pastes a token and clicks everything; the page sends nothing…
    await page.getByTestId('token').fill(ALICE);
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByTestId('token-status').textContent()).toContain('Nothing has been sent there');
    expect(await page.getByTestId('token').inputValue()).toBe(ALICE); // kept for after the answer
    expect(await act(page, 'generate')).toContain(`Nothing was sent to ${e2e.hub.url}`);
    // …and the engine refuses on its own, whatever the page asks (it is the one that makes requests).
    const source = { hubUrl: e2e.hub.url, model: GATED, revision: 'main', backend: 'wasm' };
    for (const [method, args] of [['signIn', [e2e.hub.url, ALICE, false]], ['inspect', [source]], ['download', [source]], ['warmUp', [source]]] as const) {
      expect(await engineCall(page, method, ...args), method).toMatch(/^HubNotConfirmedError: The link asks to use the hub at http:\/\/127\.0\.0\.1:\d+, .*Nothing has been sent there/);
    }
    expect(received(e2e.hub)).toEqual([]);

    // Confirmed: the model card comes from there, the badge says which hub is in use.
    await page.getByTestId('hub-confirm').click();
    await page.getByTestId('hub-badge').waitFor();
    expect(await page.getByTestId('hub-badge').textContent()).toContain(`Hub: ${e2e.hub.url}, not the official Hugging Face Hub`);
    await page.waitForSelector('[data-testid="model-card"]');
    expect(await page.getByTestId('gated').textContent()).toBe('gated');
    expect(received(e2e.hub).length).toBeGreaterThan(0);
    expect(received(e2e.hub).every((r) => r.headers.authorization === undefined)).toBe(true);
    // Only now does the token still in the field go there: with the next click, to whoami first.
    expect(await act(page, 'download')).toBeUndefined();
    expect(await page.getByTestId('token-status').textContent()).toContain('Signed in as alice');
    const withToken = received(e2e.hub).filter((r) => r.headers.authorization === `Bearer ${ALICE}`);
    expect(withToken[0]?.url).toBe('/api/whoami-v2');

    // Remembered for this origin: a reload asks nothing; “Stop using it” asks again and the engine refuses again.
    await page.reload();
    await page.getByTestId('hub-badge').waitFor();
    expect(await page.$('[data-testid="hub-question"]')).toBeNull();
    await page.getByTestId('hub-forget').click();
    await question.waitFor();
    e2e.hub.clearLog();
    expect(await engineCall(page, 'inspect', source)).toMatch(/^HubNotConfirmedError/);
    expect(received(e2e.hub)).toEqual([]);
  });

  it('a token is never sent to another origin than the hub it was entered for', async () => {
    const context = await e2e.newContext();
    const page = await e2e.open(context, { model: GATED });
    await page.getByTestId('token').fill(ALICE);
    await page.getByTestId('sign-in').click();
    await expect.poll(() => page.getByTestId('token-status').textContent()).toContain('Signed in as alice');
    // Another hub, confirmed too, in the same browser: alice's token stays with the first one.
    lying.clearLog();
    const other = await e2e.open(context, { hub: lying.url });
    expect(await act(other, 'download')).toBeUndefined();
    expect(received(lying).length).toBeGreaterThan(3);
    expect(lying.log.filter((r) => r.headers.authorization !== undefined)).toEqual([]);
    expect(JSON.stringify(lying.log)).not.toContain(ALICE);
  });

  it('only http(s) hubs: ?hub=javascript:… is refused and said, and becomes no link and no request', async () => {
    const page = await e2e.open(await e2e.newContext(), { hub: 'javascript:alert(document.domain)//' }, { confirmHub: false });
    await page.getByTestId('hub-refused').waitFor();
    expect(await page.getByTestId('hub-refused').textContent()).toContain('only http: and https: hubs are used');
    expect(await page.evaluate(() => (globalThis as any).studio.settings.hubUrl)).toBe(OFFICIAL_HUB);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(await engineCall(page, 'hubStatus', 'javascript:alert(1)')).toMatch(/^InvalidHubUrlError: .*only http: and https: hubs are used/);
    expect(await engineCall(page, 'inspect', { hubUrl: 'data:text/html,x', model: TINY, revision: 'main' })).toMatch(/^InvalidHubUrlError/);
  });
});

describe('files from one hub are never another’s', () => {
  let context: BrowserContext;
  let reference: number[];
  let lyingReference: number[];

  beforeAll(async () => {
    context = await e2e.newContext({ serviceWorkers: 'block' });
    await serveOfficialHubFrom(context, official);
    reference = [...(await referenceImage(join(HUB_ROOT, TINY), { prompt: PROMPT, seed: SEED, steps: 1 })).image.data];
    lyingReference = [...(await referenceImage(join(lyingRoot, TINY), { prompt: PROMPT, seed: SEED, steps: 1 })).image.data];
    // The attack needs other pictures from files of the same sizes under the same commit.
    expect(Math.max(...pixelDiff(reference, lyingReference).max)).toBeGreaterThan(20);
  });

  const closeTo = (pixels: number[], ref: number[]) => Math.max(...pixelDiff(pixels, ref).max) <= 1;

  it('a hub that serves the official commit sha does not change what the official Hub’s cache entry runs', async () => {
    // First the link to the lying hub: it lists the official commit and serves its own weights.
    const viaLink = await e2e.open(context, { hub: lying.url });
    expect(await act(viaLink, 'generate', { prompt: PROMPT, seed: SEED })).toBeUndefined();
    expect(await viaLink.getByTestId('model-info').textContent()).toContain(officialCommit.slice(0, 10));
    expect(closeTo((await resultPixels(viaLink)).data, lyingReference)).toBe(true);
    await viaLink.close();

    // Then the official Hub: it downloads its own files and makes its own picture.
    official.clearLog();
    const page = await e2e.open(context, { hub: OFFICIAL_HUB });
    expect(await page.$('[data-testid="hub-question"], [data-testid="hub-badge"]')).toBeNull();
    expect(await act(page, 'generate', { prompt: PROMPT, seed: SEED })).toBeUndefined();
    expect(official.log.some((r) => r.server === 'cdn' && r.path === 'unet/model.onnx')).toBe(true);
    expect(closeTo((await resultPixels(page)).data, reference)).toBe(true);

    // Offline too, the official Hub's entry is the official Hub's files.
    await page.getByTestId('offline').check();
    expect(await act(page, 'generate', { prompt: PROMPT, seed: SEED })).toBeUndefined();
    expect(await page.getByTestId('model-info').textContent()).toContain('offline mode');
    expect(closeTo((await resultPixels(page)).data, reference)).toBe(true);

    // The cache panel shows two entries of the same repo and commit, the other hub's said as such.
    const repos = page.locator(`[data-testid="cache-repo"][data-repo="${TINY}"]`);
    expect(await repos.evaluateAll((els) => els.map((e) => e.getAttribute('data-hub')))).toEqual([OFFICIAL_HUB, new URL(lying.url).origin]);
    expect(await repos.nth(1).getByTestId('cache-hub').textContent()).toBe(`from ${new URL(lying.url).origin}`);
    expect(await repos.nth(0).getByTestId('cache-hub').count()).toBe(0);
  });

  it('the engine does not reuse one hub’s open model for another hub’s same repo and commit', async () => {
    const page = await e2e.open(context, { hub: OFFICIAL_HUB });
    const pixels = (hubUrl: string) =>
      page.evaluate(
        async ([hubUrl, prompt, seed]) => {
          const out = await (globalThis as any).studio.engine.generate({ hubUrl, model: 'tiny/sd-turbo-tiny', revision: 'main', backend: 'wasm', offline: true }, { prompt, seed, steps: 1 });
          return { commit: out.model.commit as string, data: Array.from(out.images[0].image.data as Uint8ClampedArray) };
        },
        [hubUrl, PROMPT, SEED] as const,
      );
    const first = await pixels(OFFICIAL_HUB);
    const second = await pixels(lying.url);
    expect(second.commit).toBe(first.commit);
    expect(closeTo(first.data, reference)).toBe(true);
    expect(closeTo(second.data, lyingReference)).toBe(true);
  });
});

describe('one repo, two names', () => {
  it('a repo asked for in another letter case is kept under the hub’s own id, the asked one as an alias; it runs, offline too', async () => {
    const asked = 'TINY/SD-Turbo-Tiny';
    const page = await e2e.open(await e2e.newContext(), { model: asked });
    expect(await act(page, 'download')).toBeUndefined();
    expect(await act(page, 'generate', { prompt: PROMPT, seed: SEED })).toBeUndefined();
    const repo = page.locator('[data-testid="cache-repo"]');
    expect(await repo.evaluateAll((els) => els.map((e) => e.getAttribute('data-repo')))).toEqual([TINY]);
    expect(await repo.textContent()).toContain(`(asked for as ${asked})`);
    e2e.hub.clearLog();
    await page.getByTestId('offline').check();
    expect(await act(page, 'generate', { prompt: PROMPT, seed: SEED + 1 })).toBeUndefined();
    expect(received(e2e.hub)).toEqual([]);
  });
});
