import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium unless CHROMIUM_PATH says otherwise. We never download a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Headless Chromium with real WebGPU (SwiftShader on machines without a GPU) and none of
 * Chromium's own background traffic, so every request a test sees is the app's.
 */
export function launchChromium(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      // Without this flag Linux Chromium offers navigator.gpu but no adapter, like a browser
      // on a machine whose GPU is blocked: that is how the wasm fallback is tested.
      ...(opts.webgpu === false ? [] : ['--enable-unsafe-webgpu']),
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/**
 * A persistent profile in `dir`, like a real user's (storage on disk; an off-the-record
 * context keeps storage in memory, where a multi-GB download fails): for benchmarks.
 */
export function launchPersistentChromium(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}
