// Accessibility: axe-core finds no serious or critical violation on the main views, in light and
// dark: the default page, every side-panel section open, an image with the history viewer open,
// and an error shown. (The context bypasses the page's CSP only so axe's script can be injected.)
// axe reads the page, not the pixels: the CPU backend (wasm) makes the image, in a fraction of
// WebGPU-on-SwiftShader's time.
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { useE2e } from '../support/e2e.ts';
import { screenshot } from '../support/studio.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core');
const e2e = useE2e({ params: { backend: 'wasm' } });

/** Serious and critical axe violations on the page as it is now, one line each. */
async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(o: object): Promise<{ passes: unknown[]; violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    }),
  );
  if (results.passes.length < 10) throw new Error(`axe checked almost nothing (${results.passes.length} rules passed)`);
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('accessibility (axe-core)', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`main views have no serious or critical violation (${scheme})`, async () => {
      const context = await e2e.newContext({ bypassCSP: true, colorScheme: scheme });
      const page = await e2e.open(context);
      await page.waitForSelector('[data-testid="model-card"]');
      expect(await violations(page), 'default view').toEqual([]);

      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
      await page.waitForSelector('[data-testid="network-entry"]');
      expect(await violations(page), 'side panel, every section open').toEqual([]);

      expect(await act(page, 'generate', { prompt: 'an owl', seed: 3 })).toBeUndefined();
      expect(await violations(page), 'an image made').toEqual([]);
      await page.getByTestId('history-open').first().click();
      await page.waitForSelector('[data-testid="history-viewer"][open]');
      expect(await violations(page), 'history viewer open').toEqual([]);
      await page.keyboard.press('Escape');

      const failing = await e2e.open(context, { model: 'tiny/no-such-model' });
      expect(await act(failing, 'generate')).toBeTruthy();
      expect(await violations(failing), 'an error shown').toEqual([]);
      await screenshot(failing, `a11y-error-${scheme}`);
    });
  }
});
