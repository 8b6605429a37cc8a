import { firstNonFinite, NonFiniteError } from './nan-recovery.ts';
import type { Tensor } from './tensor.ts';

/** An RGBA image, row-major, ready for `ImageData` or a PNG encoder. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** The VAE's `[1, 3, H, W]` output in [-1, 1] → RGBA bytes: clamp(x/2 + 0.5)·255, rounded. Refuses NaN/Infinity. */
export function vaeOutputToImage(sample: Tensor): RgbaImage {
  const [, channels, height, width] = sample.dims;
  if (channels !== 3) throw new Error(`The VAE decoder gave ${channels} channels, expected 3.`);
  const src = sample.data as Float32Array;
  if (firstNonFinite(src) >= 0) throw new NonFiniteError('vae_decoder');
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

/**
 * An RGBA image → the VAE encoder's `[1, 3, height, width]` input in [-1, 1], resized
 * bilinearly (pixel centres aligned) when its size differs.
 */
export function imageToVaeInput(image: RgbaImage, width: number, height: number): Tensor {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  const sx = image.width / width;
  const sy = image.height / height;
  const px = (x: number, y: number, c: number) => image.data[(y * image.width + x) * 4 + c];
  for (let y = 0; y < height; y++) {
    const fy = Math.min(image.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(image.height - 1, y0 + 1);
    for (let x = 0; x < width; x++) {
      const fx = Math.min(image.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(image.width - 1, x0 + 1);
      for (let c = 0; c < 3; c++) {
        const top = px(x0, y0, c) + (fx - x0) * (px(x1, y0, c) - px(x0, y0, c));
        const bottom = px(x0, y1, c) + (fx - x0) * (px(x1, y1, c) - px(x0, y1, c));
        out[c * plane + y * width + x] = ((top + (fy - y0) * (bottom - top)) / 255) * 2 - 1;
      }
    }
  }
  return { data: out, dims: [1, 3, height, width] };
}
