import { defineConfig } from 'vitest/config';

// Every test runs in Node. Browser behaviour is tested by driving a real headless
// Chromium from Node with playwright-core (test/e2e, test/support/browser.ts),
// never by mocking browser APIs.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Two cores: one browser at a time keeps timings and WebGPU (SwiftShader) sane.
    fileParallelism: false,
  },
});
