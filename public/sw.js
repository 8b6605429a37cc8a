// The app's service worker: keeps the app itself (HTML, JS, CSS and onnxruntime's .wasm) so it
// opens with no network at all. Model files are not here: they live in OPFS/IndexedDB/a folder.
// Requests to other origins (the Hub, its CDN) are never touched.
const CACHE = 'diffusion-studio-app';

self.addEventListener('install', (event) => {
  // asset-manifest.json is written by the build (vite.config.ts) and lists every emitted file.
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const assets = await (await fetch('asset-manifest.json', { cache: 'no-store' })).json();
      await cache.addAll(['./', './favicon.svg', './manifest.webmanifest', './icons/icon-192.png', './icons/icon-512.png', './icons/icon-maskable-512.png', ...assets]);
      // The first version takes over at once; a later one waits until the page's "Reload"
      // (src/ui/sw-bridge.ts), so no page runs half on old files and half on new ones.
      if (!self.registration.active) await self.skipWaiting();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

/** The app's page: the root of this worker's scope, or its index.html (any query, e.g. `?model=`). */
function isAppPage(url) {
  const root = new URL('./', self.registration.scope).pathname;
  return url.pathname === root || url.pathname === `${root}index.html`;
}

/** A response that can be kept as the app's page: a plain 200 of HTML from this origin. */
function isAppHtml(response) {
  return response.ok && response.type === 'basic' && !response.redirected && /^text\/html\b/i.test(response.headers.get('content-type') ?? '');
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // Only the app's own page is the app shell: opening /sw.js or /asset-manifest.json in a tab
    // is a navigation too, and must not become what the offline app shows.
    if (!isAppPage(url)) return;
    // The page: fresh when online (a new build shows at once), the kept copy when offline.
    event.respondWith(
      fetch(request)
        .then(async (response) => {
          if (isAppHtml(response)) await (await caches.open(CACHE)).put('./', response.clone());
          return response;
        })
        .catch(async () => (await caches.match('./', { ignoreVary: true })) ?? Response.error()),
    );
    return;
  }
  // Built assets have content hashes in their names: the kept copy is always right.
  event.respondWith(
    caches.match(request, { ignoreSearch: true, ignoreVary: true }).then(
      (hit) =>
        hit ??
        fetch(request).then(async (response) => {
          if (response.ok && url.pathname.startsWith('/assets/')) await (await caches.open(CACHE)).put(request, response.clone());
          return response;
        }),
    ),
  );
});
