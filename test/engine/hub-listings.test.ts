// What the engine reads from the Hub's listings, on the local hub with the in-memory store: only
// the chosen variant is downloaded (the listing of both is kept), the picker's figures come from
// kept listings, and an fp32 branch is found from the listing of each candidate branch.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cache/index.ts';
import { ensureModel } from '../../src/engine/ensure-model.ts';
import { findFp32Revision } from '../../src/engine/fp32-revision.ts';
import { lookUpListings } from '../../src/engine/listings.ts';
import { cachedManifest, fetchManifest } from '../../src/engine/manifest.ts';
import { forVariant } from '../../src/engine/variants.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';
import { ensureTinyModel, FAMILIES } from '../../tools/tiny-model/tiny-model.ts';
import { twoVariantRepo } from '../support/variant-repos.ts';

const FLAT = 'webnn/sdxl-turbo';
const FP16 = 'org/sd-turbo-fp16';
const CPU_REPO = 'org/fp16-with-cpu-branch';
let root: string;
let hub: Hub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-listings-'));
  await twoVariantRepo(root, FLAT);
  const fp16 = await ensureTinyModel('.cache/hub-root', FAMILIES['sd-turbo-fp16'].repo, { family: 'sd-turbo-fp16' });
  const fp32 = await ensureTinyModel('.cache/hub-root', FAMILIES['sd-turbo'].repo);
  await cp(fp16, join(root, FP16), { recursive: true });
  // A branch whose name says fp32 but whose files are the fp16 ones, and one whose name says
  // nothing holding fp32 files; a pull request with fp32 files is no branch to offer.
  await cp(fp16, join(root, `${FP16}@fp32`), { recursive: true });
  await writeFile(join(root, `${FP16}@fp32`, 'README.md'), 'Same weights, another commit.\n');
  await cp(fp32, join(root, `${FP16}@export-2`), { recursive: true });
  await cp(fp32, join(root, `${FP16}@refs--pr--1`), { recursive: true });
  // aislamov's repos: fp16 on main, fp32 in the `cpu` revision.
  await cp(fp16, join(root, CPU_REPO), { recursive: true });
  await cp(fp32, join(root, `${CPU_REPO}@cpu`), { recursive: true });
  hub = await startHub({ root });
});
afterAll(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

const hubOptions = () => ({ hubUrl: hub.url });
const downloaded = () => [...new Set(hub.log.filter((r) => r.server === 'cdn' || r.url.includes('/resolve-cache/')).map((r) => r.path!))].sort();

describe('variants on the Hub', () => {
  it('downloads only the chosen variant and keeps the listing of both', async () => {
    const store = new MemoryStore();
    hub.clearLog();
    const got = await ensureModel({ store, hub: hubOptions(), repo: FLAT, revision: 'main', select: (m) => forVariant(m, 'q4f16') });
    expect(downloaded().filter((p) => p.startsWith('onnx/'))).toEqual(
      ['onnx/text_encoder_2_model_q4f16.onnx', 'onnx/text_encoder_model_q4f16.onnx', 'onnx/unet_model_q4f16.onnx', 'onnx/vae_decoder_model_q4f16.onnx'],
    );
    expect(got.manifest.files.map((f) => f.path)).not.toContain('onnx/unet_model.onnx');
    const kept = await cachedManifest(store, hub.url, FLAT, 'main');
    expect(kept!.files.map((f) => f.path)).toEqual(expect.arrayContaining(['onnx/unet_model.onnx', 'onnx/unet_model_q4f16.onnx']));
    expect(kept!.files.map((f) => f.path).filter((p) => /concat|latents_model|scheduler_model|safety|sc_prep/.test(p))).toEqual([]);

    // The other variant later: only its own files come down.
    hub.clearLog();
    await ensureModel({ store, hub: hubOptions(), repo: FLAT, revision: 'main', select: (m) => forVariant(m, '') });
    expect(downloaded()).toEqual(['onnx/text_encoder_2_model.onnx', 'onnx/text_encoder_model.onnx', 'onnx/unet_model.onnx', 'onnx/vae_decoder_model.onnx']);
  });

  it('the picker’s figures: the kept listing with no request, the Hub’s when asked to look up, nothing for a repo the hub lacks', async () => {
    const store = new MemoryStore();
    hub.clearLog();
    expect(await lookUpListings({ store, hubUrl: hub.url, models: [FLAT, FP16] })).toEqual({});
    expect(hub.log).toEqual([]);
    const looked = await lookUpListings({ store, hubUrl: hub.url, models: [FLAT, 'nobody/nothing'], hub: hubOptions() });
    expect(Object.keys(looked)).toEqual([FLAT]);
    expect(looked[FLAT]!.layout).toBe('flat');
    expect(looked[FLAT]!.variants.map((v) => [v.id, v.label])).toEqual([['', 'fp32'], ['q4f16', 'int4 weights (MatMulNBits), fp16']]);
    expect(looked[FLAT]!.variants.every((v) => v.bytes > 0)).toBe(true);
    hub.clearLog();
    // Kept: offline (no hub) the same figures, and looking up again asks nothing.
    expect(await lookUpListings({ store, hubUrl: hub.url, models: [FLAT] })).toEqual({ [FLAT]: looked[FLAT] });
    await lookUpListings({ store, hubUrl: hub.url, models: [FLAT], hub: hubOptions() });
    expect(hub.log.filter((r) => r.url.includes(`/api/models/${FLAT}`))).toEqual([]);
  });
});

describe('an fp32 branch', () => {
  const listedRevisions = () => hub.log.filter((r) => r.url.includes('/revision/')).map((r) => decodeURIComponent(r.url.split('/revision/')[1]!.split('?')[0]!));

  it('is the branch whose listing is fp32, not the one whose name says fp32', async () => {
    const main = await fetchManifest(hubOptions(), FP16, 'main');
    hub.clearLog();
    const found = await findFp32Revision(hubOptions(), FP16, 'main', main);
    expect(found?.name).toBe('export-2');
    expect(found?.because).toMatch(/^every component's files are [\d.]+× or more the size of this revision's \(unet \d+ MB against \d+ MB\)$/);
    // The branch named fp32 was read first, and its listing said no.
    expect(listedRevisions()).toEqual(['fp32', 'export-2']);
  });

  it('is found under aislamov’s `cpu` name too, and not at all when no other branch holds fp32 files', async () => {
    const main = await fetchManifest(hubOptions(), CPU_REPO, 'main');
    expect((await findFp32Revision(hubOptions(), CPU_REPO, 'main', main))?.name).toBe('cpu');
    const cpu = await fetchManifest(hubOptions(), CPU_REPO, 'cpu');
    expect(await findFp32Revision(hubOptions(), CPU_REPO, 'cpu', cpu)).toBeUndefined();
  });
});
