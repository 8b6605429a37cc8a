// The Hugging Face token as the page handles it: the field's text until it is used (then
// cleared: the engine holds the token, and the disk only if asked), and who is signed in.
import type { EngineClient, WhoAmI } from '../engine/index.ts';

export class TokenState {
  /** What is typed in the token field. */
  typed = $state('');
  /** The "Remember on this device" box. */
  remember = $state(false);
  who = $state.raw<WhoAmI>();
  remembered = $state(false);
  /** Why the last token was refused, or that it was forgotten. */
  message = $state('');
  checking = $state(false);

  constructor(
    private readonly engine: EngineClient,
    private readonly hubUrl: () => string,
    /** Called when the account changed (the model card may say something else now). */
    private readonly onChange: () => void,
  ) {}

  /** Who is signed in now (e.g. after an error, or a token remembered on an earlier visit). */
  async refresh(): Promise<void> {
    const a = await this.engine.account(this.hubUrl()).catch(() => undefined);
    this.who = a?.who;
    this.remembered = !!a?.remembered;
  }

  /** The first look, which also sets the box to whether the token is remembered. */
  async load(): Promise<void> {
    await this.refresh();
    this.remember = this.remembered;
  }

  /**
   * Uses the typed token, if any (checked with whoami first; the field is cleared either way).
   * False when the Hub refused it (`message` says why). Generate and Download call this first,
   * so a pasted token works without pressing "Use token".
   */
  async signIn(): Promise<boolean> {
    if (!this.typed.trim()) return true;
    this.checking = true;
    this.message = '';
    try {
      this.who = await this.engine.signIn(this.hubUrl(), this.typed, this.remember);
      this.remembered = this.remember;
      this.onChange();
      return true;
    } catch (err) {
      this.who = undefined;
      this.message = (err as Error).message;
      return false;
    } finally {
      this.typed = '';
      this.checking = false;
    }
  }

  async forget(): Promise<void> {
    await this.engine.forgetToken(this.hubUrl());
    this.who = undefined;
    this.remembered = false;
    this.remember = false;
    this.message = 'Token forgotten: it is no longer in memory or on this device.';
    this.onChange();
  }
}
