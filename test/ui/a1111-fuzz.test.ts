// Property tests of the A1111 infotext reader: thousands of mutations of real infotexts give
// exactly what A1111's own pair regex gives (the reference below, fine on short lines), and long
// hostile lines, which that regex takes minutes over, parse within a time bound.
import { describe, expect, it } from 'vitest';
import { formatParameters, parseParameters, type GenerationParameters } from '../../src/ui/a1111-parameters.ts';
import { CASE_TIME_CAP_MS, MEMORY_CAP, mutateText, prng, watch } from '../support/fuzz.ts';
import { A1111_SAMPLE } from '../support/png.ts';

// The reader as it was, on A1111's own pair regex (modules/infotext_utils.py, re_param_code):
// the reference the linear scanner must agree with. Fine on short lines, quadratic on long ones.
const PAIR = /\s*([\p{L}\p{M}\p{N}_][\p{L}\p{M}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu;
const KNOWN = new Set(['Steps', 'Sampler', 'CFG scale', 'Seed', 'Size', 'Model hash', 'Model']);
function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : value;
  } catch {
    return value;
  }
}
function referencePairs(line: string): { pairs: [string, string][]; whole: boolean } {
  const pairs: [string, string][] = [];
  let covered = 0;
  for (const m of line.matchAll(PAIR)) {
    if (m.index !== covered) covered = -Infinity;
    covered += m[0].length;
    pairs.push([m[1]!, unquote(m[2]!.trim())]);
  }
  return { pairs, whole: covered === line.length };
}
function referenceParse(text: string): GenerationParameters {
  const lines = text.trim().split('\n');
  let params: [string, string][] = [];
  const last = referencePairs(lines.at(-1)!);
  if (last.pairs.length >= 3 || (last.whole && last.pairs.some(([k]) => KNOWN.has(k)))) {
    params = last.pairs;
    lines.pop();
  }
  const prompt: string[] = [];
  let negative: string[] | undefined;
  for (let line of lines) {
    line = line.trim();
    if (line.startsWith('Negative prompt:')) {
      negative ??= [];
      line = line.slice('Negative prompt:'.length).trim();
    }
    (negative ?? prompt).push(line);
  }
  const result: GenerationParameters = { prompt: prompt.join('\n') };
  if (negative) result.negativePrompt = negative.join('\n');
  const extra: Record<string, string> = {};
  const numeric = { Steps: 'steps', 'CFG scale': 'cfgScale', Seed: 'seed' } as const;
  for (const [key, value] of params) {
    const size = key === 'Size' ? /^(\d+)x(\d+)$/.exec(value) : null;
    const field = numeric[key as keyof typeof numeric];
    const n = field && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined;
    if (size) [result.width, result.height] = [Number(size[1]), Number(size[2])];
    else if (field && n !== undefined) result[field] = n;
    else if (key === 'Sampler') result.sampler = value;
    else if (key === 'Model') result.model = value;
    else if (key === 'Model hash') result.modelHash = value;
    else extra[key] = value;
  }
  if (Object.keys(extra).length > 0) result.extra = extra;
  return result;
}

const PIECES = [':', ',', '"', '\\', ' ', '\t', '\n', '\r', 'a', 'Zz', 'é', '𝒜', '😀', '\u2028', '\u00a0', '-', '/', '_', 'Steps: 3', 'Negative prompt:', '"x, y"', '\\"', 'Size: 2x3'];
const SEEDS = [
  A1111_SAMPLE,
  formatParameters({ prompt: 'a lighthouse', negativePrompt: 'blur', steps: 2, seed: 9, width: 8, height: 8, model: 'a/b', extra: { Note: 'x, "y": z' } }),
  'a portrait\nstyle: oil, mood: calm',
  'x\nSteps: many, Seed: -1, Size: big, CFG scale: 7',
];

describe('the A1111 reader on thousands of mutated infotexts', () => {
  it('gives exactly what A1111’s regex gives', () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 4000; seed++) {
      const rand = prng(seed);
      const text = mutateText(SEEDS[seed % SEEDS.length]!, rand, PIECES);
      const ours = parseParameters(text);
      const ref = referenceParse(text);
      if (JSON.stringify(ours) !== JSON.stringify(ref)) failures.push(`seed ${seed}: ${JSON.stringify(text)}: ${JSON.stringify(ours)} but A1111's regex gives ${JSON.stringify(ref)}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('parses long hostile lines within a time bound', async () => {
    const w = watch();
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed);
      const text = mutateText(SEEDS[seed % SEEDS.length]!, rand, PIECES, 3000); // slices repeated up to 3000 times
      await w.case_(seed, () => parseParameters(text));
    }
    const { slowest, peakBytes } = w.report();
    expect(slowest.ms).toBeLessThan(CASE_TIME_CAP_MS);
    expect(peakBytes).toBeLessThan(MEMORY_CAP);
  });
});
