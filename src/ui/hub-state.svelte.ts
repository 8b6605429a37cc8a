// The hub as the page handles it: the official Hub is used as it is; any other (a link's `?hub=`)
// is shown by its origin and used only once the person confirms it. The engine enforces this on
// every request; the page asks the question and shows a badge while such a hub is in use.
import type { EngineClient, HubTrust } from '../engine/index.ts';
import { HubNotConfirmedError } from '../hub/index.ts';

export class HubState {
  /** What the engine says about the hub in the settings: its origin, official or not, confirmed or not. */
  trust = $state.raw<HubTrust>();
  /** Why a link's `hub` was not taken (not an http(s) address), if it was refused. */
  refused = $state('');
  /** The question is waiting for an answer (the hub is not official and not confirmed). */
  readonly asking = $derived(!!this.trust && !this.trust.confirmed);
  /** A hub other than the official one is in use: the page shows a badge. */
  readonly other = $derived(!!this.trust && !this.trust.official && this.trust.confirmed);

  constructor(
    private readonly engine: EngineClient,
    private readonly hubUrl: () => string,
  ) {}

  /** Asks the engine whether the hub in the settings may be used. */
  async load(): Promise<HubTrust> {
    return (this.trust = await this.engine.hubStatus(this.hubUrl()));
  }

  /** The person clicked “Use this hub”. */
  async confirm(): Promise<void> {
    this.trust = await this.engine.confirmHub(this.hubUrl());
  }

  /** The person stopped using this hub: it is asked about again next time. */
  async forget(): Promise<void> {
    this.trust = await this.engine.forgetHub(this.hubUrl());
  }

  /** Throws what the engine would (without asking it) while the hub waits for confirmation: the page's own words, nothing sent. */
  require(): void {
    if (this.trust && !this.trust.confirmed) {
      throw new HubNotConfirmedError(`Nothing was sent to ${this.trust.origin}: answer the question above about this hub first.`, this.trust.origin);
    }
  }
}
