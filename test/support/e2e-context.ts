// What the e2e run's global setup hands to every e2e file (vitest's provide/inject), and where
// the shared stand-ins live. No imports: the test files' workers load this at no cost.

/** Where the shared stand-ins live (what `npm run demo` serves too). */
export const HUB_ROOT = '.cache/hub-root';

/** The default SD-Turbo stand-in, what most e2e tests open the app on. */
export const TINY = 'tiny/sd-turbo-tiny';

/**
 * An e2e test's one clock (vitest.config.ts): waits inside a test take no timeout of their own
 * (playwright's `{ timeout: 0 }`, or `{ timeout: E2E_TEST_TIMEOUT }` for `expect.poll`), so a
 * busy machine makes a test slower, never wrong.
 */
export const E2E_TEST_TIMEOUT = 300_000;

declare module 'vitest' {
  export interface ProvidedContext {
    /** The built app, served for this run: `http://127.0.0.1:PORT`. */
    appUrl: string;
    /** The run's Chromium, for `chromium.connect`. */
    chromiumEndpoint: string;
  }
}
