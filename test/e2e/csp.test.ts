// The Content-Security-Policy: a cold session (download, generate) and a warm one (reload,
// generate from the cache) break no rule, and a request to another origin is blocked, from the
// page and from the engine's worker. On the CPU backend (wasm), which opens the model far sooner
// than WebGPU on SwiftShader: both backends load the same files (one onnxruntime .wasm, the same
// workers) and make the same requests, and WebGPU itself is not governed by the policy.
import type { BrowserContext, Page, Worker } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { useE2e } from '../support/e2e.ts';

const e2e = useE2e({ params: { backend: 'wasm' } });
let context: BrowserContext;

beforeAll(async () => {
  context = await e2e.newContext();
  // Every violation the page sees, recorded before any of the app's code runs.
  await context.addInitScript(() => {
    const w = window as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
});

/** Records violations inside a worker from now on (its first requests may come before). */
const recordInWorker = (worker: Worker) =>
  worker.evaluate(() => {
    const w = self as unknown as { cspViolations: string[] };
    w.cspViolations = [];
    self.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${(e as SecurityPolicyViolationEvent).effectiveDirective} ${(e as SecurityPolicyViolationEvent).blockedURI}`));
  });
const workerViolations = (worker: Worker) => worker.evaluate(() => (self as unknown as { cspViolations: string[] }).cspViolations);

/** Violations from the page's event, console messages, and every worker of the page. */
function watch(page: Page) {
  const console: string[] = [];
  const workers: Worker[] = [];
  page.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && console.push(m.text()));
  page.on('worker', (w) => void recordInWorker(w).then(() => workers.push(w), () => {}));
  return {
    console,
    events: () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations),
    inWorkers: async () => (await Promise.all(workers.map((w) => workerViolations(w).catch(() => [] as string[])))).flat(),
    workers,
  };
}

describe('Content-Security-Policy', () => {
  it('is sent as a header (covering the worker) and as a meta tag, with no inline script', async () => {
    const res = await fetch(`${e2e.appUrl}/`);
    const header = res.headers.get('content-security-policy')!;
    expect(header).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(header).toMatch(/connect-src 'self' https:\/\/huggingface\.co .*https:\/\/\*\.hf\.co/);
    const html = await res.text();
    expect(html).toContain('http-equiv="Content-Security-Policy"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
  });

  it('a cold and a warm session break no rule', async () => {
    const page = await context.newPage();
    const seen = watch(page);
    const workerCsp: (string | undefined)[] = [];
    page.on('response', (r) => r.url().includes('/assets/worker') && workerCsp.push(r.headers()['content-security-policy']));
    await page.goto(e2e.url());
    expect(await act(page, 'generate', { prompt: 'cold', seed: 1 })).toBeUndefined();
    expect(await page.getByTestId('download-image').count()).toBe(1);
    const coldWorker = await seen.inWorkers();
    await page.reload();
    await page.waitForSelector('[data-testid="history-item"]');
    expect(await act(page, 'generate', { prompt: 'warm', seed: 2 })).toBeUndefined();
    expect(await seen.events()).toEqual([]);
    expect(seen.console).toEqual([]);
    expect([...coldWorker, ...(await seen.inWorkers())]).toEqual([]);
    expect(seen.workers.length).toBeGreaterThanOrEqual(2);
    expect(workerCsp.length).toBeGreaterThan(0);
    expect(workerCsp.every((h) => h?.includes("connect-src 'self'"))).toBe(true);
  });

  it('blocks a request to any other origin, from the page and from the engine', async () => {
    const page = await e2e.open(context);
    const seen = watch(page);
    await page.waitForSelector('[data-testid="model-card"]');
    const outcome = await page.evaluate(() => fetch('https://example.com/collect?x=1').then(() => 'sent', (e: Error) => e.message));
    expect(outcome).not.toBe('sent');
    await expect.poll(seen.events).toContainEqual('connect-src https://example.com/collect?x=1');

    // The engine (a worker with the header's policy) asked to use a hub the policy does not list.
    const other = await context.newPage();
    const otherSeen = watch(other);
    await other.goto(e2e.url({ hub: 'https://example.com', model: 'elsewhere/not-cached' }));
    await expect.poll(() => otherSeen.workers.length).toBe(1);
    expect(await act(other, 'download')).toBeTruthy();
    const inWorker = await otherSeen.inWorkers();
    expect(inWorker.length).toBeGreaterThan(0);
    expect(inWorker.every((v) => v.startsWith('connect-src https://example.com/'))).toBe(true);
  });
});
