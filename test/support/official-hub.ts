import type { BrowserContext } from 'playwright-core';
import type { Hub } from '../../tools/hub/hub-server.ts';
import { OFFICIAL_HUB } from './e2e.ts';

/**
 * Makes `https://huggingface.co` answer, for every page and worker of `context`, what `hub` (a
 * local hub) answers: the app then takes the local hub for the official one, with no `?hub=` and
 * no question, as it would the real Hub. The context must be made
 * with `serviceWorkers: 'block'`: requests of a page its service worker controls are not routed.
 */
export async function serveOfficialHubFrom(context: BrowserContext, hub: Hub): Promise<void> {
  await context.route(`${OFFICIAL_HUB}/**`, async (route) => {
    let url = new URL(route.request().url());
    for (;;) {
      const response = await route.fetch({ url: `${hub.url}${url.pathname}${url.search}`, maxRedirects: 0 });
      const location = response.status() >= 300 && response.status() < 400 ? response.headers()['location'] : undefined;
      const next = location ? new URL(location, OFFICIAL_HUB) : undefined;
      // A redirect within the Hub (small files' resolve-cache) is followed here: the browser's own
      // follow-up request would not be routed. One to the CDN's origin is the browser's to follow.
      if (next && (next.origin === OFFICIAL_HUB || next.origin === new URL(hub.url).origin)) {
        url = next;
        continue;
      }
      return route.fulfill({ response });
    }
  });
}
