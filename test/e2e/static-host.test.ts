// The built app on a plain static host that applies dist/_headers (the Netlify / Cloudflare
// Pages format, written by the build from CONTENT_SECURITY_POLICY): the engine's worker gets the
// policy from its own response headers and cannot reach an origin the policy does not list; no
// other site can frame the app (here and under `npm start`); and the service worker keeps only
// the app's own page as the offline app, whatever else in its scope was opened.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY_HEADER } from '../../vite.config.ts';
import { startApp } from '../../tools/app-server.ts';
import { launchChromium } from '../support/browser.ts';
import { parseHeadersFile, serveStatic, startServer, type Reply } from '../support/static-host.ts';

const DIST = resolve('dist');
// Any origin the policy does not list: 127.0.0.2 is this machine too, but not `http://127.0.0.1:*`.
const OTHER_HOST = '127.0.0.2';
// The app asks a hub on a closed local port: nothing leaves the machine, and the page settles at once.
const QUERY = `?${new URLSearchParams({ hub: 'http://127.0.0.1:9', model: 'tiny/not-here' })}`;

let browser: Browser;
let hosted: Awaited<ReturnType<typeof serveStatic>>;
let bare: Awaited<ReturnType<typeof serveStatic>>;
let other: Awaited<ReturnType<typeof startServer>>;
let preview: Awaited<ReturnType<typeof startApp>>;

beforeAll(async () => {
  browser = await launchChromium();
  hosted = await serveStatic(DIST, { applyHeadersFile: true });
  bare = await serveStatic(DIST, { applyHeadersFile: false });
  preview = await startApp();
  other = await startServer(OTHER_HOST, async (req): Promise<Reply> => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/embed') {
      return { status: 200, headers: { 'Content-Type': 'text/html' }, body: `<!doctype html><iframe src="${url.searchParams.get('app')}/"></iframe>` };
    }
    return { status: 200, headers: { 'Access-Control-Allow-Origin': '*' }, body: 'collected' };
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([hosted?.close(), bare?.close(), other?.close(), preview?.close()]);
});

/** Opens the app on `appUrl` and returns the page with its engine worker. */
async function openWithEngine(appUrl: string): Promise<{ page: Page; engine: Worker }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const engine = page.waitForEvent('worker', { predicate: (w) => new URL(w.url()).pathname.startsWith('/assets/worker') });
  await page.goto(`${appUrl}/${QUERY}`);
  return { page, engine: await engine };
}

/** Asks `target` from the page or a worker; says whether the request went out. */
const tryFetch = (where: Page | Worker, target: string) =>
  (where as Worker).evaluate((url: string) => fetch(url).then(() => 'sent', (e: Error) => `blocked (${e.message})`), target);

const requestsFor = (path: string) => other.seen.filter((r) => r.path === path);

describe('a static host applying dist/_headers', () => {
  it('gets the whole policy, frame-ancestors included, as a header for every path', async () => {
    const rules = parseHeadersFile(await readFile(resolve(DIST, '_headers'), 'utf8'));
    expect(rules).toEqual([{ pattern: '/*', headers: expect.arrayContaining([['Content-Security-Policy', CONTENT_SECURITY_POLICY_HEADER]]) }]);
    expect(CONTENT_SECURITY_POLICY_HEADER).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY_HEADER).toContain("connect-src 'self' https://huggingface.co");
    // The service worker's list of the app's files does not name the host's file.
    expect(JSON.parse(await readFile(resolve(DIST, 'asset-manifest.json'), 'utf8'))).not.toContain('./_headers');
    // `npm start` sends the same header on the page and on the engine's script.
    const page = await fetch(`${preview.url}/`);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY_HEADER);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("blocks the engine worker's requests to an origin the policy does not list", async () => {
    const { page, engine } = await openWithEngine(hosted.url);
    const workerScript = await fetch(engine.url());
    expect(workerScript.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY_HEADER);
    expect(await tryFetch(engine, `${other.url}/from-hosted-worker`)).toMatch(/^blocked/);
    expect(await tryFetch(page, `${other.url}/from-hosted-page`)).toMatch(/^blocked/);
    expect(requestsFor('/from-hosted-worker')).toEqual([]);
    expect(requestsFor('/from-hosted-page')).toEqual([]);
    await page.context().close();
  });

  it('is what covers the worker: without the headers only the page is covered (by its meta tag)', async () => {
    const { page, engine } = await openWithEngine(bare.url);
    expect(await tryFetch(page, `${other.url}/from-bare-page`)).toMatch(/^blocked/);
    expect(await tryFetch(engine, `${other.url}/from-bare-worker`)).toBe('sent');
    expect(requestsFor('/from-bare-worker')).toHaveLength(1);
    await page.context().close();
  });

  it('lets no other site frame the app, here and under npm start', async () => {
    const framed = async (appUrl: string) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${other.url}/embed?${new URLSearchParams({ app: appUrl })}`);
      const frame = page.frames()[1]!;
      await frame.waitForLoadState('load');
      const shown = (await frame.$('[data-testid="prompt"]').catch(() => null)) !== null;
      await context.close();
      return shown;
    };
    expect(await framed(hosted.url)).toBe(false);
    expect(await framed(preview.url)).toBe(false);
    expect(await framed(bare.url)).toBe(true); // a host that sends no header cannot forbid it
  });
});

describe('the service worker', () => {
  it("keeps only the app's own page as the offline app: opening /sw.js does not replace it", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${hosted.url}/${QUERY}`);
    const kept = () => page.evaluate(async () => (await (await caches.open('diffusion-studio-app')).keys()).map((r) => new URL(r.url).pathname));
    await expect.poll(kept, { timeout: 30_000 }).toContain('/');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    // Another page in the worker's scope, opened in the tab (a navigation the worker sees).
    await page.goto(`${hosted.url}/sw.js`);
    expect(await page.textContent('body')).toContain('service worker');

    await context.setOffline(true);
    await page.goto(`${hosted.url}/${QUERY}`);
    await page.waitForSelector('[data-testid="prompt"]');
    expect(await page.title()).not.toContain('sw.js');
    await context.close();
  });
});
