// Repos on disk for the local hub's own tests: a few small files, one ~12 MB `unet/model.onnx` of
// deterministic bytes, other branches, a gated and a private repo, and a hub.json with tokens.
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TOKENS = { alice: 'hf_alice_granted', bob: 'hf_bob_not_granted', carol: 'hf_carol_writer', dave: 'hf_dave_fine' };

export const HUB_JSON = {
  tokens: {
    [TOKENS.alice]: { name: 'alice', role: 'read', displayName: 'alice laptop' },
    [TOKENS.bob]: { name: 'bob', role: 'read' },
    [TOKENS.carol]: { name: 'carol', role: 'write' },
    [TOKENS.dave]: { name: 'dave', role: 'fineGrained' },
  },
  repos: {
    'acme/gated': { gated: 'manual', granted: ['alice'] },
    'acme/private': { private: true, granted: ['alice'] },
  },
};

export interface HubFixture {
  root: string;
  /** Path in `acme/tiny` (branch main) → content. */
  tiny: Record<string, Buffer>;
  cleanup(): Promise<void>;
}

/** Reproducible bytes (xorshift32), so hashes can be checked against an independent computation. */
export function deterministicBytes(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(Math.ceil(length / 4) * 4);
  let x = seed >>> 0;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return Buffer.from(out.subarray(0, length));
}

export const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
export const gitBlobId = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

export async function makeHubFixture(): Promise<HubFixture> {
  const root = await mkdtemp(join(tmpdir(), 'local-hub-'));
  const tiny: Record<string, Buffer> = {
    'README.md': Buffer.from('---\nlicense: apache-2.0\nlibrary_name: diffusers\ntags:\n- onnx\n- "stable-diffusion"\n---\n# Tiny\n'),
    'model_index.json': Buffer.from(JSON.stringify({ _class_name: 'StableDiffusionPipeline' }, null, 2)),
    'scheduler/scheduler_config.json': Buffer.from('{"num_train_timesteps": 1000}\n'),
    'text_encoder/config.json': Buffer.from('{"hidden_size": 32}\n'),
    'tokenizer/merges.txt': Buffer.from('#version: 0.2\na b\n'),
    'tokenizer/vocab.json': Buffer.from('{"a": 0, "b": 1}\n'),
    'unet/model.onnx': deterministicBytes(12 * 1024 * 1024),
    // Over 10 MB but not an LFS extension: the Hub stores it in LFS anyway.
    'notes/huge.txt': deterministicBytes(10 * 1024 * 1024 + 1, 7),
  };
  await writeRepo(root, 'acme/tiny', tiny);
  await writeRepo(root, 'acme/tiny@dev', { 'README.md': Buffer.from('# dev branch\n'), 'model_index.json': Buffer.from('{"dev": true}\n') });
  await writeRepo(root, 'acme/tiny@refs--pr--1', { 'pr.txt': Buffer.from('pull request 1\n') });
  await writeRepo(root, 'acme/gated', { 'config.json': Buffer.from('{"gated": true}\n'), 'unet/model.onnx': deterministicBytes(4096, 3) });
  await writeRepo(root, 'acme/private', { 'config.json': Buffer.from('{"private": true}\n') });
  await writeFile(join(root, 'hub.json'), JSON.stringify(HUB_JSON, null, 2));
  return { root, tiny, cleanup: () => rm(root, { recursive: true, force: true }) };
}

async function writeRepo(root: string, folder: string, files: Record<string, Buffer>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const abs = join(root, folder, path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
}
