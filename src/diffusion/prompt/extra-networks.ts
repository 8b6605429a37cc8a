/** An extra network named in a prompt, as A1111 writes it: `<lora:name:0.8>`, `<hypernet:name:1>`. */
export interface ExtraNetwork {
  /** What kind of network: `lora`, `hypernet`, `lyco`, … (the word after `<`). */
  type: string;
  /** Its name (the first field). */
  name: string;
  /** The fields after the name, as written (`['0.8']`; LoRA takes a second one for the UNet). */
  args: string[];
  /** The first argument as a number, 1 when it is missing or not a number (A1111's default multiplier). */
  weight: number;
  /** The tag exactly as it stood in the prompt. */
  tag: string;
}

// modules/extra_networks.py `re_extra_net`: <(\w+):([^>]+)>, with Python's Unicode \w. Found by a
// scanner that gives that regex's matches in one pass: the regex itself backtracks over the rest
// of the text for every `<word:` not followed by `>`, which a long pasted prompt can be full of.
const WORD_CHAR = /^[\p{L}\p{N}_]$/u;

/** The next tag at or after `from`: `[start, end)` of `<type:fields>`, or undefined. */
function nextTag(prompt: string, from: number): { start: number; colon: number; end: number } | undefined {
  let close = -1; // the first `>` at or after the last place looked: tags cannot start before it and end after it
  for (let p = prompt.indexOf('<', from); p !== -1; p = prompt.indexOf('<', p + 1)) {
    let q = p + 1;
    for (let cp: number | undefined; q < prompt.length && WORD_CHAR.test(String.fromCodePoint((cp = prompt.codePointAt(q)!))); ) q += cp > 0xffff ? 2 : 1;
    if (q === p + 1 || prompt[q] !== ':') continue;
    if (close <= q + 1) close = prompt.indexOf('>', q + 2);
    if (close === -1) return undefined; // no `>` after here: no later `<` can close either
    return { start: p, colon: q, end: close + 1 };
  }
  return undefined;
}

/**
 * Takes A1111's extra-network tags out of a prompt, as A1111 does before anything else reads
 * it: every `<type:name[:args…]>` is removed from the text (nothing is put in its place) and
 * returned. A1111 does this for the prompt only; a negative prompt's tags stay text. Linear in
 * the prompt's length.
 */
export function extractExtraNetworks(prompt: string): { text: string; networks: ExtraNetwork[] } {
  const networks: ExtraNetwork[] = [];
  const kept: string[] = [];
  let at = 0;
  for (let tag = nextTag(prompt, 0); tag; tag = nextTag(prompt, tag.end)) {
    kept.push(prompt.slice(at, tag.start));
    at = tag.end;
    const type = prompt.slice(tag.start + 1, tag.colon);
    const [name = '', ...args] = prompt.slice(tag.colon + 1, tag.end - 1).split(':');
    const first = args.length ? Number(args[0]) : Number.NaN;
    networks.push({ type, name, args, weight: args[0]?.trim() && !Number.isNaN(first) ? first : 1, tag: prompt.slice(tag.start, tag.end) });
  }
  kept.push(prompt.slice(at));
  return { text: kept.join(''), networks };
}
