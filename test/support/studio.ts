import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';

/** Where e2e tests leave screenshots (their paths are printed with the test output). */
export const SCREENSHOT_DIR = '.cache/test-screenshots';

/** A full-page screenshot under SCREENSHOT_DIR; logs and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = resolve(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

/** The bytes an <img> or link in the page points at (an object URL), fetched in the page. */
export async function bytesOf(page: Page, selector: string, attribute: 'src' | 'href' = 'src'): Promise<Buffer> {
  const bytes = await page.evaluate(
    async ([sel, attr]) => Array.from(new Uint8Array(await (await fetch(document.querySelector(sel)!.getAttribute(attr)!)).arrayBuffer())),
    [selector, attribute] as const,
  );
  return Buffer.from(bytes);
}

/** Drops a file on the page as a person dragging it from their desktop would. */
export async function dropFile(page: Page, name: string, bytes: Uint8Array, type = 'image/png'): Promise<void> {
  await page.evaluate(
    ([name, data, type]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name, { type }));
      const target = document.querySelector('main')!;
      for (const kind of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(kind, { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [name, Array.from(bytes), type] as const,
  );
}
