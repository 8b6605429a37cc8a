/** A run of prompt text and the weight its tokens' embeddings are multiplied by. */
export interface WeightedText {
  kind: 'text';
  text: string;
  weight: number;
}

/** `BREAK`: the tokens after it start a new 75-token chunk. */
export interface PromptBreak {
  kind: 'break';
}

/** One part of a parsed prompt, in order. */
export type PromptPart = WeightedText | PromptBreak;

// A1111's tokens (modules/prompt_parser.py `re_attention`), tried in this order at each place:
// escapes \( \) \[ \] \\, a lone backslash, ( [, ":weight)", ) ], plain text, a lone colon.
const ATTENTION = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/gu;
// `\s*\bBREAK\b\s*` with Python's Unicode word boundary (JS's \b only knows ASCII letters).
const BREAK = /\s*(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])\s*/u;
const ROUND = 1.1;
const SQUARE = 1 / 1.1;
// A1111 keeps BREAK in its list as the text "BREAK" with weight −1 and recognises it only while
// the weight is still exactly −1: inside brackets it is multiplied and becomes plain text.
const BREAK_MARK = -1;

/**
 * AUTOMATIC1111's emphasis syntax (`parse_prompt_attention`): `(text)` multiplies the weight
 * by 1.1, `[text]` divides it by 1.1, `(text:1.3)` multiplies it by 1.3, brackets nest and
 * multiply; `\(`, `\)`, `\[`, `\]` and `\\` are the characters themselves; `BREAK` (a word of
 * its own, in capitals) ends a chunk. Brackets left open at the end still apply (round ones
 * first), a closing bracket without an opening one is text, and neighbouring runs of the same
 * weight are joined, so a prompt without these characters is one run of weight 1. Unlike A1111,
 * a weight that is not a number (`(a:1.2.3)`) is kept as text instead of stopping with an error.
 */
export function parsePromptAttention(prompt: string): PromptPart[] {
  const res: [string, number][] = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyFrom = (start: number, by: number) => {
    for (let p = start; p < res.length; p++) res[p]![1] *= by;
  };

  for (const m of prompt.matchAll(ATTENTION)) {
    const token = m[0];
    const weight = m[1] === undefined ? undefined : Number(m[1]);
    if (token.startsWith('\\')) res.push([token.slice(1), 1]);
    else if (token === '(') round.push(res.length);
    else if (token === '[') square.push(res.length);
    else if (weight !== undefined && !Number.isNaN(weight) && round.length) multiplyFrom(round.pop()!, weight);
    else if (token === ')' && round.length) multiplyFrom(round.pop()!, ROUND);
    else if (token === ']' && square.length) multiplyFrom(square.pop()!, SQUARE);
    else {
      token.split(BREAK).forEach((part, i) => {
        if (i > 0) res.push(['BREAK', BREAK_MARK]);
        res.push([part, 1]);
      });
    }
  }
  for (const start of round) multiplyFrom(start, ROUND);
  for (const start of square) multiplyFrom(start, SQUARE);
  if (res.length === 0) res.push(['', 1]);

  // Join runs of identical weights (two BREAKs in a row would join too, and stop being breaks, as in A1111).
  for (let i = 0; i + 1 < res.length; ) {
    if (res[i]![1] === res[i + 1]![1]) {
      res[i]![0] += res[i + 1]![0];
      res.splice(i + 1, 1);
    } else i++;
  }
  return res.map(([text, weight]) => (text === 'BREAK' && weight === BREAK_MARK ? { kind: 'break' } : { kind: 'text', text, weight }));
}
