import { describe, expect, it } from 'vitest';
import { initialSettings } from '../../src/ui/settings.ts';

describe('settings from the page URL', () => {
  it('takes webnn as a backend, and anything else unknown as auto', () => {
    expect(initialSettings('?backend=webnn').backend).toBe('webnn');
    expect(initialSettings('?backend=wasm').backend).toBe('wasm');
    expect(initialSettings('?backend=cuda').backend).toBe('auto');
  });

  it('takes a variant for the model and revision of the same URL (the plain one is ""), none when absent', () => {
    expect(initialSettings('?model=webnn/sdxl-turbo&variant=q4f16')).toMatchObject({ variant: 'q4f16', variantOf: 'webnn/sdxl-turbo@main' });
    expect(initialSettings('?model=webnn/sdxl-turbo&revision=fp32&variant=')).toMatchObject({ variant: '', variantOf: 'webnn/sdxl-turbo@fp32' });
    expect(initialSettings('?model=webnn/sdxl-turbo').variant).toBeUndefined();
  });
});
