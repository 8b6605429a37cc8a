import type { Page } from 'playwright-core';

/**
 * Clicks `generate` or `download` and waits until the app is idle again with a result or an
 * error on the page, however long that takes (the test's own timeout is the only clock).
 * Returns the error text, if any.
 */
export async function act(page: Page, button: 'generate' | 'download', opts: { prompt?: string; seed?: number } = {}): Promise<string | undefined> {
  if (opts.prompt !== undefined) await page.getByTestId('prompt').fill(opts.prompt);
  if (opts.seed !== undefined) await page.getByTestId('seed').fill(String(opts.seed));
  const done = button === 'generate' ? '[data-testid="result-image"]' : '[data-testid="download-info"]';
  await page.evaluate(() => document.querySelector('[data-testid="error"]')?.remove());
  await page.getByTestId(button).click();
  await page.waitForFunction(
    (sel) =>
      !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement).disabled &&
      !!document.querySelector(`${sel}, [data-testid="error"]`),
    done,
    { timeout: 0, polling: 100 },
  );
  const error = await page.$('[data-testid="error"]');
  return error ? ((await error.textContent()) ?? '') : undefined;
}

/**
 * Waits until the partial file of `path` (a path in the repo, e.g. `unet/model.onnx`) in the
 * page's OPFS holds at least `bytes`, and returns its size: a download is surely under way and
 * has written that much. (OPFS files can be read while the engine's worker writes them.)
 */
export function waitForPartial(page: Page, path: string, bytes: number): Promise<number> {
  // Polled inside the page: waitForFunction would take the async check's promise for a result.
  return page.evaluate(
    async ([wanted, least]) => {
      const find = async (dir: FileSystemDirectoryHandle, at: string): Promise<number | undefined> => {
        for await (const [name, h] of dir as unknown as AsyncIterable<[string, FileSystemHandle]>) {
          const key = `${at}/${name}`;
          if (h.kind === 'file' && key.endsWith(wanted)) return (await (h as FileSystemFileHandle).getFile()).size;
          if (h.kind === 'directory') {
            const size = await find(h as FileSystemDirectoryHandle, key);
            if (size !== undefined) return size;
          }
        }
        return undefined;
      };
      for (;;) {
        const size = await find(await navigator.storage.getDirectory(), '');
        if (size !== undefined && size >= least) return size;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    [`/${path}.incomplete`, bytes] as const,
  );
}
