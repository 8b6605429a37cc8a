import { DEFAULT_HUB_URL } from '../hub/index.ts';

export const DEFAULT_MODEL = 'schmuell/sd-turbo-ort-web';

export interface Settings {
  hubUrl: string;
  model: string;
  revision: string;
  /** `auto` = WebGPU when the browser has it, else the CPU. */
  backend: 'auto' | 'webgpu' | 'wasm';
}

/** Defaults, overridden by the page URL's `hub`, `model`, `revision` and `backend` query parameters. */
export function initialSettings(search: string = location.search): Settings {
  const q = new URLSearchParams(search);
  const backend = q.get('backend');
  return {
    hubUrl: q.get('hub') || DEFAULT_HUB_URL,
    model: q.get('model') || DEFAULT_MODEL,
    revision: q.get('revision') || 'main',
    backend: backend === 'webgpu' || backend === 'wasm' ? backend : 'auto',
  };
}
