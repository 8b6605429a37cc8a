// Temporary diagnostic: onnxruntime's verbose log during a warm load of the 1.74 GB stand-in.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchPersistentChromium } from './test/support/browser.ts';
import { startApp } from './tools/app-server.ts';
import { startHub } from './tools/hub/hub-server.ts';
const hub = await startHub({ root: '.cache/hub-root' });
const app = await startApp();
const profile = process.env.PROFILE || (await mkdtemp(join(tmpdir(), 'load-prof-')));
const url = `${app.url}/?${new URLSearchParams({ hub: hub.url, model: 'tiny/sd-turbo-big' })}`;
let context = await launchPersistentChromium(profile);
let page = await context.newPage();
await page.goto(url);
if (!process.env.PROFILE) {
  await page.getByTestId('download').click();
  await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 900_000 });
}
await context.close();
context = await launchPersistentChromium(profile);
page = await context.newPage();
const t0 = Date.now();
page.on('console', (m) => {
  const t = m.text();
  if (/Session|initializ|Saving|transform|Partition|Finalize|Loading|Warming|ready|ms/i.test(t)) console.log(((Date.now() - t0) / 1000).toFixed(2), t.slice(0, 200));
});
await page.goto(url);
await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 900_000 });
console.log(((Date.now() - t0) / 1000).toFixed(2), 'ready; profile', profile);
await context.close();
await app.close();
await hub.close();
