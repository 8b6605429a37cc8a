import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EntryNotFoundError, GatedRepoError, HubUnreachableError, InvalidTokenError, RepoNotFoundError, RevisionNotFoundError,
  listRefs, modelInfo, openDownload,
} from '../../src/hub/index.ts';
import { makeHubFixture, sha256, TOKENS, type HubFixture } from '../support/hub-fixture.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';

let fx: HubFixture;
let hub: Hub;
beforeAll(async () => {
  fx = await makeHubFixture();
  hub = await startHub({ root: fx.root });
});
afterAll(async () => {
  await hub?.close();
  await fx?.cleanup();
});

async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of body as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe('hub client against the local hub', () => {
  it('resolves a branch to a commit and lists files with sizes and sha256', async () => {
    const info = await modelInfo({ hubUrl: hub.url, repo: 'acme/tiny', revision: 'main' });
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    const unet = info.files.find((f) => f.path === 'unet/model.onnx')!;
    expect(unet.size).toBe(fx.tiny['unet/model.onnx'].length);
    expect(unet.sha256).toBe(sha256(fx.tiny['unet/model.onnx']));
    expect(info.files.find((f) => f.path === 'model_index.json')!.size).toBe(fx.tiny['model_index.json'].length);
    expect(info.license).toBe('apache-2.0');
    // The same commit by its hash, and another branch to another commit.
    expect((await modelInfo({ hubUrl: hub.url, repo: 'acme/tiny', revision: info.sha })).sha).toBe(info.sha);
    expect((await modelInfo({ hubUrl: hub.url, repo: 'acme/tiny', revision: 'refs/pr/1' })).sha).not.toBe(info.sha);
  });

  it('lists branches with the commits they point to', async () => {
    const refs = await listRefs({ hubUrl: hub.url, repo: 'acme/tiny' });
    const main = refs.branches.find((b) => b.name === 'main')!;
    expect(main.ref).toBe('refs/heads/main');
    expect(main.targetCommit).toBe((await modelInfo({ hubUrl: hub.url, repo: 'acme/tiny' })).sha);
    expect(refs.branches.length).toBeGreaterThan(1);
    await expect(listRefs({ hubUrl: hub.url, repo: 'acme/nope' })).rejects.toBeInstanceOf(RepoNotFoundError);
  });

  it('downloads a small file and an LFS file (through the CDN), whole and from an offset', async () => {
    const { sha } = await modelInfo({ hubUrl: hub.url, repo: 'acme/tiny' });
    const small = await openDownload({ hubUrl: hub.url, repo: 'acme/tiny', revision: sha, path: 'model_index.json' });
    expect(await readAll(small.body)).toEqual(fx.tiny['model_index.json']);
    hub.clearLog();
    const from = 5_000_000;
    const part = await openDownload({ hubUrl: hub.url, repo: 'acme/tiny', revision: sha, path: 'unet/model.onnx', offset: from, accessToken: TOKENS.alice });
    expect(part.restarted).toBe(false);
    expect(part.response.status).toBe(206);
    expect((await readAll(part.body)).equals(fx.tiny['unet/model.onnx'].subarray(from))).toBe(true);
    // The token went to the hub's origin only, never to the CDN.
    const cdn = hub.log.filter((r) => r.server === 'cdn');
    expect(cdn.length).toBe(1);
    expect(cdn[0].headers.authorization).toBeUndefined();
    expect(hub.log.find((r) => r.server === 'hub')!.headers.authorization).toBe(`Bearer ${TOKENS.alice}`);
  });

  it('reports a restart when the server ignores Range', async () => {
    const { sha } = await modelInfo({ hubUrl: hub.url, repo: 'acme/tiny' });
    hub.faults.add({ path: 'unet/model.onnx', ignoreRange: true, times: 1 });
    const dl = await openDownload({ hubUrl: hub.url, repo: 'acme/tiny', revision: sha, path: 'unet/model.onnx', offset: 100 });
    expect(dl.restarted).toBe(true);
    expect((await readAll(dl.body)).length).toBe(fx.tiny['unet/model.onnx'].length);
  });

  it('raises typed errors with messages a person can act on', async () => {
    await expect(modelInfo({ hubUrl: hub.url, repo: 'acme/nope' })).rejects.toBeInstanceOf(RepoNotFoundError);
    await expect(modelInfo({ hubUrl: hub.url, repo: 'acme/nope', accessToken: TOKENS.alice })).rejects.toBeInstanceOf(RepoNotFoundError);
    await expect(modelInfo({ hubUrl: hub.url, repo: 'acme/private' })).rejects.toThrow(/or it is private: if you have access, use your token/);
    expect((await modelInfo({ hubUrl: hub.url, repo: 'acme/private', accessToken: TOKENS.alice })).private).toBe(true);
    await expect(modelInfo({ hubUrl: hub.url, repo: 'acme/tiny', revision: 'nope' })).rejects.toBeInstanceOf(RevisionNotFoundError);
    await expect(modelInfo({ hubUrl: hub.url, repo: 'acme/tiny', accessToken: 'hf_wrong' })).rejects.toBeInstanceOf(InvalidTokenError);
    const { sha } = await modelInfo({ hubUrl: hub.url, repo: 'acme/tiny' });
    await expect(openDownload({ hubUrl: hub.url, repo: 'acme/tiny', revision: sha, path: 'missing.onnx' })).rejects.toBeInstanceOf(EntryNotFoundError);
    const gated = await modelInfo({ hubUrl: hub.url, repo: 'acme/gated' });
    expect(gated.gated).toBe('manual');
    const anon = openDownload({ hubUrl: hub.url, repo: 'acme/gated', revision: gated.sha, path: 'config.json' });
    await expect(anon).rejects.toBeInstanceOf(GatedRepoError);
    await expect(anon).rejects.toMatchObject({ status: 401 });
    const bob = openDownload({ hubUrl: hub.url, repo: 'acme/gated', revision: gated.sha, path: 'config.json', accessToken: TOKENS.bob });
    await expect(bob).rejects.toMatchObject({ status: 403, code: 'GatedRepo' });
    const err = await modelInfo({ hubUrl: 'http://127.0.0.1:9', repo: 'acme/tiny' }).catch((e) => e);
    expect(err).toBeInstanceOf(HubUnreachableError);
    expect(err.message).toContain('Cannot reach the Hub at http://127.0.0.1:9');
  });

  it('never puts the token in an error message or URL', async () => {
    const err = await modelInfo({ hubUrl: hub.url, repo: 'acme/tiny', accessToken: 'hf_secret_value' }).catch((e) => e);
    expect(String(err.message) + err.url).not.toContain('hf_secret_value');
  });
});
