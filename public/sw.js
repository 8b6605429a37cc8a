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

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // The page: fresh when online (a new build shows at once), the kept copy when offline.
    event.respondWith(
      fetch(request)
        .then(async (response) => {
          if (response.ok) await (await caches.open(CACHE)).put('./', response.clone());
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
