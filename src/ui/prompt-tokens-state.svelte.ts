// The token counter under the prompt box (A1111's `37/75`): counted by the engine, which has the
// model's tokenizer (the page loads none), a moment after typing pauses; only the newest answer shows.
import type { EngineClient, ModelSource, PromptTokenCount } from '../engine/index.ts';

/** How long typing must pause before the prompt is counted. */
const PAUSE_MS = 150;

export class PromptTokensState {
  /** The last count, for the prompt as it was when typing paused. */
  count = $state.raw<PromptTokenCount>();
  private timer?: ReturnType<typeof setTimeout>;
  private asked = 0;

  constructor(
    private readonly engine: EngineClient,
    private readonly source: () => ModelSource,
  ) {}

  /** Counts `prompt` once typing pauses; an answer to an older request is dropped. */
  request(prompt: string): void {
    clearTimeout(this.timer);
    const ticket = ++this.asked;
    this.timer = setTimeout(async () => {
      try {
        const count = await this.engine.countTokens(this.source(), prompt);
        if (ticket === this.asked) this.count = count;
      } catch {
        if (ticket === this.asked) this.count = undefined; // no counter rather than a wrong one
      }
    }, PAUSE_MS);
  }
}
