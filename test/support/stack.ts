import type { Browser } from 'playwright-core';
import { startApp } from '../../tools/app-server.ts';
import { launchChromium } from './browser.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';

export interface Stack {
  hub: Hub;
  app: Awaited<ReturnType<typeof startApp>>;
  browser: Browser;
  close(): Promise<void>;
}

/** The local hub on `root`, the built app, and a headless Chromium with WebGPU: what e2e tests run on. */
export async function startStack(root: string): Promise<Stack> {
  const hub = await startHub({ root });
  const app = await startApp();
  const browser = await launchChromium();
  return {
    hub,
    app,
    browser,
    close: async () => {
      await browser.close();
      await app.close();
      await hub.close();
    },
  };
}
