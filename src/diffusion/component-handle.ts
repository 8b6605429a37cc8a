import type { ModelRunner, Tensor } from './tensor.ts';

/**
 * A model component that may be closed between uses to give its memory back (Z-Image's 2.2 GB
 * text encoder, once the prompt is encoded) and opened again from the cached files when needed.
 */
export interface ComponentHandle {
  /** The component's name (`text_encoder`, …), for messages. */
  readonly name: string;
  /** Whether a session is open now. */
  readonly open: boolean;
  /** How many times a session was opened, the first time included (a reopen shows as 2 and more). */
  readonly opens: number;
  /** The open session, opening it first when it is closed (one opening at a time). */
  get(): Promise<ModelRunner>;
  /** Closes the session (a no-op when closed); the next `get()` opens it again. */
  release(): Promise<void>;
}

/** A {@link ComponentHandle} over `open`, which creates a session each time it is called. */
export function reopenableComponent(name: string, open: () => Promise<ModelRunner>, first?: ModelRunner): ComponentHandle {
  let current: ModelRunner | undefined = first;
  let opening: Promise<ModelRunner> | undefined;
  let opens = first ? 1 : 0;
  return {
    name,
    get open() {
      return current !== undefined;
    },
    get opens() {
      return opens;
    },
    async get() {
      if (current) return current;
      opening ??= open().then(
        (runner) => {
          current = runner;
          opens++;
          opening = undefined;
          return runner;
        },
        (err) => {
          opening = undefined;
          throw err;
        },
      );
      return opening;
    },
    async release() {
      if (opening) await opening.catch(() => undefined);
      const runner = current;
      current = undefined;
      await runner?.release();
    },
  };
}

/**
 * The text encoder's outputs for the last few prompts, so a new seed, size or step count with the
 * same prompt never runs (or reopens) the text encoder. Keyed by the encoded ids, so two
 * prompts that tokenize alike share an entry. Least recently used goes first.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, Tensor>();

  /** @param capacity how many prompts to keep. */
  constructor(readonly capacity = 4) {}

  /** The cached embeddings of these ids, or undefined. */
  get(ids: readonly number[]): Tensor | undefined {
    const key = ids.join(',');
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  /** Keeps the embeddings of these ids, dropping the least recently used entry beyond `capacity`. */
  set(ids: readonly number[], embeddings: Tensor): void {
    const key = ids.join(',');
    this.entries.delete(key);
    this.entries.set(key, embeddings);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
  }

  /** How many prompts are cached. */
  get size(): number {
    return this.entries.size;
  }
}
