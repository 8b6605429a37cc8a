import type { Backend } from '../engine/index.ts';
import { checkHubUrl, DEFAULT_HUB_URL, isRepoId } from '../hub/index.ts';

export const DEFAULT_MODEL = 'schmuell/sd-turbo-ort-web';

export interface Settings {
  hubUrl: string;
  model: string;
  revision: string;
  /** `auto` = WebGPU when the browser has it, else the CPU; `webnn` only where the browser gives a WebNN context. */
  backend: Backend | 'auto';
  /** The variant the person chose for `variantOf` (`''`: the plain one); none: the one the device runs well. */
  variant?: string;
  /** The `model@revision` the variant was chosen for: another model or revision starts with the automatic choice. */
  variantOf?: string;
  /** `save` (URL `memory=save`): a worker per model component, the text encoder closed after each prompt (see the engine's placement). */
  memory: 'auto' | 'save';
}

const BACKENDS = ['webgpu', 'wasm', 'webnn'] as const;

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

/**
 * The hub a link names (`?hub=`), or the official Hub; `refused` says why a `hub` that is not an
 * `http(s)` address (`javascript:…`, `data:…`) was not taken, so it never becomes a link or a request.
 */
export function hubFromLink(search: string = location.search): { hubUrl: string; refused?: string } {
  const asked = new URLSearchParams(search).get('hub');
  if (!asked) return { hubUrl: DEFAULT_HUB_URL };
  try {
    return { hubUrl: checkHubUrl(asked) };
  } catch (err) {
    return { hubUrl: DEFAULT_HUB_URL, refused: `The link names a hub that cannot be used — ${(err as Error).message} The official Hub is used instead.` };
  }
}

/** Defaults, overridden by the model picked last time, then by the page URL's `hub`, `model`, `revision`, `backend`, `variant` and `memory` query parameters. */
export function initialSettings(search: string = location.search): Settings {
  const q = new URLSearchParams(search);
  const backend = BACKENDS.find((b) => b === q.get('backend')) ?? 'auto';
  const model = q.get('model') || rememberedModel() || DEFAULT_MODEL;
  const revision = q.get('revision') || 'main';
  const variant = q.get('variant');
  return {
    hubUrl: hubFromLink(search).hubUrl,
    model,
    revision,
    backend,
    ...(variant !== null && { variant, variantOf: `${model}@${revision}` }),
    memory: q.get('memory') === 'save' ? 'save' : 'auto',
  };
}
