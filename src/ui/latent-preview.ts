// A live preview from the latents alone: each latent channel contributes a fixed amount of red,
// green and blue, then [-1, 1] maps to [0, 255]. Close enough to show the picture forming, and no
// extra model to download. SD 1.x/2.x's 4-channel VAE: the well-known factors of AUTOMATIC1111's
// "Approx cheap" preview. The 16-channel VAE of Flux and Z-Image (in the pipeline's latent space,
// before `/ 0.3611 + 0.1159`): ComfyUI's fitted factors and bias for it (comfy/latent_formats.py,
// class Flux). Other channel counts get no preview rather than a wrong one.
const SD_FACTORS = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];
const FLUX_FACTORS = [
  [-0.0346, 0.0244, 0.0681],
  [0.0034, 0.021, 0.0687],
  [0.0275, -0.0668, -0.0433],
  [-0.0174, 0.016, 0.0617],
  [0.0859, 0.0721, 0.0329],
  [0.0004, 0.0383, 0.0115],
  [0.0405, 0.0861, 0.0915],
  [-0.0236, -0.0185, -0.0259],
  [-0.0245, 0.025, 0.118],
  [0.1008, 0.0755, -0.0421],
  [-0.0515, 0.0201, 0.0011],
  [0.0428, -0.0012, -0.0036],
  [0.0817, 0.0765, 0.0749],
  [-0.1264, -0.0522, -0.1103],
  [-0.028, -0.0881, -0.0499],
  [-0.1262, -0.0982, -0.0778],
];
const FLUX_BIAS = [-0.0329, -0.0718, -0.0851];

const FORMATS: Record<number, { factors: number[][]; bias: number[] }> = {
  4: { factors: SD_FACTORS, bias: [0, 0, 0] },
  16: { factors: FLUX_FACTORS, bias: FLUX_BIAS },
};

/** Whether latents with this many channels get a preview (4: Stable Diffusion, 16: Z-Image and Flux). */
export const hasLatentPreview = (channels: number): boolean => channels in FORMATS;

/** Latents `[1, C, h, w]` → RGBA pixels `w × h` (one pixel per latent, 1/8 of the image size); undefined for a channel count without factors. */
export function latentsToRgba(latents: { dims: number[]; data: Float32Array }): { width: number; height: number; data: Uint8ClampedArray } | undefined {
  const [, channels = 4, height = 0, width = 0] = latents.dims;
  const format = FORMATS[channels];
  if (!format) return undefined;
  const plane = width * height;
  const out = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      let v = format.bias[c]!;
      for (let k = 0; k < channels; k++) v += latents.data[k * plane + i]! * format.factors[k]![c]!;
      out[i * 4 + c] = ((v + 1) / 2) * 255; // [-1, 1] → [0, 255], clamped by the array type
    }
    out[i * 4 + 3] = 255;
  }
  return { width, height, data: out };
}
