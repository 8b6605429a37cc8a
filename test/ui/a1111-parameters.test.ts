import { describe, expect, it } from 'vitest';
import { formatParameters, parseParameters, type GenerationParameters } from '../../src/ui/a1111-parameters.ts';
import { A1111_SAMPLE } from '../support/png.ts';

describe('A1111 parameters text', () => {
  it('parses a verbatim A1111 infotext', () => {
    expect(parseParameters(A1111_SAMPLE)).toEqual({
      prompt:
        'masterpiece, best quality, 1girl, solo, long hair, looking at viewer, smile, cherry blossoms, <lora:add_detail:0.5>\n(detailed background:1.2), soft lighting',
      negativePrompt: '(worst quality, low quality:1.4), EasyNegative, bad-hands-5\nwatermark, text',
      steps: 28,
      sampler: 'DPM++ 2M',
      cfgScale: 6.5,
      seed: 3456789012,
      width: 512,
      height: 768,
      modelHash: '7f96a1a9ca',
      model: 'anything-v5-PrtRE',
      extra: {
        'Schedule type': 'Karras',
        'Denoising strength': '0.45',
        'Clip skip': '2',
        'Hires upscale': '2',
        'Hires steps': '15',
        'Hires upscaler': 'R-ESRGAN 4x+ Anime6B',
        'Lora hashes': 'add_detail: 7c6bad76eb54',
        'TI hashes': 'EasyNegative: c74b4e810b03, bad-hands-5: aa7651be154c',
        Version: 'v1.10.1',
      },
    });
  });

  it('writes the A1111 layout', () => {
    const text = formatParameters({
      prompt: 'a cat',
      negativePrompt: 'blurry',
      steps: 20,
      sampler: 'DPM++ 2M Karras',
      cfgScale: 7,
      seed: 1234,
      width: 512,
      height: 768,
      modelHash: 'abc123',
      model: 'v1-5-pruned',
    });
    expect(text).toBe(
      'a cat\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model hash: abc123, Model: v1-5-pruned',
    );
  });

  it('round-trips UTF-8, multi-line prompts and quoted values', () => {
    const p: GenerationParameters = {
      prompt: '桜の木の下の猫, オイル画\nrainy street, neon — 🌧️',
      negativePrompt: 'blurry, lowres\nжёлтый текст',
      steps: 4,
      sampler: 'Euler a',
      cfgScale: 0,
      seed: 42,
      width: 512,
      height: 512,
      model: 'stabilityai/sd-turbo',
      extra: {
        'Lora hashes': 'a: 1, b: 2',
        'Comment "x"': 'ignored?',
        Note: 'line one\nline "two", with comma',
        Version: 'diffusion-studio 0.1',
      },
    };
    const key = 'Comment "x"';
    expect(() => formatParameters(p)).toThrow(RangeError); // a key A1111 could not read back
    delete p.extra![key];
    const text = formatParameters(p);
    expect(text.split('\n')).toHaveLength(5); // two prompt lines, two negative lines, one parameters line
    expect(text).toContain('Lora hashes: "a: 1, b: 2"');
    expect(parseParameters(text)).toEqual(p);
  });

  it('round-trips a prompt with only a few parameters, and a bare prompt', () => {
    const few = { prompt: 'a lighthouse at dusk', steps: 1, seed: 7 };
    expect(parseParameters(formatParameters(few))).toEqual(few);
    expect(parseParameters(formatParameters({ prompt: 'just words' }))).toEqual({ prompt: 'just words' });
  });

  it('keeps a prompt whose last line merely has colons, as A1111 does', () => {
    expect(parseParameters('a portrait\nstyle: oil, mood: calm')).toEqual({ prompt: 'a portrait\nstyle: oil, mood: calm' });
  });

  it('keeps unparsable numbers and sizes in extra', () => {
    const p = parseParameters('x\nSteps: many, Seed: -1, Size: big, CFG scale: 7');
    expect(p).toEqual({ prompt: 'x', seed: -1, cfgScale: 7, extra: { Steps: 'many', Size: 'big' } });
  });

  it('reads keys and values at the edges of the grammar as A1111 does', () => {
    // A key needs two characters, and a run of key characters broken by a tab is no key; a quoted
    // value that does not end at a comma runs to the next comma instead; astral letters are letters.
    expect(parseParameters('p\nA: 1, Bb: "x, y" , Cc:\t"q", Dd: ""').extra).toEqual({ Bb: '"x', Cc: 'q', Dd: '' });
    expect(parseParameters('p\nno key \tSteps: 3, Seed: 4, Size: 2x3')).toEqual({ prompt: 'p', steps: 3, seed: 4, width: 2, height: 3 });
    expect(parseParameters('p\n𝒜𝒜: a, ab/c-d: "\\u00e9", Steps: 2')).toEqual({ prompt: 'p', steps: 2, extra: { '𝒜𝒜': 'a', 'ab/c-d': 'é' } });
    // Two pairs that do not make up the whole line are a prompt line (an emoji is not a letter).
    expect(parseParameters('p\n😀😀: a, Steps: 2')).toEqual({ prompt: 'p\n😀😀: a, Steps: 2' });
  });

  it('reads a 300 000-character line in linear time', () => {
    // The regex A1111 uses is quadratic here: 20 000 characters took 1.2 s, 300 000 minutes.
    for (const line of ['a'.repeat(300_000), 'ab '.repeat(100_000), 'ab\t'.repeat(100_000), 'Ab: "'.repeat(60_000), 'x: y,'.repeat(60_000)]) {
      const started = performance.now();
      const p = parseParameters(`a prompt\n${line}`);
      expect(performance.now() - started).toBeLessThan(1000); // linear: a few ms; generous for a busy machine
      expect(p.prompt.length + Object.keys(p.extra ?? {}).length).toBeGreaterThan(0);
    }
  });
});
