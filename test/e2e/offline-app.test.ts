// With no network at all, the app still opens (its service worker keeps the app's files) and
// still generates from the cached model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act, openApp } from '../support/app-driver.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { ensureTinyModel } from '../../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
const MODEL = 'tiny/sd-turbo-tiny';
let stack: Stack;

beforeAll(async () => {
  await ensureTinyModel(ROOT, MODEL);
  stack = await startStack(ROOT);
});
afterAll(() => stack?.close());

describe('the app offline', () => {
  it('opens and generates with the network cut off, after one online visit', async () => {
    const context = await stack.browser.newContext();
    const page = await openApp(context, stack.app.url, { hub: stack.hub.url, model: MODEL });
    expect(await act(page, 'download')).toBeUndefined();
    // The service worker has kept every file of the app, the runtime's .wasm included.
    await expect
      .poll(() => page.evaluate(async () => (await (await caches.open('diffusion-studio-app')).keys()).map((r) => new URL(r.url).pathname)), { timeout: 30_000 })
      .toEqual(expect.arrayContaining(['/', expect.stringMatching(/^\/assets\/ort-wasm.*\.wasm$/), expect.stringMatching(/^\/assets\/worker-.*\.js$/)]));

    await context.setOffline(true);
    stack.hub.clearLog();
    await page.reload();
    await page.getByTestId('offline').check();
    expect(await act(page, 'generate', { prompt: 'a photo of a cat', seed: 3 })).toBeUndefined();
    expect(await page.getByTestId('model-info').textContent()).toContain('offline mode');
    // Everything came from the service worker and the model cache: the hub saw nothing.
    expect(stack.hub.log).toEqual([]);
    await context.close();
  });
});
