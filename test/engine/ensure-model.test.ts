// ensureModel in Node: the tiny stand-in on the local hub, files into the in-memory Store. What
// is downloaded (only what is missing), what is kept (manifest, ref), and what the user is told
// offline, with the Hub unreachable, for a repo the app cannot run and for a gated one.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileKey, manifestKey, MemoryStore, refKey, repoKey } from '../../src/cache/index.ts';
import { ensureModel } from '../../src/engine/ensure-model.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';
import { ensureTinyModel, tinyModelFiles } from '../../tools/tiny-model/tiny-model.ts';

const MODEL = 'tiny/sd-turbo-tiny';
let root: string;
let hub: Hub;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ensure-model-'));
  const tiny = await ensureTinyModel('.cache/hub-root', MODEL);
  await cp(tiny, join(root, MODEL), { recursive: true });
  await cp(tiny, join(root, 'tiny/gated'), { recursive: true });
  await cp(tiny, join(root, 'tiny/no-unet'), { recursive: true, filter: (src) => !src.includes('/unet') });
  await cp(await ensureTinyModel('.cache/hub-root', 'tiny/z-image-turbo', { family: 'z-image-turbo' }), join(root, 'tiny/z-image-turbo'), { recursive: true });
  await writeFile(join(root, 'hub.json'), JSON.stringify({ repos: { 'tiny/gated': { gated: 'manual', granted: [] } } }));
  hub = await startHub({ root });
});
afterAll(async () => {
  await hub?.close();
  await rm(root, { recursive: true, force: true });
});

const ensure = (store: MemoryStore, p: Partial<Parameters<typeof ensureModel>[0]> = {}) =>
  ensureModel({ store, hub: { hubUrl: hub.url }, repo: MODEL, revision: 'main', ...p });
const fileGets = () => hub.log.filter((r) => r.server === 'cdn' || r.url.includes('/resolve-cache/'));

describe('ensureModel', () => {
  it('downloads every file the pipeline uses, verified, and keeps the manifest and the ref; a second call downloads nothing', async () => {
    const store = new MemoryStore();
    hub.clearLog();
    const seen: number[] = [];
    const first = await ensure(store, { onProgress: (_, loaded) => seen.push(loaded) });
    const paths = first.manifest.files.map((f) => f.path).sort();
    expect(paths).toEqual([...tinyModelFiles('sd-turbo')].sort());
    expect(Object.values(first.sources).every((s) => s === 'download')).toBe(true);
    const total = first.manifest.files.reduce((s, f) => s + f.size, 0);
    expect(first.downloadedBytes).toBe(total);
    expect(seen.at(-1)).toBe(total);
    for (const f of first.manifest.files) expect((await store.get(fileKey(hub.url, MODEL, first.manifest.commit, f.path)))?.size).toBe(f.size);
    expect(await store.readText(refKey(hub.url, MODEL, 'main'))).toBe(first.manifest.commit);
    expect(JSON.parse((await store.readText(manifestKey(hub.url, MODEL, first.manifest.commit)))!).commit).toBe(first.manifest.commit);
    expect(new Set(fileGets().map((r) => r.path)).size).toBe(first.manifest.files.length);

    hub.clearLog();
    const again = await ensure(store);
    expect(again.downloadedBytes).toBe(0);
    expect(Object.values(again.sources).every((s) => s === 'cache')).toBe(true);
    expect(fileGets()).toEqual([]);
    expect(hub.log.map((r) => r.url)).toEqual([`/api/models/${MODEL}/revision/main?blobs=true`]);
  });

  it('offline: uses the cached commit with no request, or says the model is not cached', async () => {
    const store = new MemoryStore();
    await expect(ensure(store, { offline: true })).rejects.toThrow(`Offline mode: ${MODEL}@main is not in the cache. Turn offline mode off to download it.`);
    await ensure(store);
    hub.clearLog();
    const offline = await ensure(store, { offline: true });
    expect(offline.offline).toBe(true);
    expect(hub.log).toEqual([]);
  });

  it('with the Hub unreachable: the cached commit, or a message that says it is not cached yet', async () => {
    const store = new MemoryStore();
    // This hub, with the network gone (what fetch does with no connection).
    const away = { hub: { hubUrl: hub.url, fetch: (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch } };
    await expect(ensure(store, away)).rejects.toThrow(/^Cannot reach the Hub at http:\/\/127\.0\.0\.1:\d+ .* tiny\/sd-turbo-tiny@main is not in the cache yet, so it cannot be used offline\.$/);
    const online = await ensure(store);
    const fallback = await ensure(store, away);
    expect(fallback).toMatchObject({ offline: true, downloadedBytes: 0 });
    expect(fallback.manifest.commit).toBe(online.manifest.commit);
    // Another hub that cannot be reached does not fall back to this hub's files.
    await expect(ensure(store, { hub: { hubUrl: 'http://127.0.0.1:9' } })).rejects.toThrow(/is not in the cache yet/);
  });

  it('a repo the pipeline cannot run is refused before any download', async () => {
    hub.clearLog();
    await expect(ensure(new MemoryStore(), { repo: 'tiny/no-unet' })).rejects.toThrow('tiny/no-unet@main is not a Stable Diffusion ONNX model this app can run: it has no unet/model.onnx.');
    expect(fileGets()).toEqual([]);
  });

  it("a flow-matching repo (webnn/Z-Image-Turbo's flat onnx/ folder): its tokenizer and three graphs with every shard, never the helper graphs or the safety checker", async () => {
    const store = new MemoryStore();
    const { manifest } = await ensure(store, { repo: 'tiny/z-image-turbo' });
    const all = tinyModelFiles('z-image-turbo');
    expect(all.filter((p) => /scheduler_step|vae_pre_process|sc_prep|safety_checker/.test(p)).length).toBeGreaterThan(3);
    expect(manifest.files.map((f) => f.path).sort()).toEqual(all.filter((p) => !/scheduler_step|vae_pre_process|sc_prep|safety_checker/.test(p)).sort());
  });

  it('a gated repo without a token says to paste one, naming the page to accept the license on', async () => {
    const store = new MemoryStore();
    await expect(ensure(store, { repo: 'tiny/gated' })).rejects.toThrow(`This model is gated: paste your Hugging Face token (after accepting the license at ${hub.url}/tiny/gated).`);
    // Only what the Hub's API said (manifest, ref) is kept: no file of the repo.
    expect((await store.list(repoKey(hub.url, 'tiny/gated'))).map((f) => f.key.slice(repoKey(hub.url, 'tiny/gated').length + 1).split('/')[0]).sort()).toEqual(['manifests', 'refs']);
  });
});
