import type { Tensor } from './tensor.ts';

/** An RGBA image, row-major, ready for `ImageData` or a PNG encoder. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** The VAE's `[1, 3, H, W]` output in [-1, 1] → RGBA bytes: clamp(x/2 + 0.5)·255, rounded. */
export function vaeOutputToImage(sample: Tensor): RgbaImage {
  const [, channels, height, width] = sample.dims;
  if (channels !== 3) throw new Error(`The VAE decoder gave ${channels} channels, expected 3.`);
  const src = sample.data as Float32Array;
  const plane = width * height;
  const data = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.min(1, Math.max(0, src[c * plane + i] / 2 + 0.5));
      data[i * 4 + c] = Math.round(v * 255);
    }
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}
