// The local hub, checked with plain fetch (Node's undici): every endpoint, header, status, error,
// range, page, CORS answer and fault. `redirect: 'manual'` shows the 302/307 answers themselves.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HUB_JSON, TOKENS, gitBlobId, makeHubFixture, sha256, type HubFixture } from '../support/hub-fixture.ts';
import { startHub, type Hub } from '../../tools/hub/hub-server.ts';

let fx: HubFixture;
let hub: Hub;
const big = () => fx.tiny['unet/model.onnx'];
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const get = (path: string, init: RequestInit = {}) => fetch(`${hub.url}${path}`, { redirect: 'manual', ...init });
const pointer = (bytes: Buffer) => `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(bytes)}\nsize ${bytes.length}\n`;

beforeAll(async () => {
  fx = await makeHubFixture();
  hub = await startHub({ root: fx.root, port: 0, cdnPort: 0 });
});
afterAll(async () => {
  await hub.close();
  await fx.cleanup();
});
afterEach(() => {
  hub.faults.clear();
  hub.treePageSize = undefined;
});

async function commitOf(repo = 'acme/tiny', rev = 'main'): Promise<string> {
  const info = await (await get(`/api/models/${repo}/revision/${encodeURIComponent(rev)}`, { headers: auth(TOKENS.alice) })).json();
  return info.sha;
}

async function expectHubError(res: Response, status: number, code: string | null, message: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('x-error-code')).toBe(code);
  expect(res.headers.get('x-error-message')).toBe(message);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(await res.json()).toEqual({ error: message });
}

describe('model info', () => {
  it('answers the Hub shape, card metadata included', async () => {
    const res = await get('/api/models/acme/tiny');
    expect(res.status).toBe(200);
    const info = await res.json();
    expect(info).toMatchObject({
      id: 'acme/tiny', modelId: 'acme/tiny', author: 'acme', private: false, gated: false, disabled: false,
      library_name: 'diffusers', pipeline_tag: 'text-to-image', cardData: { license: 'apache-2.0', tags: ['onnx', 'stable-diffusion'] },
    });
    expect(info._id).toMatch(/^[0-9a-f]{24}$/);
    expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(info.tags).toContain('license:apache-2.0');
    expect(info.siblings.map((s: { rfilename: string }) => s.rfilename)).toEqual(Object.keys(fx.tiny).sort());
    expect(new Date(info.lastModified).getTime()).toBeGreaterThan(0);
  });

  it('adds blob ids, sizes and LFS hashes with ?blobs=true', async () => {
    const { siblings } = await (await get('/api/models/acme/tiny?blobs=true')).json();
    const byName = Object.fromEntries(siblings.map((s: { rfilename: string }) => [s.rfilename, s]));
    const index = fx.tiny['model_index.json'];
    expect(byName['model_index.json']).toEqual({ rfilename: 'model_index.json', blobId: gitBlobId(index), size: index.length });
    expect(byName['unet/model.onnx']).toEqual({
      rfilename: 'unet/model.onnx', blobId: gitBlobId(Buffer.from(pointer(big()))), size: big().length,
      lfs: { sha256: sha256(big()), size: big().length, pointerSize: pointer(big()).length },
    });
    expect(byName['notes/huge.txt'].lfs.sha256).toBe(sha256(fx.tiny['notes/huge.txt']));
  });

  it('returns only _id, id and the requested fields for expand / expand[]', async () => {
    expect(Object.keys(await (await get('/api/models/acme/tiny?expand[]=sha&expand[]=gated')).json())).toEqual(['_id', 'id', 'sha', 'gated']);
    expect(Object.keys(await (await get('/api/models/acme/tiny?expand=private&expand=siblings')).json())).toEqual(['_id', 'id', 'private', 'siblings']);
    expect((await get('/api/models/acme/tiny?expand[]=bogus')).status).toBe(400);
  });

  it('re-reads hub.json on every request', async () => {
    const file = join(fx.root, 'hub.json');
    await writeFile(file, JSON.stringify({ ...HUB_JSON, repos: { ...HUB_JSON.repos, 'acme/tiny': { license: 'mit', gated: 'auto' } } }));
    try {
      expect(await (await get('/api/models/acme/tiny')).json()).toMatchObject({ gated: 'auto', cardData: { license: 'mit' } });
    } finally {
      await writeFile(file, JSON.stringify(HUB_JSON));
    }
    expect((await (await get('/api/models/acme/tiny')).json()).gated).toBe(false);
  });

  it('resolves main, HEAD, full and short commit shas, other branches and encoded refs/pr/N', async () => {
    const main = await commitOf();
    expect(await commitOf('acme/tiny', 'HEAD')).toBe(main);
    expect(await commitOf('acme/tiny', main)).toBe(main);
    expect(await commitOf('acme/tiny', main.slice(0, 7))).toBe(main);
    const dev = await (await get('/api/models/acme/tiny/revision/dev')).json();
    expect(dev.sha).not.toBe(main);
    expect(dev.siblings).toEqual([{ rfilename: 'README.md' }, { rfilename: 'model_index.json' }]);
    const pr = await (await get('/api/models/acme/tiny/revision/refs%2Fpr%2F1')).json();
    expect(pr.siblings).toEqual([{ rfilename: 'pr.txt' }]);
    await expectHubError(await get('/api/models/acme/tiny/revision/nope'), 404, 'RevisionNotFound', 'Invalid rev id: nope');
  });

  it('derives the commit from the content: stable, and new when a file changes', async () => {
    const before = await commitOf('acme/tiny', 'dev');
    expect(await commitOf('acme/tiny', 'dev')).toBe(before);
    const file = join(fx.root, 'acme/tiny@dev/extra.txt');
    await writeFile(file, 'more');
    expect(await commitOf('acme/tiny', 'dev')).not.toBe(before);
  });
});

describe('tree and paths-info', () => {
  it('lists one level, or everything with recursive=true, with LFS entries like the Hub', async () => {
    const top = await (await get('/api/models/acme/tiny/tree/main')).json();
    expect(top.map((e: { type: string; path: string }) => `${e.type}:${e.path}`)).toEqual([
      'file:README.md', 'file:model_index.json', 'directory:notes', 'directory:scheduler', 'directory:text_encoder', 'directory:tokenizer', 'directory:unet',
    ]);
    const all = await (await get('/api/models/acme/tiny/tree/main?recursive=true&expand=false')).json();
    expect(all.filter((e: { type: string }) => e.type === 'file').map((e: { path: string }) => e.path)).toEqual(Object.keys(fx.tiny).sort());
    const onnx = all.find((e: { path: string }) => e.path === 'unet/model.onnx');
    expect(onnx).toEqual({
      type: 'file', oid: gitBlobId(Buffer.from(pointer(big()))), size: big().length, path: 'unet/model.onnx',
      lfs: { oid: sha256(big()), size: big().length, pointerSize: pointer(big()).length },
    });
    expect(all.find((e: { path: string }) => e.path === 'README.md')).toEqual({
      type: 'file', oid: gitBlobId(fx.tiny['README.md']), size: fx.tiny['README.md'].length, path: 'README.md',
    });
  });

  it('lists a folder, and answers EntryNotFound for a missing one', async () => {
    const unet = await (await get('/api/models/acme/tiny/tree/main/unet')).json();
    expect(unet.map((e: { path: string }) => e.path)).toEqual(['unet/model.onnx']);
    await expectHubError(await get('/api/models/acme/tiny/tree/main/nope'), 404, 'EntryNotFound', 'nope does not exist on "main"');
    await expectHubError(await get('/api/models/acme/tiny/tree/nope'), 404, 'RevisionNotFound', 'Invalid rev id: nope');
  });

  it('pages with an absolute Link: <…cursor=…>; rel="next" header', async () => {
    const whole = await (await get('/api/models/acme/tiny/tree/main?recursive=true')).json();
    hub.treePageSize = 3;
    const pages: unknown[][] = [];
    let url: string | undefined = `${hub.url}/api/models/acme/tiny/tree/main?recursive=true`;
    while (url) {
      const res: Response = await fetch(url);
      pages.push(await res.json());
      const link = res.headers.get('link');
      if (link) expect(link).toMatch(new RegExp(`^<${hub.url}/api/models/acme/tiny/tree/main\\?recursive=true&cursor=[^>]+>; rel="next"$`));
      url = link ? /^<([^>]+)>/.exec(link)![1] : undefined;
    }
    expect(pages.length).toBe(Math.ceil(whole.length / 3));
    expect(pages.flat()).toEqual(whole);
  });

  it('adds lastCommit and a security status with expand=true', async () => {
    const sha = await commitOf();
    const [first] = await (await get('/api/models/acme/tiny/tree/main?expand=true')).json();
    expect(first.lastCommit).toMatchObject({ id: sha });
    expect(first.securityFileStatus.status).toBe('safe');
  });

  it('answers paths-info for a form body (huggingface_hub) and a JSON body (huggingface.js), skipping missing paths', async () => {
    const form = await get('/api/models/acme/tiny/paths-info/main', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'paths=unet%2Fmodel.onnx&paths=tokenizer&paths=missing.bin&expand=False',
    });
    const entries = await form.json();
    expect(entries.map((e: { type: string; path: string }) => `${e.type}:${e.path}`)).toEqual(['file:unet/model.onnx', 'directory:tokenizer']);
    expect(entries[0].lfs.oid).toBe(sha256(big()));
    expect(entries[0].lastCommit).toBeUndefined();
    const json = await get('/api/models/acme/tiny/paths-info/dev', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ paths: ['README.md'], expand: true }),
    });
    const [readme] = await json.json();
    expect(readme).toMatchObject({ path: 'README.md', type: 'file', lastCommit: { id: await commitOf('acme/tiny', 'dev') } });
  });
});

describe('whoami-v2', () => {
  it('describes the token owner as the Hub does', async () => {
    const me = await (await get('/api/whoami-v2', { headers: auth(TOKENS.alice) })).json();
    expect(me).toMatchObject({ type: 'user', name: 'alice', orgs: [], auth: { type: 'access_token', accessToken: { displayName: 'alice laptop', role: 'read' } } });
    expect(new Date(me.auth.accessToken.createdAt).getTime()).not.toBeNaN();
    const fine = await (await get('/api/whoami-v2', { headers: auth(TOKENS.dave) })).json();
    expect(fine.auth.accessToken).toMatchObject({ role: 'fineGrained', fineGrained: { canReadGatedRepos: true } });
  });

  it('refuses a bad token and an anonymous call with 401', async () => {
    const bad = await get('/api/whoami-v2', { headers: auth('hf_not_a_token') });
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    await expectHubError(bad, 401, null, 'Invalid credentials in Authorization header');
    await expectHubError(await get('/api/whoami-v2'), 401, null, 'Invalid username or password.');
  });
});

describe('file downloads', () => {
  it('redirects a small file with a relative 307 to resolve-cache, which serves the bytes', async () => {
    const sha = await commitOf();
    const index = fx.tiny['model_index.json'];
    const res = await get('/acme/tiny/resolve/main/model_index.json');
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(
      `/api/resolve-cache/models/acme/tiny/${sha}/model_index.json?%2Facme%2Ftiny%2Fresolve%2Fmain%2Fmodel_index.json=&etag=%22${gitBlobId(index)}%22`,
    );
    expect(res.headers.get('x-repo-commit')).toBe(sha);
    expect(res.headers.get('etag')).toBe(`"${gitBlobId(index)}"`);
    const followed = await fetch(`${hub.url}/acme/tiny/resolve/main/model_index.json`);
    expect(followed.status).toBe(200);
    expect(Buffer.from(await followed.arrayBuffer())).toEqual(index);
    expect(followed.headers.get('etag')).toBe(`"${gitBlobId(index)}"`);
    expect(followed.headers.get('content-length')).toBe(String(index.length));
    expect(followed.headers.get('accept-ranges')).toBe('bytes');
    expect(followed.headers.get('x-repo-commit')).toBe(sha);
  });

  it('redirects an LFS file with a 302 to the CDN origin, which serves it without auth', async () => {
    const res = await get('/acme/tiny/resolve/main/unet/model.onnx');
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location.startsWith(`${hub.cdnUrl}/repos/`)).toBe(true);
    expect(res.headers.get('x-repo-commit')).toBe(await commitOf());
    expect(res.headers.get('x-linked-size')).toBe(String(big().length));
    expect(res.headers.get('x-linked-etag')).toBe(`"${sha256(big())}"`);
    expect(res.headers.get('etag')).toBeNull();
    const cdn = await fetch(location);
    expect(cdn.status).toBe(200);
    expect(cdn.headers.get('access-control-allow-origin')).toBe('*');
    expect(cdn.headers.get('etag')).toBe(`"${sha256(big())}"`);
    expect(cdn.headers.get('content-length')).toBe(String(big().length));
    expect(sha256(Buffer.from(await cdn.arrayBuffer()))).toBe(sha256(big()));
    expect((await fetch(location.replace(/[0-9a-f]{64}/, '0'.repeat(64)))).status).toBe(403);
  });

  it('answers HEAD with the headers only', async () => {
    const res = await fetch(`${hub.url}/acme/tiny/resolve/main/tokenizer/vocab.json`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(fx.tiny['tokenizer/vocab.json'].length));
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    const lfs = await get('/acme/tiny/resolve/main/unet/model.onnx', { method: 'HEAD' });
    expect(lfs.status).toBe(302);
    expect(lfs.headers.get('x-linked-size')).toBe(String(big().length));
  });

  it('serves ranges with 206 and Content-Range, and 416 past the end, on both origins', async () => {
    const vocab = fx.tiny['tokenizer/vocab.json'];
    const small = await fetch(`${hub.url}/acme/tiny/resolve/main/tokenizer/vocab.json`, { headers: { Range: 'bytes=2-' } });
    expect(small.status).toBe(206);
    expect(small.headers.get('content-range')).toBe(`bytes 2-${vocab.length - 1}/${vocab.length}`);
    expect(Buffer.from(await small.arrayBuffer())).toEqual(vocab.subarray(2));
    const past = await fetch(`${hub.url}/acme/tiny/resolve/main/tokenizer/vocab.json`, { headers: { Range: `bytes=${vocab.length}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${vocab.length}`);

    const n = big().length;
    const mid = await fetch(`${hub.url}/acme/tiny/resolve/main/unet/model.onnx`, { headers: { Range: 'bytes=1000-1999' } });
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe(`bytes 1000-1999/${n}`);
    expect(Buffer.from(await mid.arrayBuffer())).toEqual(big().subarray(1000, 2000));
    const tail = await fetch(`${hub.url}/acme/tiny/resolve/main/unet/model.onnx`, { headers: { Range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(big().subarray(n - 10));
    const beyond = await fetch(`${hub.url}/acme/tiny/resolve/main/unet/model.onnx`, { headers: { Range: `bytes=${n}-${n + 5}` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${n}`);
  });

  it('answers 304 to a matching If-None-Match, and serves LFS pointers on /raw/', async () => {
    const etag = `"${gitBlobId(fx.tiny['README.md'])}"`;
    const revalidated = await get('/acme/tiny/resolve/main/README.md', { headers: { 'If-None-Match': etag } });
    expect([revalidated.status, revalidated.headers.get('etag')]).toEqual([304, etag]);
    const location = (await get('/acme/tiny/resolve/main/README.md')).headers.get('location')!;
    const cached = await get(location, { headers: { 'If-None-Match': etag } });
    expect(cached.status).toBe(304);
    const raw = await get('/acme/tiny/raw/main/unet/model.onnx');
    expect(raw.status).toBe(200);
    expect(await raw.text()).toBe(pointer(big()));
  });

  it('answers EntryNotFound and RevisionNotFound on resolve', async () => {
    await expectHubError(await get('/acme/tiny/resolve/main/nope.bin'), 404, 'EntryNotFound', 'Entry not found');
    await expectHubError(await get('/acme/tiny/resolve/main/unet'), 404, 'EntryNotFound', 'Entry not found');
    await expectHubError(await get('/acme/tiny/resolve/nope/README.md'), 404, 'RevisionNotFound', 'Invalid rev id: nope');
    const head = await get('/acme/tiny/resolve/main/nope.bin', { method: 'HEAD' });
    expect([head.status, head.headers.get('x-error-code')]).toEqual([404, 'EntryNotFound']);
    const pr = await fetch(`${hub.url}/acme/tiny/resolve/refs%2Fpr%2F1/pr.txt`);
    expect(await pr.text()).toBe('pull request 1\n');
  });
});

describe('missing files carry the commit (huggingface_hub caches the miss in .no_exist/<commit>/)', () => {
  it('answers 404 EntryNotFound with X-Repo-Commit on every revision form, for GET and HEAD', async () => {
    const main = await commitOf();
    const dev = await commitOf('acme/tiny', 'dev');
    const pr = await commitOf('acme/tiny', 'refs/pr/1');
    const cases: [string, string][] = [
      ['main', main], ['HEAD', main], [main, main], [main.slice(0, 7), main], ['dev', dev], ['refs%2Fpr%2F1', pr], ['refs/pr/1', pr],
    ];
    for (const [rev, commit] of cases) {
      for (const method of ['GET', 'HEAD']) {
        for (const path of [`/acme/tiny/resolve/${rev}/nope.bin`, `/acme/tiny/resolve/${rev}/sub/dir/nope.json`, `/acme/tiny/raw/${rev}/nope.bin`]) {
          const res = await get(path, { method });
          expect([path, method, res.status, res.headers.get('x-error-code'), res.headers.get('x-repo-commit')]).toEqual([path, method, 404, 'EntryNotFound', commit]);
        }
      }
    }
    const cache = await get(`/api/resolve-cache/models/acme/tiny/${dev}/nope.bin`);
    expect([cache.status, cache.headers.get('x-error-code'), cache.headers.get('x-repo-commit')]).toEqual([404, 'EntryNotFound', dev]);
    // A folder is not a file either; a missing revision has no commit to name.
    expect((await get('/acme/tiny/resolve/main/unet')).headers.get('x-repo-commit')).toBe(main);
    expect((await get('/acme/tiny/resolve/nope/README.md')).headers.get('x-repo-commit')).toBeNull();
  });

  it('lets a browser read X-Repo-Commit on that 404', async () => {
    const res = await get('/acme/tiny/resolve/main/nope.bin', { headers: { Origin: 'http://app.example:4173', ...auth(TOKENS.alice) } });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://app.example:4173');
    expect(res.headers.get('access-control-expose-headers')!.toLowerCase().split(',')).toContain('x-repo-commit');
    expect(res.headers.get('x-repo-commit')).toBe(await commitOf());
  });
});

describe('refs', () => {
  it('lists branches with their commits, converts and tags, and pull requests with include_prs=1', async () => {
    const res = await get('/api/models/acme/tiny/refs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const main = await commitOf();
    const dev = await commitOf('acme/tiny', 'dev');
    const branches = [
      { name: 'dev', ref: 'refs/heads/dev', targetCommit: dev },
      { name: 'main', ref: 'refs/heads/main', targetCommit: main },
    ];
    expect(await res.json()).toEqual({ branches, converts: [], tags: [] });
    const withPrs = await (await get('/api/models/acme/tiny/refs?include_prs=1')).json();
    expect(withPrs).toEqual({
      branches, converts: [], tags: [],
      pullRequests: [{ name: '1', ref: 'refs/pr/1', targetCommit: await commitOf('acme/tiny', 'refs/pr/1') }],
    });
  });

  it('honours private and gated repos like the other API routes', async () => {
    await expectHubError(await get('/api/models/acme/private/refs'), 401, null, 'Invalid username or password.');
    await expectHubError(await get('/api/models/acme/private/refs', { headers: auth(TOKENS.bob) }), 404, 'RepoNotFound', 'Repository not found');
    await expectHubError(await get('/api/models/acme/missing/refs', { headers: auth(TOKENS.bob) }), 404, 'RepoNotFound', 'Repository not found');
    await expectHubError(await get('/api/models/acme/tiny/refs', { headers: auth('hf_revoked') }), 401, null, 'Invalid credentials in Authorization header');
    const priv = await (await get('/api/models/acme/private/refs', { headers: auth(TOKENS.alice) })).json();
    expect(priv.branches).toEqual([{ name: 'main', ref: 'refs/heads/main', targetCommit: await commitOf('acme/private') }]);
    // Gated: metadata, refs included, stays readable; only downloads are gated.
    const gated = await get('/api/models/acme/gated/refs');
    expect(gated.status).toBe(200);
    expect((await gated.json()).branches[0].targetCommit).toBe(await commitOf('acme/gated'));
  });
});

describe('access control', () => {
  it('hides missing and private repos: bare 401 when anonymous, 404 RepoNotFound with a token', async () => {
    for (const repo of ['acme/missing', 'acme/private']) {
      await expectHubError(await get(`/api/models/${repo}`), 401, null, 'Invalid username or password.');
      await expectHubError(await get(`/${repo}/resolve/main/config.json`), 401, null, 'Invalid username or password.');
      await expectHubError(await get(`/api/models/${repo}/tree/main`, { headers: auth(TOKENS.bob) }), 404, 'RepoNotFound', 'Repository not found');
    }
    expect(await (await get('/api/models/acme/private', { headers: auth(TOKENS.alice) })).json()).toMatchObject({ private: true });
    expect(await (await fetch(`${hub.url}/acme/private/resolve/main/config.json`, { headers: auth(TOKENS.alice) })).text()).toBe('{"private": true}\n');
  });

  it('keeps gated metadata public and gates the downloads', async () => {
    expect(await (await get('/api/models/acme/gated')).json()).toMatchObject({ gated: 'manual' });
    expect((await get('/api/models/acme/gated/tree/main?recursive=true')).status).toBe(200);
    await expectHubError(
      await get('/acme/gated/resolve/main/config.json'), 401, 'GatedRepo',
      'Access to model acme/gated is restricted. You must have access to it and be authenticated to access it. Please log in.',
    );
    await expectHubError(
      await get('/acme/gated/resolve/main/unet/model.onnx', { headers: auth(TOKENS.bob) }), 403, 'GatedRepo',
      `Access to model acme/gated is restricted and you are not in the authorized list. Visit ${hub.url}/acme/gated to ask for access.`,
    );
    const sha = await commitOf('acme/gated');
    expect((await get(`/api/resolve-cache/models/acme/gated/${sha}/config.json`)).status).toBe(401);
    expect((await get('/api/models/acme/gated/auth-check')).status).toBe(401);
    expect((await get('/api/models/acme/gated/auth-check', { headers: auth(TOKENS.alice) })).status).toBe(200);
    expect((await get('/acme/gated/resolve/main/unet/model.onnx', { headers: auth(TOKENS.alice) })).status).toBe(302);
  });

  it('refuses an unknown token on every endpoint', async () => {
    for (const path of ['/api/models/acme/tiny', '/api/models/acme/tiny/tree/main', '/acme/tiny/resolve/main/README.md']) {
      await expectHubError(await get(path, { headers: auth('hf_revoked') }), 401, null, 'Invalid credentials in Authorization header');
    }
  });
});

describe('CORS', () => {
  it('reflects the Origin, answers preflights, and exposes the Hub headers', async () => {
    const origin = 'http://app.example:4173';
    const pre = await fetch(`${hub.url}/acme/tiny/resolve/main/unet/model.onnx`, {
      method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,range' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
    expect(pre.headers.get('access-control-allow-methods')).toContain('GET');
    for (const h of ['authorization', 'range', 'content-type']) expect(pre.headers.get('access-control-allow-headers')).toContain(h);
    const res = await get('/acme/tiny/resolve/main/nope', { headers: { Origin: origin } });
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('vary')).toContain('Origin');
    const exposed = res.headers.get('access-control-expose-headers')!.toLowerCase().split(',');
    for (const h of ['x-repo-commit', 'x-error-code', 'x-error-message', 'etag', 'link', 'accept-ranges', 'content-range', 'x-linked-size', 'x-linked-etag']) {
      expect(exposed).toContain(h);
    }
  });

  it('lets anyone read the CDN, but does not allow an Authorization header there', async () => {
    const location = (await get('/acme/tiny/resolve/main/unet/model.onnx')).headers.get('location')!;
    const pre = await fetch(location, {
      method: 'OPTIONS', headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toContain('range');
    expect(pre.headers.get('access-control-allow-headers')).not.toContain('authorization');
    const res = await fetch(location, { method: 'HEAD', headers: { Origin: 'http://app.example' } });
    expect(res.headers.get('access-control-expose-headers')).toContain('Content-Range');
  });
});

describe('request log', () => {
  it('records every request with its headers, body, status and bytes', async () => {
    hub.clearLog();
    await get('/api/models/acme/tiny/paths-info/main', { method: 'POST', headers: { ...auth(TOKENS.alice), 'Content-Type': 'application/json' }, body: '{"paths":["README.md"]}' });
    await (await fetch(`${hub.url}/acme/tiny/resolve/main/model_index.json`, { headers: { Range: 'bytes=1-3' } })).arrayBuffer();
    const [post, redirect, bytes] = hub.log;
    expect(post).toMatchObject({ server: 'hub', method: 'POST', url: '/api/models/acme/tiny/paths-info/main', body: '{"paths":["README.md"]}', status: 200, repo: 'acme/tiny' });
    expect(post.headers.authorization).toBe(`Bearer ${TOKENS.alice}`);
    expect(redirect).toMatchObject({ status: 307, repo: 'acme/tiny', path: 'model_index.json', range: 'bytes=1-3' });
    expect(bytes).toMatchObject({ status: 206, bytesSent: 3, path: 'model_index.json' });
    expect(bytes.time).toBeGreaterThanOrEqual(post.time);
  });

  it('shows the token never reaches the CDN when fetch follows the LFS redirect', async () => {
    hub.clearLog();
    const res = await fetch(`${hub.url}/acme/gated/resolve/main/unet/model.onnx`, { headers: auth(TOKENS.alice) });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const hubSide = hub.log.find((r) => r.server === 'hub')!;
    const cdnSide = hub.log.find((r) => r.server === 'cdn')!;
    expect(hubSide.headers.authorization).toBe(`Bearer ${TOKENS.alice}`);
    expect(cdnSide).toMatchObject({ status: 200, repo: 'acme/gated', path: 'unet/model.onnx', bytesSent: 4096 });
    expect(cdnSide.headers.authorization).toBeUndefined();
    // A same-origin redirect (small file) keeps it, which is why resolve-cache can check access.
    hub.clearLog();
    await (await fetch(`${hub.url}/acme/gated/resolve/main/config.json`, { headers: auth(TOKENS.alice) })).text();
    expect(hub.log.map((r) => [r.status, r.headers.authorization])).toEqual([[307, `Bearer ${TOKENS.alice}`], [200, `Bearer ${TOKENS.alice}`]]);
  });

  it('serves the log over HTTP and clears it with DELETE /__log', async () => {
    await get('/api/models/acme/tiny');
    const log = await (await get('/__log')).json();
    expect(log.at(-1)).toMatchObject({ server: 'hub', url: '/api/models/acme/tiny', status: 200 });
    expect((await get('/__log', { method: 'DELETE' })).status).toBe(204);
    expect(hub.log.length).toBe(0);
  });
});

describe('fault injection', () => {
  const onnxUrl = () => `${hub.url}/acme/tiny/resolve/main/unet/model.onnx`;
  const vocabUrl = () => `${hub.url}/acme/tiny/resolve/main/tokenizer/vocab.json`;

  it('answers a status K times, then recovers', async () => {
    const rule = { path: 'unet/model.onnx', status: 503, times: 2 };
    hub.faults.add(rule);
    expect((await fetch(onnxUrl(), { headers: { Range: 'bytes=0-0' } })).status).toBe(503);
    expect((await fetch(onnxUrl(), { headers: { Range: 'bytes=0-0' } })).status).toBe(503);
    expect((await fetch(onnxUrl(), { headers: { Range: 'bytes=0-0' } })).status).toBe(206);
    expect(hub.faults.rules[0].remaining).toBe(0);
    expect(hub.log.filter((r) => r.server === 'cdn').slice(-3).map((r) => r.status)).toEqual([503, 503, 206]);
  });

  it('rate-limits with 429, Retry-After and the Hub RateLimit headers', async () => {
    hub.faults.add({ path: '*.json', rateLimit: { times: 1, retryAfter: 7 } });
    const res = await fetch(vocabUrl());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('ratelimit')).toBe('"resolvers";r=0;t=7');
    expect((await fetch(vocabUrl())).status).toBe(200);
  });

  it('hits the resolve redirect or the JSON API when targeted there', async () => {
    hub.faults.add({ target: 'resolve', path: 'README.md', status: 500 }, { target: 'api', path: '/api/models/*/*/tree/**', status: 503 });
    expect((await get('/acme/tiny/resolve/main/README.md')).status).toBe(500);
    expect((await get('/acme/tiny/resolve/main/README.md')).status).toBe(307);
    expect((await get('/api/models/acme/tiny/tree/main')).status).toBe(503);
    expect((await get('/api/models/acme/tiny/tree/main')).status).toBe(200);
  });

  it('drops the connection after N body bytes', async () => {
    hub.faults.add({ path: 'unet/model.onnx', dropAfterBytes: 100_000 });
    const res = await fetch(onnxUrl());
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(hub.log.filter((r) => r.server === 'cdn').at(-1)!.bytesSent).toBe(100_000);
    const again = await fetch(onnxUrl(), { headers: { Range: 'bytes=100000-100009' } });
    expect(Buffer.from(await again.arrayBuffer())).toEqual(big().subarray(100_000, 100_010));
  });

  it('stalls after N body bytes, holding the connection until the client goes away', async () => {
    hub.faults.add({ path: 'unet/model.onnx', stallAfterBytes: 100_000 });
    const controller = new AbortController();
    const res = await fetch(onnxUrl(), { signal: controller.signal });
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 100_000) got += (await reader.read()).value!.byteLength;
    expect(got).toBe(100_000);
    const entry = hub.log.filter((r) => r.server === 'cdn').at(-1)!;
    expect(entry.endTime).toBeUndefined(); // still open, sending nothing
    controller.abort();
    await expect.poll(() => entry.endTime).toBeGreaterThan(0);
    expect(entry.bytesSent).toBe(100_000);
  });

  it('ignores Range, answering 200 with the whole file', async () => {
    hub.faults.add({ path: 'tokenizer/vocab.json', ignoreRange: true });
    const res = await fetch(vocabUrl(), { headers: { Range: 'bytes=3-' } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(fx.tiny['tokenizer/vocab.json']);
  });

  it('throttles the body to N bytes per second', async () => {
    hub.faults.add({ path: 'unet/model.onnx', throttleBytesPerSec: 1_000_000 });
    const started = Date.now();
    const res = await fetch(onnxUrl(), { headers: { Range: 'bytes=0-249999' } });
    expect((await res.arrayBuffer()).byteLength).toBe(250_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(200);
    expect(elapsed).toBeLessThan(2000);
  });

  it('flips one byte at a file offset', async () => {
    hub.faults.add({ path: 'unet/model.onnx', corruptByteAt: 70_000 });
    const res = await fetch(onnxUrl(), { headers: { Range: 'bytes=65536-131071' } });
    const got = Buffer.from(await res.arrayBuffer());
    const want = big().subarray(65_536, 131_072);
    const diff = [...got.keys()].filter((i) => got[i] !== want[i]);
    expect(diff).toEqual([70_000 - 65_536]);
    expect(got[diff[0]]).toBe(want[diff[0]] ^ 0xff);
  });

  it('is set and read over POST|GET|DELETE /__faults', async () => {
    const set = await get('/__faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ rules: [{ path: 'model_index.json', status: 500, times: 'always' }] }) });
    expect((await set.json()).rules).toHaveLength(1);
    expect((await fetch(`${hub.url}/acme/tiny/resolve/main/model_index.json`)).status).toBe(500);
    expect((await fetch(`${hub.url}/acme/tiny/resolve/main/model_index.json`)).status).toBe(500);
    expect((await (await get('/__faults')).json()).rules[0].remaining).toBe('always');
    await get('/__faults', { method: 'DELETE' });
    expect((await fetch(`${hub.url}/acme/tiny/resolve/main/model_index.json`)).status).toBe(200);
  });
});

it('keeps the fixture files untouched on disk', async () => {
  expect(await readFile(join(fx.root, 'acme/tiny/model_index.json'))).toEqual(fx.tiny['model_index.json']);
});
