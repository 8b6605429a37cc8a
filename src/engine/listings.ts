// What the model picker shows of the repos it knows (ui/known-models.ts names them): sizes,
// precisions and gating from each repo's listing on the Hub, kept with its manifest like any
// other listing. A repo listed once is not asked again (the figures change rarely, and a newer
// listing would move its `main` ref past a commit that is downloaded); offline, or on a hub that
// does not hold the repo, the kept figures or none.
import type { HubOptions } from '../hub/index.ts';
import type { Store } from '../cache/index.ts';
import type { BackendChoice } from '../runtime/index.ts';
import { cachedManifest, fetchManifest, saveManifest, type Manifest } from './manifest.ts';
import type { ModelListing } from './types.ts';
import { layoutOf, listedVariants } from './variants.ts';

/** A kept listing as the page shows it, its variants judged for `target`. */
export function modelListing(m: Manifest, target?: BackendChoice): ModelListing {
  return {
    hub: m.hub,
    model: m.repo,
    commit: m.commit,
    license: m.license,
    gated: m.gated,
    private: m.private ?? false,
    listedAt: m.listedAt,
    layout: layoutOf(m).kind,
    variants: listedVariants(m, target),
  };
}

/**
 * The listing of each repo's `main` on the hub at `hubUrl`: the kept one, else (with `hub`, the
 * options to ask that hub) the hub's, which is then kept. A repo the Hub does not have, or will not list, is left out.
 */
export async function lookUpListings(p: { store: Store; hubUrl: string; models: readonly string[]; hub?: HubOptions; target?: BackendChoice }): Promise<Record<string, ModelListing>> {
  const out: Record<string, ModelListing> = {};
  const { hubUrl } = p;
  for (const model of p.models) {
    let m = await cachedManifest(p.store, hubUrl, model, 'main').catch(() => undefined);
    if (!m && p.hub) {
      m = await fetchManifest(p.hub, model, 'main').catch(() => undefined);
      if (m) await saveManifest(p.store, model, 'main', m);
    }
    if (m) out[model] = modelListing(m, p.target);
  }
  return out;
}
