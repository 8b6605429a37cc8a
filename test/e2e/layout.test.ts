// The layout on a phone (390 px) and a desktop (1440 px), light and dark: the image first and
// largest, the prompt with it (and Generate in view on a 1440×900 screen), settings beside it
// (desktop) or below (phone, with the cache's file table folded), nothing wider than the screen. Screenshots go to .cache/test-screenshots (paths printed).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act, openApp } from '../support/app-driver.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { screenshot } from '../support/studio.ts';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { ensureTinyModel } from '../../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
const MODEL = 'tiny/sd-turbo-tiny';
let stack: Stack;
let hub: Hub;
let app: Stack['app'];
let browser: Browser;

beforeAll(async () => {
  await ensureTinyModel(ROOT, MODEL);
  ({ hub, app, browser } = stack = await startStack(ROOT));
}, 120_000);
afterAll(() => stack?.close());

describe('layout', () => {
  for (const [name, width, height] of [['phone', 390, 844], ['desktop', 1440, 900]] as const) {
    it(`lays the image out first on a ${name} (${width} px), light and dark, with nothing wider than the screen`, async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
        const p = await openApp(ctx, app.url, { hub: hub.url, model: MODEL });
        expect(await act(p, 'generate', { prompt: 'a red fox in snow', seed: 9 })).toBeUndefined();
        const box = async (sel: string) => (await p.locator(sel).first().boundingBox())!;
        const image = await box('[data-testid="result-image"]');
        const prompt = await box('[data-testid="prompt"]');
        const aside = await box('aside');
        expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        expect(image.width).toBeGreaterThan(width === 390 ? 300 : 500); // the largest thing on the page
        expect(prompt.y).toBeGreaterThan(image.y); // the prompt sits with the image…
        expect(prompt.y - (image.y + image.height)).toBeLessThan(250); // (the save link and the image's settings between)
        if (width >= 1440) expect(aside.x).toBeGreaterThanOrEqual(image.x + image.width); // …settings beside it
        else expect(aside.y).toBeGreaterThan(prompt.y); // …or below it on a phone
        await p.evaluate(() => window.scrollTo(0, 0));
        if (width >= 1440) {
          // A laptop screen: the prompt and Generate are in view under the image without scrolling.
          for (const id of ['prompt', 'generate']) {
            const b = await box(`[data-testid="${id}"]`);
            expect(b.y, id).toBeGreaterThanOrEqual(0);
            expect(b.y + b.height, id).toBeLessThanOrEqual(height);
          }
        } else {
          // A phone: the cache panel's per-file table is folded, so the page is not many screens long
          // (3 954 px with it open, in this very test; about 3 350 folded).
          expect(await p.locator('[data-testid="cache-file"]').first().isVisible()).toBe(false);
          expect(await p.evaluate(() => document.documentElement.scrollHeight)).toBeLessThan(3500);
        }
        await screenshot(p, `studio-${name}-${scheme}`);
        await ctx.close();
      }
    });
  }
});
