// The page's one door to the service worker (public/sw.js): registration, and "a new version
// is ready" → reload on the user's click. A new version waits until then, so a page never runs
// with half old, half new files; models (OPFS/IndexedDB/folder) and history are not the
// service worker's to touch, so they survive every update.
let waiting: ServiceWorker | undefined;
const listeners = new Set<() => void>();

function offer(worker: ServiceWorker) {
  waiting = worker;
  for (const l of listeners) l();
}

/** Registers the service worker (production builds only) and watches for updates. */
export async function registerServiceWorker(): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  const reg = await navigator.serviceWorker.register('./sw.js');
  // Only an update (a page already controlled) is worth telling; the first install is silent.
  const hadController = !!navigator.serviceWorker.controller;
  if (reg.waiting && hadController) offer(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const next = reg.installing;
    next?.addEventListener('statechange', () => {
      if (next.state === 'installed' && navigator.serviceWorker.controller) offer(next);
    });
  });
  // Look for a new version when the tab comes back, not only on navigation.
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && void reg.update().catch(() => {}));
}

/** Calls `listener` when a new version is installed and waiting; returns the unsubscribe. */
export function onUpdateReady(listener: () => void): () => void {
  listeners.add(listener);
  if (waiting) listener();
  return () => listeners.delete(listener);
}

/** Lets the waiting version take over, then reloads the page on it. */
export function applyUpdate(): void {
  if (!waiting) return location.reload();
  navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
  waiting.postMessage('skip-waiting');
}
