// The e2e fixture. One call at the top of a test file gives it the run's built app and Chromium
// (started once per run by e2e-global-setup.ts), a local hub of its own, and browser contexts
// that are closed for it:
//
//   const e2e = useE2e({ params: { backend: 'wasm' } });   // hub on the shared stand-ins
//   it('…', async () => {
//     const page = await e2e.open(await e2e.newContext());  // fresh profile, the app on the tiny model
//     expect(await act(page, 'generate')).toBeUndefined();
//     expect(e2e.hub.log.length).toBeGreaterThan(0);
//   });
//
// A file that needs repos or tokens of its own gives `root`, which fills a fresh folder that its
// hub serves (and that is deleted after the file): `useE2e({ root: async (dir) => { await
// copyStandIn(dir, 'tiny/gated'); await writeFile(join(dir, 'hub.json'), …) } })`.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';
import { E2E_TEST_TIMEOUT, HUB_ROOT, TINY } from './e2e-context.ts';

export { E2E_TEST_TIMEOUT, HUB_ROOT, TINY };

/** For `expect.poll(…, UNTIL_TEST_TIMEOUT)`: poll for as long as the test may run. */
export const UNTIL_TEST_TIMEOUT = { timeout: E2E_TEST_TIMEOUT };

/** Options of {@link useE2e}. */
export interface E2eOptions {
  /**
   * Fills a fresh folder for this file's hub to serve (repos as `<dir>/<org>/<name>`, and
   * `hub.json`); without it the hub serves the shared stand-ins in `.cache/hub-root`.
   */
  root?: (dir: string) => Promise<void>;
  /**
   * URL parameters every `open` and `url` add, before their own: `{ backend: 'wasm' }` for a
   * file whose point is not WebGPU (SwiftShader compiles every shader of a new session on the
   * CPU; wasm opens a tiny model in a fraction of that time).
   */
  params?: Record<string, string>;
}

/** What a test file gets from {@link useE2e}; the fields are there from the file's first hook on. */
export interface E2e {
  /** This file's local hub (its `log` and `faults` are this file's alone). */
  readonly hub: Hub;
  /** The folder the hub serves. */
  readonly root: string;
  /** The built app: `http://127.0.0.1:PORT`. */
  readonly appUrl: string;
  /** The run's Chromium (WebGPU on SwiftShader), shared with every other e2e file. */
  readonly browser: Browser;
  /**
   * A new context (an empty profile: no OPFS, IndexedDB, service worker), closed after the
   * test that made it, or after the file when made in a `beforeAll`.
   */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** The app's URL with `hub` (this file's hub), `model` (the tiny stand-in), the file's `params` and these. */
  url(params?: Record<string, string>): string;
  /** A new page in `context` on `url(params)`. */
  open(context: BrowserContext, params?: Record<string, string>): Promise<Page>;
}

/** Registers the file's hooks (hub, browser connection, contexts) and returns what its tests use. */
export function useE2e(opts: E2eOptions = {}): E2e {
  let hub: Hub | undefined;
  let browser: Browser | undefined;
  let root = HUB_ROOT;
  let ownRoot: string | undefined;
  let inTest = false;
  const fileContexts: BrowserContext[] = [];
  const testContexts: BrowserContext[] = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`e2e.${what} is there once the file's hooks run (use it inside beforeAll, it or afterAll)`);
    return value;
  };
  const appUrl = () => inject('appUrl');

  beforeAll(async () => {
    if (opts.root) {
      root = ownRoot = await mkdtemp(join(tmpdir(), 'e2e-hub-'));
      await opts.root(ownRoot);
    }
    hub = await startHub({ root });
    browser = await chromium.connect(inject('chromiumEndpoint'));
  });
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    await Promise.all(testContexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all(fileContexts.splice(0).map((c) => c.close()));
    await browser?.close(); // disconnects: the run's Chromium stays for the next file
    await hub?.close();
    if (ownRoot) await rm(ownRoot, { recursive: true, force: true });
  });

  const e2e: E2e = {
    get hub() {
      return ready(hub, 'hub');
    },
    get root() {
      return root;
    },
    get appUrl() {
      return appUrl();
    },
    get browser() {
      return ready(browser, 'browser');
    },
    async newContext(options) {
      const context = await e2e.browser.newContext(options);
      (inTest ? testContexts : fileContexts).push(context);
      return context;
    },
    url(params = {}) {
      return `${appUrl()}/?${new URLSearchParams({ hub: e2e.hub.url, model: TINY, ...opts.params, ...params })}`;
    },
    async open(context, params) {
      const page = await context.newPage();
      await page.goto(e2e.url(params));
      return page;
    },
  };
  return e2e;
}

/** Copies the stand-in `from` (default: the SD-Turbo one) into `dir` as repo `repo`, for a hub root of a file's own. */
export async function copyStandIn(dir: string, repo: string, from = TINY): Promise<string> {
  const to = join(dir, repo);
  await cp(join(HUB_ROOT, from), to, { recursive: true });
  return to;
}
