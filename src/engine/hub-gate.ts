// Which hubs the engine may talk to. The official Hub needs nothing; any other hub (a local dev
// hub, a mirror, or whatever a link's `?hub=` names) only after the person confirmed it in the
// page, remembered per origin in this worker's IndexedDB. Enforced here, in the engine, on every
// request it makes (the page's CSP does not cover this worker, and a link must not be able to
// send a pasted token or a download request anywhere on its own).
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { hubOrigin, HubNotConfirmedError, OFFICIAL_HUB_ORIGIN } from '../hub/index.ts';

/** Whether a hub may be used, as the page shows it: its origin, whether it is the official Hub, and whether the person confirmed it. */
export interface HubTrust {
  /** The hub's origin (`http://127.0.0.1:8411`): what tokens, confirmations and the cache are kept by. */
  origin: string;
  /** The official Hugging Face Hub (`https://huggingface.co`): used without asking. */
  official: boolean;
  /** Whether the engine will make requests there (always for the official Hub). */
  confirmed: boolean;
}

export class HubGate {
  private readonly confirmed = new Set<string>();
  private db?: UseStore;

  constructor(private readonly dbName = 'diffusion-studio-hubs') {}

  private store(): UseStore {
    return (this.db ??= createStore(this.dbName, 'confirmed'));
  }

  /** Whether `hubUrl` may be used; throws InvalidHubUrlError for what is not an http(s) hub. */
  async status(hubUrl: string): Promise<HubTrust> {
    const origin = hubOrigin(hubUrl);
    const official = origin === OFFICIAL_HUB_ORIGIN;
    if (!official && !this.confirmed.has(origin) && (await get(origin, this.store()).catch(() => undefined))) this.confirmed.add(origin);
    return { origin, official, confirmed: official || this.confirmed.has(origin) };
  }

  /** The person confirmed this hub in the page: it is used from now on, on this device too. */
  async confirm(hubUrl: string): Promise<HubTrust> {
    const origin = hubOrigin(hubUrl);
    if (origin !== OFFICIAL_HUB_ORIGIN) {
      this.confirmed.add(origin);
      await set(origin, { confirmedAt: Date.now() }, this.store());
    }
    return this.status(hubUrl);
  }

  /** Stops using this hub until it is confirmed again. */
  async forget(hubUrl: string): Promise<HubTrust> {
    const origin = hubOrigin(hubUrl);
    this.confirmed.delete(origin);
    await del(origin, this.store());
    return this.status(hubUrl);
  }

  /** Throws HubNotConfirmedError, before anything is sent, unless `hubUrl` is the official Hub or a confirmed one. */
  async require(hubUrl: string): Promise<void> {
    await this.requireOrigin(hubOrigin(hubUrl));
  }

  private async requireOrigin(origin: string): Promise<void> {
    const { confirmed } = await this.status(origin);
    if (!confirmed) {
      throw new HubNotConfirmedError(
        `The link asks to use the hub at ${origin}, which is not the official Hugging Face Hub. Nothing has been sent there: ` +
          `confirm it in the page first (tokens you paste would be sent there, and models downloaded from it).`,
        origin,
      );
    }
  }

  /**
   * A fetch that refuses, without sending anything, every request to an origin that is neither
   * the official Hub nor confirmed. Every request the engine makes to a hub goes through it
   * (redirects to a hub's CDN are followed by the browser and not seen here).
   */
  guard(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      await this.requireOrigin(hubOrigin(url.origin));
      return inner(input, init);
    };
  }
}
