import type { RgbaImage } from '../diffusion/index.ts';

/** RGBA pixels → a PNG object URL for an <img> (lossless, so tests can read exact pixels). */
export async function imageToPngUrl(image: RgbaImage): Promise<string> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d')!;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  return URL.createObjectURL(await canvas.convertToBlob({ type: 'image/png' }));
}
