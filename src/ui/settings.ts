import { DEFAULT_HUB_URL } from '../hub/index.ts';

export const DEFAULT_MODEL = 'schmuell/sd-turbo-ort-web';

export interface Settings {
  hubUrl: string;
  model: string;
  revision: string;
}

/** Defaults, overridden by the page URL's `hub`, `model` and `revision` query parameters. */
export function initialSettings(search: string = location.search): Settings {
  const q = new URLSearchParams(search);
  return {
    hubUrl: q.get('hub') || DEFAULT_HUB_URL,
    model: q.get('model') || DEFAULT_MODEL,
    revision: q.get('revision') || 'main',
  };
}
