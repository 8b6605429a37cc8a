// Models the app is known to run (see the README's "Models and settings"). Sizes are what the
// pipeline downloads, rounded; licenses are those of the original weights. The model card shows
// what the Hub says about the chosen repo before anything is downloaded.
export interface KnownModel {
  id: string;
  name: string;
  /** Approximate download, in bytes. */
  bytes: number;
  license: string;
  gated: boolean;
  note: string;
  /** What the device needs beyond WebGPU, when it is more than the usual (GPU features, memory). */
  needs?: string;
}

const GB = 1024 ** 3;

export const KNOWN_MODELS: readonly KnownModel[] = [
  { id: 'schmuell/sd-turbo-ort-web', name: 'SD-Turbo', bytes: 2.4 * GB, license: 'sai-nc-community', gated: false, note: '1 step, 512×512, fp16 weights' },
  { id: 'microsoft/sd-turbo-webnn', name: 'SD-Turbo (WebNN export)', bytes: 2.4 * GB, license: 'sai-nc-community', gated: false, note: '1 step, fp16 inputs' },
  { id: 'aislamov/lcm-dreamshaper-v7-onnx', name: 'LCM Dreamshaper v7', bytes: 2.2 * GB, license: 'mit', gated: false, note: '4 steps, 512×512' },
  { id: 'nmkd/stable-diffusion-1.5-onnx-fp16', name: 'Stable Diffusion 1.5', bytes: 2.1 * GB, license: 'creativeml-openrail-m', gated: false, note: '25 steps, 512×512, fp16' },
  { id: 'aislamov/stable-diffusion-2-1-base-onnx', name: 'Stable Diffusion 2.1 base', bytes: 5.2 * GB, license: 'openrail++', gated: false, note: '25 steps, 512×512, fp32' },
  {
    id: 'webnn/Z-Image-Turbo',
    name: 'Z-Image-Turbo',
    // text encoder ~2.2 GB + transformer ~3.7 GB (int4, in ≤ 1.9 GB shards) + VAE 0.1 GB; its helper graphs and safety checker are not downloaded.
    bytes: 6.0 * GB,
    license: 'apache-2.0',
    gated: false,
    note: 'diffusion transformer, 8 steps, 1024×1024, no guidance',
    // Its graphs compute in fp16 (q4f16). GPU memory estimated from the weights plus activations at 1024² (not measured: no real GPU here).
    needs: 'WebGPU with shader-f16, about 4–5 GB of GPU memory (6–7 GB if the text encoder stayed loaded)',
  },
];
