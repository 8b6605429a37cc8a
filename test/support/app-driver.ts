import type { BrowserContext, Page } from 'playwright-core';

/** Opens the app with query parameters (`hub`, `model`, `revision`). */
export async function openApp(context: BrowserContext, appUrl: string, params: Record<string, string>): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${appUrl}/?${new URLSearchParams(params)}`);
  return page;
}

/**
 * Clicks `generate` or `download` and waits until the app is idle again with a result or an
 * error on the page. Returns the error text, if any.
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
    { timeout: 240_000, polling: 100 },
  );
  const error = await page.$('[data-testid="error"]');
  return error ? ((await error.textContent()) ?? '') : undefined;
}
