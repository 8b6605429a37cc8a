import { describe, expect, it } from 'vitest';
import { extractExtraNetworks, parsePromptAttention, type PromptPart } from '../../../src/diffusion/index.ts';

const BREAK = 'BREAK' as const;
type Row = [string, ([string, number] | typeof BREAK)[]];

// What A1111's parse_prompt_attention (modules/prompt_parser.py, v1.6 and later) returns for each
// prompt, BREAK standing for its ['BREAK', -1] marker. Weights are compared exactly: the same
// multiplications in the same order give the same doubles.
const A1111: Row[] = [
  ["normal text", [["normal text", 1]]],
  ["an (important) word", [["an ", 1], ["important", 1.1], [" word", 1]]],
  ["(unbalanced", [["unbalanced", 1.1]]],
  ["\\(literal\\]", [["(literal]", 1]]],
  ["(unnecessary)(parens)", [["unnecessaryparens", 1.1]]],
  ["a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).", [["a ", 1], ["house", 1.5730000000000004], [" ", 1.1], ["on", 1], [" a ", 1.1], ["hill", 0.55], [", sun, ", 1.1], ["sky", 1.4641000000000006], [".", 1.1]]],
  ["((a))", [["a", 1.2100000000000002]]],
  ["[a]", [["a", 0.9090909090909091]]],
  ["[[a]]", [["a", 0.8264462809917354]]],
  ["([a])", [["a", 1]]],
  ["[(a)]", [["a", 1]]],
  ["(a:.5)", [["a", 0.5]]],
  ["(a: 1.2 )", [["a", 1.2]]],
  ["(a:-1)", [["a", -1]]],
  ["(a:1e1)", [["a:1e1", 1.1]]],
  ["(a:+.25) b", [["a", 0.25], [" b", 1]]],
  ["a)", [["a)", 1]]],
  ["a]", [["a]", 1]]],
  ["[a:1.5)", [["a:1.5)", 0.9090909090909091]]],
  ["(a:1.5]", [["a:1.5]", 1.1]]],
  ["a BREAK b", [["a", 1], BREAK, ["b", 1]]],
  ["a BREAKb", [["a BREAKb", 1]]],
  ["aBREAK b", [["aBREAK b", 1]]],
  ["a break b", [["a break b", 1]]],
  ["(a BREAK b)", [["a", 1.1], ["BREAK", -1.1], ["b", 1.1]]],
  ["BREAK a", [["", 1], BREAK, ["a", 1]]],
  ["a BREAK", [["a", 1], BREAK, ["", 1]]],
  ["a BREAK BREAK b", [["a", 1], BREAK, ["", 1], BREAK, ["b", 1]]],
  ["a\\\\b", [["a\\b", 1]]],
  ["a\\b", [["ab", 1]]],
  ["", [["", 1]]],
  ["(\\(a\\))", [["(a)", 1.1]]],
  ["a: b", [["a: b", 1]]],
  ["((a:1.5) b)", [["a", 1.6500000000000001], [" b", 1.1]]],
  ["(a [b] c)", [["a ", 1.1], ["b", 1], [" c", 1.1]]],
  ["[a (b:2) c", [["a ", 0.9090909090909091], ["b", 1.8181818181818181], [" c", 0.9090909090909091]]],
  ["x ((y)", [["x ", 1], ["y", 1.2100000000000002]]],
  ["éBREAK a", [["éBREAK a", 1]]],
  ["a,BREAK,b", [["a,", 1], BREAK, [",b", 1]]],
  ["(masterpiece:1.2), best quality, [blurry], (((detailed eyes)))", [["masterpiece", 1.2], [", best quality, ", 1], ["blurry", 0.9090909090909091], [", ", 1], ["detailed eyes", 1.3310000000000004]]],
  ["((a)(b))", [["ab", 1.2100000000000002]]],
  ["(a)(b:1.1)", [["ab", 1.1]]],
];

const simple = (parts: PromptPart[]) => parts.map((p) => (p.kind === 'break' ? BREAK : [p.text, p.weight]));

describe('parsePromptAttention: A1111 emphasis', () => {
  for (const [prompt, expected] of A1111) {
    it(JSON.stringify(prompt), () => expect(simple(parsePromptAttention(prompt))).toEqual(expected));
  }

  it('a weight that is not a number stays text instead of failing (A1111 stops with a ValueError)', () => {
    expect(simple(parsePromptAttention('(a:1.2.3)'))).toEqual([['a:1.2.3)', 1.1]]);
    expect(simple(parsePromptAttention('(a:.)'))).toEqual([['a:.)', 1.1]]);
  });
});

describe('extractExtraNetworks: <type:name:args>', () => {
  it('takes LoRA and hypernetwork tags out of the text and lists them in order', () => {
    const { text, networks } = extractExtraNetworks('a castle <lora:ghibli_style:0.8>, (sunset:1.2) <hypernet:anime:1> <lora:detail:0.5:0.2>');
    expect(text).toBe('a castle , (sunset:1.2)  ');
    expect(networks).toEqual([
      { type: 'lora', name: 'ghibli_style', args: ['0.8'], weight: 0.8, tag: '<lora:ghibli_style:0.8>' },
      { type: 'hypernet', name: 'anime', args: ['1'], weight: 1, tag: '<hypernet:anime:1>' },
      { type: 'lora', name: 'detail', args: ['0.5', '0.2'], weight: 0.5, tag: '<lora:detail:0.5:0.2>' },
    ]);
  });

  it('a tag without a multiplier weighs 1; what is not a tag stays text', () => {
    expect(extractExtraNetworks('<lora:plain>').networks[0]).toMatchObject({ name: 'plain', args: [], weight: 1 });
    expect(extractExtraNetworks('<lora:x:strong>').networks[0]).toMatchObject({ args: ['strong'], weight: 1 });
    for (const notATag of ['a <b> c', '<lora:>', '< lora:x:1>', 'x > y < z', '<lo-ra:x:1>']) {
      expect(extractExtraNetworks(notATag)).toEqual({ text: notATag, networks: [] });
    }
  });

  it("finds exactly the tags A1111's regex finds, on text full of near-tags", () => {
    const A1111 = /<([\p{L}\p{N}_]+):([^>]+)>/gu;
    const pieces = ['<', '>', ':', 'lora', 'é', '_', '1', ' ', '<a:', 'x>', '::', '\n'];
    let state = 7;
    for (let n = 0; n < 500; n++) {
      let text = '';
      for (let i = 0; i < 24; i++) text += pieces[(state = (state * 1103515245 + 12345) % 2 ** 31) % pieces.length];
      const expected = [...text.matchAll(A1111)].map((m) => m[0]);
      const { text: rest, networks } = extractExtraNetworks(text);
      expect(networks.map((t) => t.tag), JSON.stringify(text)).toEqual(expected);
      expect(rest).toBe(text.replace(A1111, ''));
    }
  });

  it('a megabyte of unclosed tags is read in one pass (the regex rescans the rest of the text at each one)', () => {
    const unclosed = '<lora:x'.repeat(150_000);
    expect(extractExtraNetworks(unclosed)).toEqual({ text: unclosed, networks: [] });
    // With one `>` at the very end, the first `<lora:` runs to it, as the regex's [^>]+ does.
    const closed = `${unclosed}>`;
    const { text, networks } = extractExtraNetworks(closed);
    expect([text, networks.length, networks[0]!.tag, networks[0]!.name]).toEqual(['', 1, closed, 'x<lora']);
  });

  it('a prompt without tags comes back unchanged', () => {
    const prompt = 'a watercolor painting of a lighthouse at dawn, (soft light:1.1)';
    expect(extractExtraNetworks(prompt)).toEqual({ text: prompt, networks: [] });
  });
});
