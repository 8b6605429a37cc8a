// Opening every family's stand-in from disk: what the loader reads from the repo (never from its id).
import { describe, expect, it } from 'vitest';
import { missingFiles } from '../../src/diffusion/index.ts';
import { folderReader, referenceModel } from '../support/reference.ts';
import { ensureTinyModel, FAMILIES, type FamilyId } from '../../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';

describe.each([
  ['sd-turbo', 'sd-turbo', 'EulerDiscreteScheduler', 'epsilon', 1, 0, 128, false],
  ['sd15', 'stable-diffusion', 'PNDMScheduler', 'epsilon', 25, 7.5, 512, true], // no unet/config.json: SD's 64 latents
  ['sd21', 'stable-diffusion', 'PNDMScheduler', 'epsilon', 25, 7.5, 128, true],
  ['sd2-v', 'stable-diffusion', 'DDIMScheduler', 'v_prediction', 25, 7.5, 192, true],
  ['lcm', 'lcm', 'LCMScheduler', 'epsilon', 4, 8, 128, true],
  ['webnn', 'sd-turbo', 'EulerDiscreteScheduler', 'epsilon', 1, 0, 128, false], // configless: SD-Turbo's reference; static 16×16 latents
  ['sd-turbo-bare', 'sd-turbo', 'EulerDiscreteScheduler', 'epsilon', 1, 0, 512, false], // configless: SD-Turbo's reference, 64 latents
  ['sd-turbo-tokenizer-json', 'sd-turbo', 'EulerDiscreteScheduler', 'epsilon', 1, 0, 128, false],
  ['sdxl', 'sdxl-turbo', 'EulerDiscreteScheduler', 'epsilon', 1, 0, 128, false], // Lightning's 4 steps come from its repo name, not given here
  ['sdxl-turbo-webnn', 'sdxl-turbo', 'EulerAncestralDiscreteScheduler', 'epsilon', 1, 0, 512, false],
] as const)('%s stand-in', (id, family, scheduler, prediction, steps, guidance, size, img2img) => {
  it(`is read as ${family} with ${scheduler}, ${prediction}, ${steps} steps at guidance ${guidance}, ${size} px`, async () => {
    const model = await referenceModel(await ensureTinyModel(ROOT, FAMILIES[id as FamilyId].repo, { family: id as FamilyId }));
    const d = model.description;
    expect([d.family, d.schedulerConfig._class_name, d.predictionType]).toEqual([family, scheduler, prediction]);
    expect(d.defaults).toEqual({ steps, guidanceScale: guidance, size });
    expect(d.img2img).toBe(img2img);
    for (const r of [model.textEncoder, model.textEncoder2, model.unet, model.vaeDecoder, model.vaeEncoder]) await r?.release();
  });
});

describe('a repo the app cannot run', () => {
  it('names what is missing', async () => {
    const reader = await folderReader(await ensureTinyModel(ROOT, FAMILIES.sd21.repo, { family: 'sd21' }));
    // A missing tokenizer is not: the app ships CLIP's.
    expect(missingFiles(reader.files.filter((f) => !f.startsWith('unet/') && f !== 'tokenizer/merges.txt'))).toEqual(['unet/model.onnx']);
    expect(missingFiles(reader.files)).toEqual([]);
  });
});
