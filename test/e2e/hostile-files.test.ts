// Hostile PNGs dropped on the page: a `parameters` text of 300 000 characters on one line (A1111's
// pair regex is quadratic there: it froze the page), a zTXt that inflates to 1 GiB (it froze the
// page or was silently ignored) and a text over 1 MiB. Each gives its message within a second of
// the drop, and the page keeps answering.
// Reading a PNG is the page's, not the backend's: the CPU backend (wasm) keeps the page light.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { pngWith, tEXt, zlibBomb, zTXt } from '../support/png.ts';
import { useE2e } from '../support/e2e.ts';

const TOO_LARGE = 'The settings text in this PNG is larger than 1 MiB, so it was not read.';
const e2e = useE2e({ params: { backend: 'wasm' } });

/**
 * Drops `bytes` as a PNG on the page and resolves with the message the page shows and how long
 * after the drop it showed it, both measured in the page (a MutationObserver notes when the
 * `restored` message appears). Waits at most 10 s: a frozen page misses that.
 */
async function dropAndTime(page: Page, name: string, bytes: Uint8Array): Promise<{ message: string; ms: number }> {
  await page.evaluate(
    ([name, base64]) => {
      const binary = atob(base64);
      const data = Uint8Array.from(binary, (c) => c.charCodeAt(0));
      const w = window as unknown as { dropped?: number; shown?: number };
      w.dropped = performance.now();
      w.shown = undefined;
      new MutationObserver((_, observer) => {
        if (document.querySelector('[data-testid="restored"]')?.textContent?.includes(name)) {
          w.shown = performance.now();
          observer.disconnect();
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type: 'image/png' }));
      const target = document.querySelector('main')!;
      for (const kind of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(kind, { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [name, Buffer.from(bytes).toString('base64')] as const,
  );
  await page.waitForFunction(() => (window as unknown as { shown?: number }).shown !== undefined, undefined, { timeout: 10_000, polling: 50 });
  return page.evaluate(() => {
    const w = window as unknown as { dropped: number; shown: number };
    return { message: document.querySelector('[data-testid="restored"]')!.textContent ?? '', ms: w.shown - w.dropped };
  });
}

/** Whether the page answers a script within 2 s (a page busy on its main thread does not). */
const answers = (page: Page) =>
  Promise.race([page.evaluate(() => 'answered'), new Promise((resolve) => setTimeout(() => resolve('no answer'), 2000))]);

async function freshPage(): Promise<Page> {
  const page = await e2e.open(await e2e.newContext());
  await page.waitForSelector('[data-testid="prompt"]');
  return page;
}

describe('hostile PNGs dropped on the page', () => {
  it('a 300 000-character parameters line restores within a second, and the page keeps answering', async () => {
    const page = await freshPage();
    const line = 'masterpiece '.repeat(25_000); // 300 000 characters, no ':'
    const { message, ms } = await dropAndTime(page, 'long-line.png', pngWith(tEXt('parameters', `a lighthouse\n${line}`)));
    expect(message).toBe('Settings restored from “long-line.png”.');
    expect(ms).toBeLessThan(1000);
    expect(await answers(page)).toBe('answered');
    expect((await page.getByTestId('prompt').inputValue()).length).toBe(`a lighthouse\n${line}`.trim().length);
    await page.context().close();
  });

  it('a zTXt that inflates to 1 GiB is refused with a plain message within a second', async () => {
    const page = await freshPage();
    const bomb = await zlibBomb(2 ** 30);
    const { message, ms } = await dropAndTime(page, 'bomb.png', pngWith(zTXt('parameters', bomb)));
    expect(message).toContain(TOO_LARGE);
    expect(ms).toBeLessThan(1000);
    expect(await answers(page)).toBe('answered');
    await page.context().close();
  });

  it('a stored text over 1 MiB is refused with the same message', async () => {
    const page = await freshPage();
    const { message, ms } = await dropAndTime(page, 'huge.png', pngWith(tEXt('parameters', 'a'.repeat(2 ** 20 + 1))));
    expect(message).toContain(TOO_LARGE);
    expect(ms).toBeLessThan(1000);
    expect(await answers(page)).toBe('answered');
    await page.context().close();
  });
});
