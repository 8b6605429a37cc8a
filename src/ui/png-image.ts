import type { RgbaImage } from '../diffusion/index.ts';
import { addTextChunks } from './png-text-chunks.ts';

/** RGBA pixels → PNG bytes (lossless, so tests can read exact pixels) carrying the A1111 `parameters` text. */
export async function pngWithParameters(image: RgbaImage, parameters: string): Promise<Uint8Array> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d')!;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  return addTextChunks(png, { parameters });
}

/** PNG bytes → an object URL (the caller revokes it). */
export const pngUrl = (png: Uint8Array) => URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
