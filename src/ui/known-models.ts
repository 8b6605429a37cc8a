// Models the app is known to run (see the README's "Models and settings"): names and one line
// each. Their sizes, precisions, license and gating are not written here: the picker shows what
// each repo's listing on the Hub says (Engine.modelListings, kept with the manifests), and the
// settings form shows the model's own defaults once it is open.
export interface KnownModel {
  id: string;
  name: string;
  note: string;
  /** What the device needs beyond WebGPU, when it is more than the usual (GPU features, memory). */
  needs?: string;
}

export const KNOWN_MODELS: readonly KnownModel[] = [
  { id: 'schmuell/sd-turbo-ort-web', name: 'SD-Turbo', note: 'one-step images; ships only its ONNX files' },
  { id: 'microsoft/sd-turbo-webnn', name: 'SD-Turbo (WebNN export)', note: 'static shapes: one image size, made for WebNN' },
  { id: 'webnn/sdxl-turbo', name: 'SDXL-Turbo (WebNN export)', note: 'SDXL in one step; int4 weights in a flat onnx/ folder' },
  { id: 'aislamov/lcm-dreamshaper-v7-onnx', name: 'LCM Dreamshaper v7', note: 'latent consistency: a few steps' },
  { id: 'nmkd/stable-diffusion-1.5-onnx-fp16', name: 'Stable Diffusion 1.5', note: 'the classic, with guidance' },
  { id: 'aislamov/stable-diffusion-2-1-base-onnx', name: 'Stable Diffusion 2.1 base', note: 'Stable Diffusion 2.x, with guidance' },
  {
    id: 'webnn/Z-Image-Turbo',
    name: 'Z-Image-Turbo',
    note: 'a 6B diffusion transformer: 8 steps, 1024×1024, no guidance',
    // Its graphs compute in fp16 (q4f16). GPU memory estimated from the weights (text encoder ~2.2 GB,
    // transformer ~3.7 GB, VAE 0.1 GB) plus activations at 1024² (not measured: no real GPU here).
    needs: 'WebGPU with shader-f16, about 4–5 GB of GPU memory (6–7 GB if the text encoder stayed loaded)',
  },
];
