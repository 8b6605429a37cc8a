// Loading a flow-matching transformer repo from its file list, with runners that only declare
// their I/O: which files are picked and fetched, which numbers come from the repo and which are
// assumed (and said), and the clear messages when the parts do not fit.
import { describe, expect, it } from 'vitest';
import { chooseVariant, componentBytes, describeLayout, missingFiles, pipelineFiles, pipelineKind, variantById } from '../../src/diffusion/repo-layout.ts';
import { loadFlowMatchTransformer, Z_IMAGE_TURBO_REFERENCE } from '../../src/diffusion/load-flow-match.ts';
import { requireRunnable, type RepoReader } from '../../src/diffusion/load.ts';
import type { ModelRunner, RunnerFactory, ValueInfo } from '../../src/diffusion/tensor.ts';
import { qwenTokenizer, qwenTokenizerConfig } from '../../tools/tiny-model/qwen-tokenizer.ts';

const q = qwenTokenizer();
const te = 'onnx/text_encoder_model_q4f16.onnx';
const tr = 'onnx/transformer_model_q4f16.onnx';
const vd = 'onnx/vae_decoder_model_f16.onnx';
const HELPERS = ['onnx/scheduler_step_model_f16.onnx', 'onnx/vae_pre_process_model_f16.onnx', 'onnx/sc_prep_model_f16.onnx', 'onnx/safety_checker_model_f16.onnx', 'onnx/safety_checker_model_f16.onnx_data'];
// webnn/Z-Image-Turbo at ORIEL's pinned revision (z-image.md §2, Layout B).
const LAYOUT_B = ['tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json', te, `${te}_data`, `${te}_data_1`, tr, `${tr}_data`, `${tr}_data_1`, vd, ...HELPERS, 'README.md', '.gitattributes'];

type Sig = { inputs: Record<string, ValueInfo>; outputs: Record<string, ValueInfo> };
const v = (type: string, ...dims: (number | string)[]): ValueInfo => ({ type, dims });
const SIGNATURES: Record<string, Sig> = {
  text_encoder: { inputs: { input_ids: v('int64', 1, 'sequence_length'), attention_mask: v('int64', 1, 'total_sequence_length') }, outputs: { encoder_hidden_states: v('float16', 1, 'sequence_length', 2560) } },
  transformer: {
    inputs: { hidden_states: v('float16', 1, 16, 'height', 'width'), timestep: v('float16', 1), encoder_hidden_states: v('float16', 1, 'seq_len', 2560) },
    outputs: { sample: v('float16', 1, 16, 'height', 'width') },
  },
  vae_decoder: { inputs: { latent_sample: v('float16', 1, 16, 'latent_height', 'latent_width') }, outputs: { sample: v('float16', 1, 3, 'height', 'width') } },
};

function repo(files: string[], extra: Record<string, string> = {}): RepoReader & { read: string[] } {
  const text: Record<string, string> = { 'tokenizer/tokenizer.json': q.tokenizerJson, 'tokenizer/tokenizer_config.json': qwenTokenizerConfig(q.added), ...extra };
  const read: string[] = [];
  return {
    files,
    read,
    readText: async (p) => {
      if (!(p in text)) throw new Error(`no ${p}`);
      return text[p]!;
    },
    readBytes: async (p) => {
      read.push(p);
      return new TextEncoder().encode(p);
    },
  };
}

/** Runners that declare `signatures`; each reads the external data named in `shards` (as the runtime reads what a graph names). */
function factory(signatures = SIGNATURES, shards: Record<string, string[]> = {}) {
  const log: string[] = [];
  const create: RunnerFactory = async (name, files) => {
    log.push(`open ${name} ${new TextDecoder().decode(files.model as Uint8Array)}`);
    for (const s of shards[name] ?? []) await files.readExternal(s);
    const r: ModelRunner = { ...signatures[name]!, run: async () => ({}), release: async () => void log.push(`release ${name}`) };
    return r;
  };
  return { create, log };
}

describe('the flow-matching layout (repo-layout.ts, as for Stable Diffusion)', () => {
  it('recognises webnn/Z-Image-Turbo and takes each graph with every shard, never the helper graphs or the safety checker', () => {
    expect(pipelineKind(LAYOUT_B)).toBe('flow-match-transformer');
    expect(pipelineKind(['onnx/unet_model_q4f16.onnx', 'onnx/text_encoder_model_q4f16.onnx', 'onnx/vae_decoder_model_q4f16.onnx'])).toBe('stable-diffusion');
    expect(pipelineKind(['unet/model.onnx', 'text_encoder/model.onnx'])).toBe('stable-diffusion');
    const layout = describeLayout(LAYOUT_B);
    expect(layout.kind).toBe('flat');
    expect(layout.variants.map((x) => [x.id, x.label, x.float16])).toEqual([['q4f16', 'int4 weights (MatMulNBits), fp16', true]]);
    expect(layout.variants[0]!.models).toEqual({ text_encoder: te, transformer: tr, vae_decoder: vd });
    expect(pipelineFiles(LAYOUT_B).sort()).toEqual(['tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json', te, `${te}_data`, `${te}_data_1`, tr, `${tr}_data`, `${tr}_data_1`, vd].sort());
    const sizes = LAYOUT_B.map((path) => ({ path, size: path.includes('transformer') ? 1.9e9 : path.includes('text_encoder') ? 1.1e9 : 99e6 }));
    expect(componentBytes(sizes)).toEqual({ text_encoder: 3 * 1.1e9, transformer: 3 * 1.9e9, vae_decoder: 99e6 });
  });

  it('takes the variants the transformer has, each component in the nearest precision; reads diffusers-style folders too', () => {
    const variants = ['onnx/transformer_model.onnx', 'onnx/transformer_model_fp16.onnx', tr, 'onnx/text_encoder_model_fp16.onnx', 'onnx/text_encoder_model.onnx', te, vd];
    const layout = describeLayout(variants);
    expect(layout.variants.map((x) => x.id)).toEqual(['', 'fp16', 'q4f16']);
    expect(variantById(layout, 'q4f16').models).toEqual({ transformer: tr, text_encoder: te, vae_decoder: vd });
    expect(variantById(layout, '').models).toEqual({ transformer: 'onnx/transformer_model.onnx', text_encoder: 'onnx/text_encoder_model.onnx', vae_decoder: vd });
    // As for SDXL-Turbo's flat folder: int4 with fp16 math on WebGPU with shader-f16, fp32 without it.
    expect(chooseVariant(layout, { backend: 'webgpu', shaderF16: true }).id).toBe('q4f16');
    expect(chooseVariant(layout, { backend: 'webgpu', shaderF16: false }).id).toBe('');
    const folders = ['model_index.json', 'tokenizer/tokenizer.json', 'transformer/config.json', 'transformer/model.onnx', 'transformer/model.onnx_data', 'text_encoder/model.onnx', 'vae_decoder/model.onnx', 'vae/config.json'];
    expect(pipelineKind(folders)).toBe('flow-match-transformer');
    expect(describeLayout(folders)).toMatchObject({ kind: 'folders', variants: [{ models: { transformer: 'transformer/model.onnx' } }] });
    expect(pipelineFiles(folders).sort()).toEqual([...folders].sort());
  });

  it('names what is missing, with the flow-matching pipeline in the message', () => {
    expect(missingFiles(LAYOUT_B)).toEqual([]);
    expect(missingFiles([tr, vd])).toEqual(['tokenizer/tokenizer.json', 'onnx/text_encoder_model.onnx']);
    expect(missingFiles(['transformer/model.onnx'])).toEqual(['tokenizer/tokenizer.json', 'text_encoder/model.onnx', 'vae_decoder/model.onnx']);
    expect(() => requireRunnable([tr, vd], 'webnn/Z-Image-Turbo@main')).toThrow(
      'webnn/Z-Image-Turbo@main is not a flow-matching transformer model this app can run: it has no tokenizer/tokenizer.json, onnx/text_encoder_model.onnx.',
    );
  });
});

describe('loadFlowMatchTransformer', () => {
  it("opens a configless repo with Z-Image-Turbo's reference numbers and says which it assumed", async () => {
    const r = repo(LAYOUT_B);
    const { create, log } = factory(SIGNATURES, { text_encoder: [`text_encoder_model_q4f16.onnx_data`, 'text_encoder_model_q4f16.onnx_data_1'] });
    const m = await loadFlowMatchTransformer(r, create);
    expect(log).toEqual([`open text_encoder ${te}`, `open transformer ${tr}`, `open vae_decoder ${vd}`]);
    expect(r.read).toEqual([te, `${te}_data`, `${te}_data_1`, tr, vd]);
    expect(m).toMatchObject({ family: 'z-image', latentChannels: 16, vaeScaleFactor: 8, patchSize: 2, vaeScalingFactor: 0.3611, vaeShiftFactor: 0.1159, maxSequenceLength: 512, releaseTextEncoder: false });
    expect(m.textEncoder.open).toBe(true);
    expect(m.description).toMatchObject({
      family: 'z-image',
      pipeline: 'flow-match-transformer',
      defaults: { steps: 8, guidanceScale: 0, size: 1024 },
      schedulerConfig: Z_IMAGE_TURBO_REFERENCE.scheduler,
      latentRank: 4,
      chatTemplate: 'built-in ChatML',
      unsupported: ['negativePrompt', 'guidance', 'sampler', 'img2img'],
      layout: 'flat',
      variant: { id: 'q4f16', label: 'int4 weights (MatMulNBits), fp16' },
      files: { text_encoder: te, transformer: tr, vae_decoder: vd },
      reference: { id: 'z-image-turbo', name: 'Z-Image-Turbo', source: 'Tongyi-MAI/Z-Image-Turbo' },
      tokenizers: ['tokenizer/tokenizer.json'],
      fixedBatch: 1, // the re-export's batch axis is 1
    });
    expect(m.description.fixedSize).toBeUndefined();
    expect(m.description.assumed).toEqual([
      'chat template: ChatML (the tokenizer has none), one user message with the generation prompt',
      'scheduler: FlowMatchEulerDiscrete, shift 3, 1000 training steps (the repo has no scheduler_config.json)',
      'VAE: latent_channels 16, scaling_factor 0.3611, shift_factor 0.1159, block_out_channels [128,256,512,512] (the repo has no VAE config)',
    ]);
    const s = m.scheduler();
    s.setTimesteps(8, { sigmas: m.sigmas(8) });
    expect(s.timesteps[1]).toBeCloseTo(954.545, 3);
  });

  it('reads the configs a repo has, checks each number, and keeps only what is missing as assumed', async () => {
    const files = [...LAYOUT_B, 'scheduler/scheduler_config.json', 'vae/config.json', 'model_index.json'];
    const configs = {
      'scheduler/scheduler_config.json': JSON.stringify({ _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift: 2 }),
      'vae/config.json': JSON.stringify({ latent_channels: 16, scaling_factor: 0.5, shift_factor: 0, block_out_channels: [1, 2, 3, 4] }),
      'model_index.json': JSON.stringify({ _class_name: 'ZImagePipeline' }),
    };
    const m = await loadFlowMatchTransformer(repo(files, configs), factory().create);
    expect([m.vaeScalingFactor, m.vaeShiftFactor, m.description.schedulerConfig.shift]).toEqual([0.5, 0, 2]);
    expect(m.description.assumed).toEqual(['chat template: ChatML (the tokenizer has none), one user message with the generation prompt']);
    expect(m.description.reference).toBeDefined(); // the template still came from the reference

    const bad = async (path: string, value: unknown) => loadFlowMatchTransformer(repo(files, { ...configs, [path]: JSON.stringify(value) }), factory().create);
    await expect(bad('vae/config.json', { scaling_factor: 0 })).rejects.toThrow('vae/config.json: scaling_factor must be a number above 0, not 0.');
    await expect(bad('vae/config.json', { shift_factor: 'x' })).rejects.toThrow('vae/config.json: shift_factor must be a finite number, not "x".');
    await expect(bad('vae/config.json', { latent_channels: 2.5 })).rejects.toThrow(/latent_channels must be a whole number/);
    await expect(bad('scheduler/scheduler_config.json', { _class_name: 'EulerDiscreteScheduler' })).rejects.toThrow(
      'scheduler/scheduler_config.json names EulerDiscreteScheduler; a flow-matching transformer needs FlowMatchEulerDiscreteScheduler.',
    );
    await expect(bad('scheduler/scheduler_config.json', { shift: 'three' })).rejects.toThrow(/shift/);
    await expect(loadFlowMatchTransformer(repo(files, { ...configs, 'vae/config.json': '{' }), factory().create)).rejects.toThrow(/^vae\/config\.json is not valid JSON/);
  });

  it("reads the demo's layout: 5-D latents and encoder_hidden_state; a static graph gives its own default size", async () => {
    const demo: Record<string, Sig> = {
      ...SIGNATURES,
      text_encoder: { ...SIGNATURES.text_encoder!, outputs: { encoder_hidden_state: v('float32', 'batch_size', 'sequence_length', 2560) } },
      transformer: {
        inputs: { hidden_states: v('float32', 'batch_size', 16, 'num_frames', 64, 64), timestep: v('float32', 'batch_size'), encoder_hidden_states: v('float32', 'batch_size', 'seq_len', 2560) },
        outputs: { unified_results: v('float32', 16, 'num_frames', 64, 64) },
      },
    };
    const m = await loadFlowMatchTransformer(repo(LAYOUT_B), factory(demo).create);
    expect(m.description).toMatchObject({ latentRank: 5, defaults: { size: 512 }, fixedSize: { width: 512, height: 512 } });
    expect(m.description.fixedBatch).toBeUndefined();
  });

  it('with releaseTextEncoder, checks the text encoder and closes it before the transformer opens; it reopens on demand', async () => {
    const { create, log } = factory();
    const m = await loadFlowMatchTransformer(repo(LAYOUT_B), create, { releaseTextEncoder: true, onComponent: (c) => log.push(`component ${c}`) });
    expect(log).toEqual([`component text_encoder`, `open text_encoder ${te}`, 'release text_encoder', 'component transformer', `open transformer ${tr}`, 'component vae_decoder', `open vae_decoder ${vd}`]);
    expect([m.textEncoder.open, m.textEncoder.opens, m.releaseTextEncoder]).toEqual([false, 0, true]);
    await m.textEncoder.get();
    expect([m.textEncoder.open, m.textEncoder.opens]).toEqual([true, 1]);
  });

  it('refuses parts that do not fit, and external data the repo lacks, in one clear message', async () => {
    const wide = { ...SIGNATURES, text_encoder: { ...SIGNATURES.text_encoder!, outputs: { encoder_hidden_states: v('float16', 1, 'sequence_length', 1024) } } };
    await expect(loadFlowMatchTransformer(repo(LAYOUT_B), factory(wide).create)).rejects.toThrow('The text encoder gives 1024-wide embeddings but the transformer takes 2560.');
    const fourChannels = { ...SIGNATURES, vae_decoder: { ...SIGNATURES.vae_decoder!, inputs: { latent_sample: v('float16', 1, 4, 'h', 'w') } } };
    await expect(loadFlowMatchTransformer(repo(LAYOUT_B), factory(fourChannels).create)).rejects.toThrow('The graphs take 4 latent channels but the VAE config says 16.');
    const noTimestep = { ...SIGNATURES, transformer: { ...SIGNATURES.transformer!, inputs: { hidden_states: v('float16', 1, 16, 'h', 'w'), encoder_hidden_states: v('float16', 1, 's', 2560) } } };
    await expect(loadFlowMatchTransformer(repo(LAYOUT_B), factory(noTimestep).create)).rejects.toThrow('The transformer has no input timestep (it takes hidden_states, encoder_hidden_states).');
    const flat3 = { ...SIGNATURES, transformer: { ...SIGNATURES.transformer!, inputs: { ...SIGNATURES.transformer!.inputs, hidden_states: v('float16', 16, 'h', 'w') } } };
    await expect(loadFlowMatchTransformer(repo(LAYOUT_B), factory(flat3).create)).rejects.toThrow("The transformer's hidden_states has 3 dimensions; expected [1, C, h, w] or [1, C, 1, h, w].");
    const missingShard = LAYOUT_B.filter((f) => f !== `${tr}_data_1`);
    await expect(loadFlowMatchTransformer(repo(missingShard), factory(SIGNATURES, { transformer: ['transformer_model_q4f16.onnx_data_1'] }).create)).rejects.toThrow(
      'The transformer model stores its weights in transformer_model_q4f16.onnx_data_1, which the repo does not have.',
    );
    await expect(loadFlowMatchTransformer(repo([tr, vd]), factory().create)).rejects.toThrow(
      'This repo is not a flow-matching transformer model this app can run: it has no tokenizer/tokenizer.json, onnx/text_encoder_model.onnx.',
    );
  });
});
