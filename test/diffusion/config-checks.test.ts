// A repo's configs are a stranger's data: every number the loader takes from them is checked
// before any session opens, and the message names the file and the field.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadStableDiffusion, type RepoReader, type RunnerFactory } from '../../src/diffusion/index.ts';

const MODELS = ['text_encoder/model.onnx', 'unet/model.onnx', 'vae_decoder/model.onnx'];

function repo(configs: Record<string, string>): RepoReader {
  return {
    files: [...MODELS, ...Object.keys(configs)],
    readText: async (p) => configs[p]!,
    readBytes: async () => new Uint8Array(),
  };
}
const neverOpened: RunnerFactory = async (name) => {
  throw new Error(`${name} was opened although a config is bad`);
};
const load = (configs: Record<string, unknown>) =>
  loadStableDiffusion(repo(Object.fromEntries(Object.entries(configs).map(([p, v]) => [p, typeof v === 'string' ? v : JSON.stringify(v)]))), neverOpened);

describe('configs with values the app cannot use are refused before loading anything', () => {
  it.each([
    [{ 'vae_decoder/config.json': { scaling_factor: '0.18215' } }, 'vae_decoder/config.json: scaling_factor must be a positive number up to 100, not the string "0.18215".'],
    [{ 'vae_decoder/config.json': { scaling_factor: -1 } }, 'vae_decoder/config.json: scaling_factor must be a positive number up to 100, not -1.'],
    [{ 'vae_decoder/config.json': { latent_channels: 1e9 } }, 'vae_decoder/config.json: latent_channels must be an integer from 1 to 64, not 1000000000.'],
    [{ 'vae_decoder/config.json': { block_out_channels: new Array(20).fill(64) } }, /block_out_channels must be a list of 1 to 8 integers from 1 to 8192/],
    [{ 'unet/config.json': { sample_size: 1e6 } }, 'unet/config.json: sample_size must be an integer from 1 to 512, not 1000000.'],
    [{ 'unet/config.json': { sample_size: 64.5 } }, 'unet/config.json: sample_size must be an integer from 1 to 512, not 64.5.'],
    [{ 'unet/config.json': { sample_size: [96, 'x'] } }, /unet\/config\.json: sample_size must be a list of 1 to 2 integers/],
    [{ 'unet/config.json': { in_channels: 0 } }, 'unet/config.json: in_channels must be an integer from 1 to 64, not 0.'],
    [{ 'model_index.json': { force_zeros_for_empty_prompt: 'yes' } }, 'model_index.json: force_zeros_for_empty_prompt must be true or false, not the string "yes".'],
    [{ 'unet/config.json': '{ "sample_size": 64,' }, /^unet\/config\.json is not valid JSON/],
    [{ 'model_index.json': '[1, 2]' }, 'model_index.json must hold a JSON object.'],
  ])('%o', async (configs, message) => {
    const err = await load(configs).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ConfigError);
    if (typeof message === 'string') expect((err as Error).message).toBe(message);
    else expect((err as Error).message).toMatch(message);
  });

  it('a sound config gets past the checks (to the first session)', async () => {
    await expect(load({ 'unet/config.json': { sample_size: [96, 64], in_channels: 4 }, 'vae_decoder/config.json': { scaling_factor: 0.13025, block_out_channels: [128, 256, 512, 512] } })).rejects.toThrow(
      'text_encoder was opened although a config is bad',
    );
  });
});
