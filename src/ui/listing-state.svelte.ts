// What the Hub's listings say of the models the picker knows (known-models.ts): sizes, precisions,
// license and gating of each, as the engine keeps them with the manifests. Looked up only on the
// official Hub (a mirror or a local hub need not hold these repos); offline, what was kept.
import type { EngineClient, ModelListing } from '../engine/index.ts';
import { DEFAULT_HUB_URL } from '../hub/index.ts';
import { KNOWN_MODELS } from './known-models.ts';

export class ListingState {
  /** By repo id; a repo never listed on this device is missing. */
  byRepo = $state.raw<Record<string, ModelListing>>({});

  constructor(private readonly engine: EngineClient, private readonly hubUrl: () => string) {}

  /** Reads the kept listings again; with `lookUp`, asks the official Hub for those never listed. */
  async refresh(lookUp = false): Promise<void> {
    const hubUrl = this.hubUrl();
    this.byRepo = await this.engine.modelListings(hubUrl, KNOWN_MODELS.map((m) => m.id), lookUp && hubUrl === DEFAULT_HUB_URL).catch(() => this.byRepo);
  }
}
