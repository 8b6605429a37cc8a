// A live preview from the latents alone: each of the 4 latent channels contributes a fixed
// amount of red, green and blue. These are the well-known linear factors for the SD 1.x/2.x VAE
// (as in AUTOMATIC1111's "Approx cheap" preview); close enough to show the picture forming,
// and no extra model to download.
const FACTORS = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

/** Latents `[1, 4, h, w]` → RGBA pixels `w × h` (one pixel per latent, 1/8 of the image size). */
export function latentsToRgba(latents: { dims: number[]; data: Float32Array }): { width: number; height: number; data: Uint8ClampedArray } {
  const [, channels = 4, height = 0, width = 0] = latents.dims;
  const plane = width * height;
  const out = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = 0; k < Math.min(channels, 4); k++) v += latents.data[k * plane + i]! * FACTORS[k]![c]!;
      out[i * 4 + c] = ((v + 1) / 2) * 255; // [-1, 1] → [0, 255], clamped by the array type
    }
    out[i * 4 + 3] = 255;
  }
  return { width, height, data: out };
}
