// Screenshots of the built app for the README: phone (390 px) and desktop (1440 px), light and
// dark, on the tiny model served by the local hub. `npm run screenshots` builds first.
// Writes docs/screenshots/{phone,desktop}-{light,dark}.png.
import { mkdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { startApp } from './app-server.ts';
import { startHub } from './hub/hub-server.ts';
import { ensureTinyModel } from './tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
const MODEL = 'tiny/sd-turbo-tiny';
const OUT = 'docs/screenshots';

await ensureTinyModel(ROOT, MODEL);
const hub = await startHub({ root: ROOT });
const app = await startApp();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--no-first-run'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  // The page as people see it on the official Hub (no other hub's question or badge): the local
  // hub answers for https://huggingface.co (for the page and its workers).
  await context.route('https://huggingface.co/**', async (route) => {
    const url = new URL(route.request().url());
    await route.fulfill({ response: await route.fetch({ url: `${hub.url}${url.pathname}${url.search}`, maxRedirects: 0 }) });
  });
  const page = await context.newPage();
  await page.goto(`${app.url}/?${new URLSearchParams({ model: MODEL })}`);
  // A few images, so the history has something to show; the last one stays on the stage.
  for (const [seed, prompt] of [[7, 'a lighthouse at dawn, watercolor'], [42, 'a red fox in fresh snow'], [1234, 'a watercolor painting of a lighthouse at dawn']] as const) {
    await page.getByTestId('prompt').fill(prompt);
    await page.getByTestId('seed').fill(String(seed));
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => !(document.querySelector('[data-testid="generate"]') as HTMLButtonElement).disabled && !!document.querySelector('[data-testid="result-image"], [data-testid="error"]'), undefined, { timeout: 120_000 });
    if (await page.$('[data-testid="error"]')) throw new Error(`the app reported: ${await page.getByTestId('error').textContent()}`);
  }
  await mkdir(OUT, { recursive: true });
  for (const [name, width, height] of [['phone', 390, 844], ['desktop', 1440, 900]] as const) {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width, height });
      await page.emulateMedia({ colorScheme });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(200);
      const path = `${OUT}/${name}-${colorScheme}.png`;
      await page.screenshot({ path });
      console.log(path);
    }
  }
} finally {
  await browser.close();
  await app.close();
  await hub.close();
}
