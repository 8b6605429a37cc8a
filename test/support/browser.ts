import { chromium, type Browser, type BrowserContext, type BrowserServer } from 'playwright-core';

/** Debian's Chromium unless CHROMIUM_PATH says otherwise. We never download a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** None of Chromium's own background traffic, so every request a test sees is the app's. */
const QUIET = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];

/**
 * Chromium's flags: real WebGPU (SwiftShader on machines without a GPU) unless `webgpu` is
 * false. Without `--enable-unsafe-webgpu` Linux Chromium offers navigator.gpu but no adapter,
 * like a browser on a machine whose GPU is blocked: that is how the wasm fallback is tested.
 */
export function chromiumArgs(opts: { webgpu?: boolean } = {}): string[] {
  return [...(opts.webgpu === false ? [] : ['--enable-unsafe-webgpu']), ...QUIET];
}

/** Headless Chromium in this process (see `chromiumArgs`). E2e tests share one instead: test/support/e2e.ts. */
export function launchChromium(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs(opts) });
}

/** Headless Chromium that other processes connect to (`chromium.connect(server.wsEndpoint())`): one per test run. */
export function launchChromiumServer(): Promise<BrowserServer> {
  return chromium.launchServer({ executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs() });
}

/**
 * A persistent profile in `dir`, like a real user's (storage on disk; an off-the-record
 * context keeps storage in memory, where a multi-GB download fails): for benchmarks.
 */
export function launchPersistentChromium(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs() });
}
