// With no network at all, the app still opens (its service worker keeps the app's files) and
// still generates from the cached model. (On the CPU backend, wasm: what the service worker
// keeps is the same for both backends, and a tiny model opens fastest there.)
import { describe, expect, it } from 'vitest';
import { act } from '../support/app-driver.ts';
import { UNTIL_TEST_TIMEOUT, useE2e } from '../support/e2e.ts';

const e2e = useE2e({ params: { backend: 'wasm' } });

describe('the app offline', () => {
  it('opens and generates with the network cut off, after one online visit', async () => {
    const context = await e2e.newContext();
    const page = await e2e.open(context);
    expect(await act(page, 'download')).toBeUndefined();
    // The service worker has kept every file of the app, the runtime's .wasm included.
    await expect
      .poll(() => page.evaluate(async () => (await (await caches.open('diffusion-studio-app')).keys()).map((r) => new URL(r.url).pathname)), UNTIL_TEST_TIMEOUT)
      .toEqual(expect.arrayContaining(['/', expect.stringMatching(/^\/assets\/ort-wasm.*\.wasm$/), expect.stringMatching(/^\/assets\/worker-.*\.js$/)]));

    await context.setOffline(true);
    e2e.hub.clearLog();
    await page.reload();
    await page.getByTestId('offline').check();
    expect(await act(page, 'generate', { prompt: 'a photo of a cat', seed: 3 })).toBeUndefined();
    expect(await page.getByTestId('model-info').textContent()).toContain('offline mode');
    // Everything came from the service worker and the model cache: the hub saw nothing.
    expect(e2e.hub.log).toEqual([]);
  });
});
