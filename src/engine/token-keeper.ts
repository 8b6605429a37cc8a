import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { whoAmI, type HubOptions, type WhoAmI } from '../hub/index.ts';

/**
 * The user's Hugging Face token, per Hub origin. Held in the worker's memory; written to
 * IndexedDB only when the user ticks "Remember on this device", and deleted by "Forget".
 */
export class TokenKeeper {
  private readonly tokens = new Map<string, { token: string; who: WhoAmI }>();
  private readonly db: UseStore;

  constructor(dbName = 'diffusion-studio-token') {
    this.db = createStore(dbName, 'tokens');
  }

  /** Checks the token with the Hub; keeps it (in memory, and on disk if asked) only if valid. */
  async signIn(hubUrl: string, token: string, remember: boolean, fetchImpl?: typeof fetch): Promise<WhoAmI> {
    const origin = new URL(hubUrl).origin;
    const who = await whoAmI({ hubUrl, accessToken: token, fetch: fetchImpl });
    this.tokens.set(origin, { token, who });
    if (remember) await set(origin, { token, who }, this.db);
    else await del(origin, this.db);
    return who;
  }

  /** Forgets the token for this Hub, in memory and on disk. */
  async forget(hubUrl: string): Promise<void> {
    const origin = new URL(hubUrl).origin;
    this.tokens.delete(origin);
    await del(origin, this.db);
  }

  /** Who is signed in to this Hub (from memory, or from a remembered token), without the token. */
  async current(hubUrl: string): Promise<{ who: WhoAmI; remembered: boolean } | undefined> {
    const origin = new URL(hubUrl).origin;
    const saved = await get<{ token: string; who: WhoAmI }>(origin, this.db);
    if (saved && !this.tokens.has(origin)) this.tokens.set(origin, saved);
    const held = this.tokens.get(origin);
    return held ? { who: held.who, remembered: !!saved } : undefined;
  }

  /** Hub options with the token for that Hub, if any. */
  async hubOptions(hubUrl: string, fetchImpl?: typeof fetch): Promise<HubOptions & { who?: WhoAmI }> {
    await this.current(hubUrl);
    const held = this.tokens.get(new URL(hubUrl).origin);
    return { hubUrl, accessToken: held?.token, fetch: fetchImpl, who: held?.who };
  }
}
