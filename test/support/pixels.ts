import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** The RGBA pixels of the app's result image, read back through a canvas in the page. */
export async function resultPixels(page: Page): Promise<{ width: number; height: number; data: number[] }> {
  return page.evaluate(async () => {
    const img = document.querySelector<HTMLImageElement>('[data-testid="result-image"]')!;
    await img.decode();
    const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.naturalWidth, img.naturalHeight).data;
    return { width: img.naturalWidth, height: img.naturalHeight, data: Array.from(data) };
  });
}

/** Mean and max absolute difference per channel (R, G, B), in 0–255 units. */
export function pixelDiff(a: ArrayLike<number>, b: ArrayLike<number>): { mean: number[]; max: number[] } {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  const sum = [0, 0, 0];
  const max = [0, 0, 0];
  for (let i = 0; i < a.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a[i + c] - b[i + c]);
      sum[c] += d;
      max[c] = Math.max(max[c], d);
    }
  }
  const n = a.length / 4;
  return { mean: sum.map((s) => s / n), max };
}

/** The RGBA pixels of every result image on the page, in order. */
export async function allResultPixels(page: Page): Promise<{ width: number; height: number; data: number[]; seed: number }[]> {
  return page.evaluate(async () => {
    const out = [];
    for (const img of document.querySelectorAll<HTMLImageElement>('[data-testid="result-image"]')) {
      await img.decode();
      const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.naturalWidth, img.naturalHeight).data;
      out.push({ width: img.naturalWidth, height: img.naturalHeight, data: Array.from(data), seed: Number(img.dataset.seed) });
    }
    return out;
  });
}

/**
 * The issues' bar for "the same image as the Node reference": per channel, mean ≤ 1/255 and max
 * ≤ 4/255 (printed for the log); unless `flatAllowed`, also a picture, not a flat colour.
 */
export function expectClose(actual: { data: ArrayLike<number> }, expected: { data: ArrayLike<number> }, label: string, { flatAllowed = false } = {}): void {
  const diff = pixelDiff(actual.data, expected.data);
  console.log(`${label}: browser vs Node reference mean ${diff.mean.map((d) => d.toFixed(3))} max ${diff.max}`);
  for (const c of [0, 1, 2]) {
    expect(diff.mean[c]).toBeLessThanOrEqual(1);
    expect(diff.max[c]).toBeLessThanOrEqual(4);
  }
  if (!flatAllowed) expect(new Set(Array.from(actual.data).filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(20);
}
