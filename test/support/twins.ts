// "Complete" twins of the stand-ins that lack something: the same ONNX files with every config
// and tokenizer a diffusers repo carries, so a test can check that the app, filling the gaps
// itself, makes the same image as from the complete layout.
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { clipVocab, mergesTxt, readClipBpe, vocabJson } from '../../tools/tiny-model/clip-vocab.ts';
import { SCHEDULERS } from '../../tools/tiny-model/schedulers.ts';

const json = (v: unknown) => JSON.stringify(v, null, 2);

/** tokenizer files of CLIP's full vocabulary, padded with `pad`. */
function fullTokenizer(dir: string, pad: string): Record<string, string> {
  const { vocab, merges } = clipVocab(readClipBpe());
  return {
    [`${dir}/vocab.json`]: vocabJson(vocab),
    [`${dir}/merges.txt`]: mergesTxt(merges),
    [`${dir}/tokenizer_config.json`]: json({ pad_token: pad, model_max_length: 77 }),
  };
}

const vaeConfig = (scaling: number) => json({ _class_name: 'AutoencoderKL', block_out_channels: [8, 8, 16, 32], latent_channels: 4, scaling_factor: scaling });

async function write(root: string, files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

/** microsoft/sd-turbo-webnn's stand-in with SD-Turbo's configs and CLIP's tokenizer beside its files. */
export async function completeSdTurboWebnn(repo: string): Promise<string> {
  const twin = await mkdtemp(join(tmpdir(), 'twin-webnn-'));
  await cp(repo, twin, { recursive: true });
  await write(twin, {
    'model_index.json': json({ _class_name: 'StableDiffusionPipeline' }),
    'scheduler/scheduler_config.json': json(SCHEDULERS.eulerTrailing),
    'unet/config.json': json({ sample_size: 16, in_channels: 4 }),
    'vae_decoder/config.json': vaeConfig(0.18215),
    ...fullTokenizer('tokenizer', '!'),
  });
  return twin;
}

/** webnn/sdxl-turbo's stand-in rearranged into diffusers folders, with SDXL-Turbo's configs and both CLIP tokenizers. */
export async function completeSdxlTurboWebnn(repo: string): Promise<string> {
  const twin = await mkdtemp(join(tmpdir(), 'twin-sdxl-turbo-'));
  for (const c of ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder']) {
    await mkdir(join(twin, c), { recursive: true });
    await cp(join(repo, `onnx/${c}_model_q4f16.onnx`), join(twin, c, 'model.onnx'));
  }
  await write(twin, {
    'model_index.json': json({ _class_name: 'StableDiffusionXLPipeline', force_zeros_for_empty_prompt: true }),
    'scheduler/scheduler_config.json': json(SCHEDULERS.eulerAncestralTrailing),
    'unet/config.json': json({ sample_size: 64, in_channels: 4 }),
    'vae_decoder/config.json': vaeConfig(0.13025),
    ...fullTokenizer('tokenizer', '<|endoftext|>'),
    ...fullTokenizer('tokenizer_2', '!'),
  });
  return twin;
}
