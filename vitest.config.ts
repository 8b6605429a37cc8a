import { defineConfig } from 'vitest/config';
import { E2E_TEST_TIMEOUT } from './test/support/e2e-context.ts';

// Every test runs in Node. Browser behaviour is tested by driving a real headless Chromium from
// Node with playwright-core (test/e2e), never by mocking browser APIs.
//
// Two projects, one after the other: `unit` (everything outside test/e2e) and `e2e`, whose
// global setup starts one app server and one Chromium for the whole run (test/support/e2e.ts).
// A run of unit files alone starts neither.
export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two cores: one file at a time keeps timings and WebGPU (SwiftShader) sane.
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/e2e-global-setup.ts'],
          sequence: { groupOrder: 1 },
          // One clock per test: the waits inside e2e tests have no timeouts of their own, and a
          // busy machine (two suites at once) makes them slower, not wrong. expect.poll too waits
          // up to the test's clock (its own default, 1 s, failed a folder switch on a busy run).
          testTimeout: E2E_TEST_TIMEOUT,
          expect: { poll: { timeout: E2E_TEST_TIMEOUT } },
        },
      },
    ],
  },
});
