import type { Backend } from '../engine/index.ts';
import { DEFAULT_HUB_URL, isRepoId } from '../hub/index.ts';

export const DEFAULT_MODEL = 'schmuell/sd-turbo-ort-web';

export interface Settings {
  hubUrl: string;
  model: string;
  revision: string;
  /** `auto` = WebGPU when the browser has it, else the CPU. */
  backend: Backend | 'auto';
  /** `save` (URL `memory=save`): a worker per model component, the text encoder closed after each prompt (see the engine's placement). */
  memory: 'auto' | 'save';
}

const MODEL_KEY = 'diffusion-studio:model';

/** The model last picked on this device, if any (and if it is a repo id: an older version kept anything). */
function rememberedModel(): string | null {
  try {
    const model = localStorage.getItem(MODEL_KEY);
    return model && isRepoId(model) ? model : null;
  } catch {
    return null; // storage blocked: nothing remembered
  }
}

/** Keeps the picked model for the next visit (the `model` URL parameter still wins); what is not a repo id is not kept. */
export function rememberModel(model: string): void {
  if (!isRepoId(model)) return;
  try {
    localStorage.setItem(MODEL_KEY, model);
  } catch {
    // storage blocked: the choice lasts this visit only
  }
}

/** Defaults, overridden by the model picked last time, then by the page URL's `hub`, `model`, `revision`, `backend` and `memory` query parameters. */
export function initialSettings(search: string = location.search): Settings {
  const q = new URLSearchParams(search);
  const backend = q.get('backend');
  return {
    hubUrl: q.get('hub') || DEFAULT_HUB_URL,
    model: q.get('model') || rememberedModel() || DEFAULT_MODEL,
    revision: q.get('revision') || 'main',
    backend: backend === 'webgpu' || backend === 'wasm' ? backend : 'auto',
    memory: q.get('memory') === 'save' ? 'save' : 'auto',
  };
}
