import { describe, expect, it } from 'vitest';
import { fileKey, manifestKey, refKey, repoKey } from '../../src/cache/index.ts';
import {
  checkCommit, checkRepoId, checkRepoPath, checkRevision, fileUrl, InvalidRepoIdError, isCommit, isRepoId, listRefs, modelInfo, openDownload,
} from '../../src/hub/index.ts';
import { settingsFromParameters, defaultGenerationSettings } from '../../src/ui/generation-settings.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';

/** A fetch that answers every request with `body` (JSON) and records what was asked. */
function fakeHub(body: unknown) {
  const asked: string[] = [];
  const fetch = (async (input: RequestInfo | URL) => {
    asked.push(String(input));
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { asked, opts: { hubUrl: 'https://hub.test', fetch } };
}

describe('repo ids the Hub accepts', () => {
  it('accepts what huggingface_hub validate_repo_id accepts, with a namespace', () => {
    for (const id of ['schmuell/sd-turbo-ort-web', 'stabilityai/sd-turbo', 'a/b', 'Org_1/Foo-BAR_foo.bar123', '_x/y_', 'o/' + 'n'.repeat(96)]) {
      expect(isRepoId(id), id).toBe(true);
      expect(checkRepoId(id)).toBe(id);
    }
  });

  it('refuses dot parts, traversal, other shapes and other characters, saying why', () => {
    const bad = [
      '../x', '..', '../..', './x', 'x/.', 'x/..', '.', '', 'name', 'a/b/c', '/a/b', 'a/b/', 'a//b',
      '.org/name', 'org/name.', 'org/-name', 'org/name-', 'org/na--me', 'org/na..me', 'org/name.git',
      'org/' + 'n'.repeat(97), 'org/café', 'org/na me', 'org/na%2fme', 'org\\name', 'org/name?x=1', 'org/name#x',
    ];
    for (const id of bad) {
      expect(isRepoId(id), id).toBe(false);
      const err = (() => { try { checkRepoId(id); } catch (e) { return e as InvalidRepoIdError; } })();
      expect(err, id).toBeInstanceOf(InvalidRepoIdError);
      expect(err!.what).toBe('repo id');
      expect(err!.message).toContain('is not a Hub repo id');
    }
    expect(() => checkRepoId('../x')).toThrow('"../x" is not a Hub repo id: a repo id has no “..” or “--”.');
    expect(() => checkRepoId('a/b/c')).toThrow('"a/b/c" is not a Hub repo id: a repo id is “org/name”.');
  });

  it('refuses revisions and paths with empty, `.` or `..` parts or control characters, and keeps the rest', () => {
    for (const rev of ['main', 'refs/pr/1', 'v1.0', 'fp32', SHA, 'feature/a.b', '..x', 'x..']) expect(checkRevision(rev)).toBe(rev);
    for (const rev of ['', '.', '..', '../main', 'refs/../main', 'refs/pr/', '/main', 'a//b', 'main\n', 'a\u0000b']) {
      expect(() => checkRevision(rev), JSON.stringify(rev)).toThrow(InvalidRepoIdError);
    }
    for (const path of ['unet/model.onnx', 'model_index.json', '.gitattributes', 'a/.hidden/b', 'weights..pb']) expect(checkRepoPath(path)).toBe(path);
    for (const path of ['', '../x', 'unet/../../x', './x', 'unet/./model.onnx', '/etc/passwd', 'unet/', 'a//b', 'a\u0000']) {
      expect(() => checkRepoPath(path), JSON.stringify(path)).toThrow(InvalidRepoIdError);
    }
  });

  it('wants 40 lowercase hex digits for a commit', () => {
    expect(isCommit(SHA)).toBe(true);
    for (const sha of ['', 'main', SHA.slice(1), SHA + '0', SHA.toUpperCase(), '../' + SHA.slice(3), undefined as unknown as string]) {
      expect(isCommit(sha)).toBe(false);
      expect(() => checkCommit(sha)).toThrow(/not 40 hex digits: nothing was stored under it/);
    }
  });
});

describe('the hub client checks before it asks, and checks what it is told', () => {
  it('makes no request for a repo id, revision or path that would leave the repo', async () => {
    const hub = fakeHub({ id: 'a/b', sha: SHA, siblings: [] });
    await expect(modelInfo({ ...hub.opts, repo: '../x' })).rejects.toBeInstanceOf(InvalidRepoIdError);
    await expect(modelInfo({ ...hub.opts, repo: 'a/b', revision: '..' })).rejects.toBeInstanceOf(InvalidRepoIdError);
    await expect(listRefs({ ...hub.opts, repo: 'x/../../y' })).rejects.toBeInstanceOf(InvalidRepoIdError);
    await expect(openDownload({ ...hub.opts, repo: 'a/b', revision: SHA, path: '../../api/whoami-v2' })).rejects.toBeInstanceOf(InvalidRepoIdError);
    expect(() => fileUrl({ ...hub.opts, repo: '..', revision: SHA, path: 'x' })).toThrow(InvalidRepoIdError);
    expect(hub.asked).toEqual([]);
    // A good id goes where it should.
    await modelInfo({ ...hub.opts, repo: 'a/b', revision: 'refs/pr/1' });
    expect(hub.asked).toEqual(['https://hub.test/api/models/a/b/revision/refs%2Fpr%2F1?blobs=true']);
  });

  it('refuses an answer whose commit is not 40 hex digits, whose id is not a repo id, or whose files leave the repo', async () => {
    const answers: [unknown, RegExp][] = [
      [{ id: 'a/b', sha: 'not-a-commit', siblings: [] }, /The Hub's answer for a\/b@main names the commit "not-a-commit", which is not 40 hex digits: nothing was stored under it\./],
      [{ id: 'a/b', siblings: [] }, /not 40 hex digits/],
      [{ id: '../..', sha: SHA, siblings: [] }, /The Hub's answer for a\/b@main is not usable: "..\/.." is not a Hub repo id/],
      [{ id: 'a/b', sha: SHA, siblings: [{ rfilename: 'unet/../../../evil.onnx' }] }, /is not usable: "unet\/..\/..\/..\/evil.onnx" is not a file path in a repo: a file path has no “..” part/],
      [{ id: 'a/b', sha: SHA, siblings: [{}] }, /is not usable: .* is not a file path in a repo/],
    ];
    for (const [answer, message] of answers) {
      await expect(modelInfo({ ...fakeHub(answer).opts, repo: 'a/b' })).rejects.toThrow(message);
    }
    const good = await modelInfo({ ...fakeHub({ id: 'a/b', sha: SHA, siblings: [{ rfilename: 'unet/model.onnx', size: 3 }] }).opts, repo: 'a/b' });
    expect(good).toMatchObject({ id: 'a/b', sha: SHA, files: [{ path: 'unet/model.onnx', size: 3 }] });
  });
});

describe('cache keys stay inside their repo', () => {
  it('are the readable layout for good parts and refuse bad ones', () => {
    expect(fileKey('a/b', SHA, 'unet/model.onnx')).toBe(`models/a/b/${SHA}/unet/model.onnx`);
    expect(refKey('a/b', 'refs/pr/1')).toBe('models/a/b/refs/refs%2Fpr%2F1');
    expect(manifestKey('a/b', SHA)).toBe(`models/a/b/manifests/${SHA}.json`);
    expect(() => repoKey('../..')).toThrow(InvalidRepoIdError);
    expect(() => fileKey('a/b', 'main', 'x')).toThrow(InvalidRepoIdError);
    expect(() => fileKey('a/b', SHA, '../../c/d')).toThrow(InvalidRepoIdError);
    expect(() => refKey('a/b', '..')).toThrow(InvalidRepoIdError);
    expect(() => manifestKey('a/b', '../x')).toThrow(InvalidRepoIdError);
  });
});

describe('a PNG whose Model is not a repo id', () => {
  it('restores the settings but not the model', () => {
    const current = defaultGenerationSettings();
    for (const model of ['../..', '../x', 'a/../b', '.', 'org/na..me']) {
      const out = settingsFromParameters(`a cat\nSteps: 2, Seed: 5, Model: ${model}`, current);
      expect(out.model, model).toBeUndefined();
      expect(out.settings.seed).toBe(5);
    }
    expect(settingsFromParameters('a cat\nSteps: 2, Seed: 5, Model: org/name', current).model).toBe('org/name');
  });
});
