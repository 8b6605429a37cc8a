// The layout on a phone (390 px) and a desktop (1440 px), light and dark: the image first and
// largest, the prompt with it (and Generate in view on a 1440×900 screen), settings beside it
// (desktop) or below (phone, with the cache's file table and the known models' list folded), nothing wider than the screen.
// Screenshots go to .cache/test-screenshots (paths printed). The layout is the page's: the image
// is made on the CPU backend (wasm), in a fraction of WebGPU-on-SwiftShader's time.
import { describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { useE2e } from '../support/e2e.ts';
import { screenshot } from '../support/studio.ts';

const e2e = useE2e({ params: { backend: 'wasm' } });

describe('layout', () => {
  for (const [name, width, height] of [['phone', 390, 844], ['desktop', 1440, 900]] as const) {
    it(`lays the image out first on a ${name} (${width} px), light and dark, with nothing wider than the screen`, async () => {
      for (const scheme of ['light', 'dark'] as const) {
        const ctx = await e2e.newContext({ viewport: { width, height }, colorScheme: scheme });
        const p = await e2e.open(ctx);
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
          // A phone: the cache panel's per-file table and the list of known models are folded, so the
          // page is not many screens long.
          expect(await p.locator('[data-testid="cache-file"]').first().isVisible()).toBe(false);
          expect(await p.locator('[data-testid="model-option"]').first().isVisible()).toBe(false);
          expect(await p.evaluate(() => document.documentElement.scrollHeight)).toBeLessThan(3500);
        }
        await screenshot(p, `studio-${name}-${scheme}`);
        await ctx.close();
      }
    });
  }
});
