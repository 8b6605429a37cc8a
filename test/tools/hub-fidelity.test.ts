// Official-client fidelity: @huggingface/hub, pointed at the local hub with `hubUrl`, must get the
// values and raise the errors (HubApiError: status + the Hub's message) it gets from huggingface.co.
import {
  HubApiError, downloadFile, fileDownloadInfo, listFiles, modelInfo, pathsInfo, whoAmI, type ListFileEntry,
} from '@huggingface/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, gitBlobId, makeHubFixture, sha256, type HubFixture } from '../support/hub-fixture.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';

let fx: HubFixture;
let hub: Hub;
const big = () => fx.tiny['unet/model.onnx'];

beforeAll(async () => {
  fx = await makeHubFixture();
  hub = await startHub({ root: fx.root });
});
afterAll(async () => {
  await hub.close();
  await fx.cleanup();
});

/** The HubApiError a call rejects with (fails the test if it resolves or throws something else). */
async function apiError(call: Promise<unknown>): Promise<HubApiError> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HubApiError);
  return error as HubApiError;
}

describe('@huggingface/hub against the local hub', () => {
  it('modelInfo', async () => {
    const info = await modelInfo({ name: 'acme/tiny', hubUrl: hub.url, additionalFields: ['sha', 'library_name', 'filePaths'] });
    expect(info).toMatchObject({ name: 'acme/tiny', private: false, gated: false, task: 'text-to-image', library_name: 'diffusers' });
    expect(info.id).toMatch(/^[0-9a-f]{24}$/);
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(info.filePaths).toEqual(Object.keys(fx.tiny).sort());
    expect(info.updatedAt).toBeInstanceOf(Date);
    expect((await modelInfo({ name: 'acme/gated', hubUrl: hub.url })).gated).toBe('manual');
    const dev = await modelInfo({ name: 'acme/tiny', hubUrl: hub.url, revision: 'dev', additionalFields: ['sha'] });
    expect(dev.sha).not.toBe(info.sha);
  });

  it('listFiles, recursive, across small pages', async () => {
    hub.treePageSize = 4;
    hub.clearLog();
    try {
      const files: ListFileEntry[] = [];
      for await (const entry of listFiles({ repo: 'acme/tiny', recursive: true, hubUrl: hub.url })) files.push(entry);
      const pages = hub.log.filter((r) => r.url.includes('/tree/'));
      expect(pages.length).toBe(Math.ceil(files.length / 4));
      expect(pages.slice(1).every((r) => r.url.includes('cursor='))).toBe(true);
      expect(files.filter((f) => f.type === 'file').map((f) => f.path)).toEqual(Object.keys(fx.tiny).sort());
      expect(files.find((f) => f.path === 'unet/model.onnx')).toMatchObject({
        size: big().length, lfs: { oid: sha256(big()), size: big().length, pointerSize: 134 - 1 },
      });
      expect(files.filter((f) => f.type === 'directory').map((f) => f.path)).toEqual(['notes', 'scheduler', 'text_encoder', 'tokenizer', 'unet']);
    } finally {
      hub.treePageSize = undefined;
    }
  });

  it('pathsInfo', async () => {
    const [onnx, readme] = await pathsInfo({ repo: 'acme/tiny', paths: ['unet/model.onnx', 'README.md', 'missing'], hubUrl: hub.url });
    expect(onnx).toMatchObject({ path: 'unet/model.onnx', type: 'file', lfs: { oid: sha256(big()), size: big().length } });
    expect(readme).toMatchObject({ path: 'README.md', type: 'file', oid: gitBlobId(fx.tiny['README.md']) });
    expect(readme.lfs).toBeUndefined();
    const [expanded] = await pathsInfo({ repo: 'acme/tiny', paths: ['README.md'], expand: true, hubUrl: hub.url });
    expect(expanded.lastCommit.date).toBeInstanceOf(Date);
  });

  it('fileDownloadInfo, for a git file and for an LFS file', async () => {
    const small = await fileDownloadInfo({ repo: 'acme/tiny', path: 'model_index.json', hubUrl: hub.url });
    expect(small).toMatchObject({ size: fx.tiny['model_index.json'].length, etag: `"${gitBlobId(fx.tiny['model_index.json'])}"` });
    expect(small!.url.startsWith(`${hub.url}/api/resolve-cache/models/acme/tiny/`)).toBe(true);
    const lfs = await fileDownloadInfo({ repo: 'acme/tiny', path: 'unet/model.onnx', hubUrl: hub.url });
    expect(lfs).toMatchObject({ size: big().length, etag: `"${sha256(big())}"` });
    expect(await fileDownloadInfo({ repo: 'acme/tiny', path: 'nope.bin', hubUrl: hub.url })).toBeNull();
  });

  it('downloadFile, small and LFS, public and gated-with-access', async () => {
    const readme = await downloadFile({ repo: 'acme/tiny', path: 'README.md', hubUrl: hub.url });
    expect(Buffer.from(await readme!.arrayBuffer())).toEqual(fx.tiny['README.md']);
    const onnx = await downloadFile({ repo: 'acme/tiny', path: 'unet/model.onnx', hubUrl: hub.url });
    expect(onnx!.size).toBe(big().length);
    expect(Buffer.from(await onnx!.slice(5000, 5010).arrayBuffer())).toEqual(big().subarray(5000, 5010));
    expect(sha256(Buffer.from(await onnx!.arrayBuffer()))).toBe(sha256(big()));
    const gated = await downloadFile({ repo: 'acme/gated', path: 'config.json', hubUrl: hub.url, accessToken: TOKENS.alice });
    expect(await gated!.text()).toBe('{"gated": true}\n');
    expect(await downloadFile({ repo: 'acme/tiny', path: 'nope.bin', hubUrl: hub.url })).toBeNull();
  });

  it('whoAmI', async () => {
    const me = await whoAmI({ accessToken: TOKENS.carol, hubUrl: hub.url });
    expect(me).toMatchObject({ type: 'user', name: 'carol', auth: { type: 'access_token', accessToken: { role: 'write' } } });
    expect(me.auth.accessToken!.createdAt).toBeInstanceOf(Date);
  });
});

describe('@huggingface/hub errors, as against huggingface.co', () => {
  it('gated repo, anonymous: 401 with the log-in message', async () => {
    const e = await apiError(downloadFile({ repo: 'acme/gated', path: 'config.json', hubUrl: hub.url }));
    expect(e.statusCode).toBe(401);
    // huggingface.js appends ". URL: …" to the Hub's message.
    expect(e.message.split('. URL:')[0]).toBe('Access to model acme/gated is restricted. You must have access to it and be authenticated to access it. Please log in.');
  });

  it('gated repo, token not granted: 403 with the authorized-list message', async () => {
    const e = await apiError(fileDownloadInfo({ repo: 'acme/gated', path: 'unet/model.onnx', hubUrl: hub.url, accessToken: TOKENS.bob }));
    expect(e.statusCode).toBe(403);
    expect(e.message.startsWith(`Access to model acme/gated is restricted and you are not in the authorized list. Visit ${hub.url}/acme/gated to ask for access.`)).toBe(true);
    expect(e.requestId).toMatch(/^Root=/);
  });

  it('private or missing repo: 401 anonymous, 404 with a token', async () => {
    for (const name of ['acme/private', 'acme/missing']) {
      const anonymous = await apiError(modelInfo({ name, hubUrl: hub.url }));
      expect([anonymous.statusCode, anonymous.message.split('. URL:')[0]]).toEqual([401, 'Invalid username or password.']);
      const signedIn = await apiError(downloadFile({ repo: name, path: 'config.json', hubUrl: hub.url, accessToken: TOKENS.bob }));
      expect([signedIn.statusCode, signedIn.message.split('. URL:')[0]]).toEqual([404, 'Repository not found']);
    }
  });

  it('missing revision: 404 "Invalid rev id"', async () => {
    const e = await apiError(modelInfo({ name: 'acme/tiny', revision: 'nope', hubUrl: hub.url }));
    expect([e.statusCode, e.message.split('. URL:')[0]]).toEqual([404, 'Invalid rev id: nope']);
    const listing = await apiError(listFiles({ repo: 'acme/tiny', revision: 'nope', hubUrl: hub.url }).next());
    expect(listing.statusCode).toBe(404);
  });

  it('missing file: null from fileDownloadInfo/downloadFile (EntryNotFound), 404 from listFiles of a folder', async () => {
    expect(await fileDownloadInfo({ repo: 'acme/tiny', path: 'unet/nope.onnx', hubUrl: hub.url })).toBeNull();
    const e = await apiError(listFiles({ repo: 'acme/tiny', path: 'nope', hubUrl: hub.url }).next());
    expect([e.statusCode, e.message.split('. URL:')[0]]).toEqual([404, 'nope does not exist on "main"']);
  });

  it('invalid token: 401 "Invalid credentials in Authorization header"', async () => {
    for (const call of [whoAmI({ accessToken: 'hf_revoked', hubUrl: hub.url }), modelInfo({ name: 'acme/tiny', accessToken: 'hf_revoked', hubUrl: hub.url })]) {
      const e = await apiError(call);
      expect([e.statusCode, e.message.split('. URL:')[0]]).toEqual([401, 'Invalid credentials in Authorization header']);
    }
  });
});
