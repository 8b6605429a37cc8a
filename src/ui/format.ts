export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Download speed and time left from the first and latest sample of a transfer. */
export class RateMeter {
  private first?: { t: number; loaded: number };
  rate = 0;

  update(loaded: number, t = performance.now()): void {
    if (!this.first || loaded < this.first.loaded) this.first = { t, loaded };
    const dt = (t - this.first.t) / 1000;
    this.rate = dt > 0.2 ? (loaded - this.first.loaded) / dt : 0;
  }

  secondsLeft(loaded: number, total: number): number {
    return this.rate > 0 ? (total - loaded) / this.rate : Infinity;
  }
}
