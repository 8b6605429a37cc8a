// Room for a download: refuse one that cannot fit in what the browser allows this site, and say
// in numbers what is needed and free when storage runs out mid-download.
const browserEstimate = () => globalThis.navigator?.storage?.estimate?.() ?? Promise.resolve({} as StorageEstimate);

import { QuotaError } from './errors.ts';

export { QuotaError }; // its class lives in errors.ts, which the page imports

/** Refuses to start a download that cannot fit in what the browser allows this site. */
export async function checkRoom(needed: number, estimateFn: () => Promise<StorageEstimate> = browserEstimate): Promise<void> {
  const estimate = await estimateFn().catch(() => undefined);
  if (!estimate?.quota || needed <= 0) return;
  const free = estimate.quota - (estimate.usage ?? 0);
  if (needed > free) throw await roomError(needed, undefined, estimate);
}

/**
 * The error for a download that needs `needed` more bytes: before it starts (no `path`), or
 * when the browser refused to store more of `path` mid-download.
 */
export async function roomError(needed: number, path?: string, estimate?: StorageEstimate): Promise<QuotaError> {
  const e = estimate ?? (await browserEstimate().catch(() => undefined));
  const free = Math.max(0, (e?.quota ?? 0) - (e?.usage ?? 0));
  if (path && free > needed) {
    // The write was refused although the browser reports room: its figure is not the real limit.
    // Chromium reports usage + 10 GiB everywhere (so private windows cannot be told apart), while
    // a private window keeps storage in memory with a much smaller real limit; a full disk too.
    return new QuotaError(
      `The browser refused to store more of ${path} after this site had stored ${mb(e?.usage ?? 0)}, although it reports ${mb(free)} free: ` +
        `the real limit is lower than the browser says. Private (incognito) windows keep storage in memory with a far smaller limit, ` +
        `and the disk itself may be full. Open the app in a normal window, or free disk space, then try again; what was already downloaded is kept (${mb(needed)} still to go).`,
      needed,
      free,
      true,
    );
  }
  const where = path ? `The browser ran out of room for this site while writing ${path}` : 'Not enough room to download this model';
  return new QuotaError(
    `${where}: it needs ${mb(needed)} more and ${mb(free)} is free for this site. ` +
      'Delete models you no longer use in the cache panel, or free disk space, then try again; what was already downloaded is kept.',
    needed,
    free,
  );
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
