import { encodePath, hubUrlOf, type HubOptions } from './config.ts';
import { checkCommit, checkRepoId, checkRepoPath, checkRevision, InvalidRepoIdError } from './repo-id.ts';
import { hubFetch } from './request.ts';

/** One file of a repo at a commit, as the Hub's JSON API describes it. */
export interface RepoFile {
  path: string;
  size: number;
  /** Git blob id of the file (of the LFS pointer for LFS files). */
  blobId?: string;
  /** sha256 of the content, for files stored with Git LFS. */
  sha256?: string;
}

/** What the Hub says about a repo at one revision: the commit it resolves to, gating, license and files. */
export interface ModelInfo {
  id: string;
  /** The commit the requested revision points to. */
  sha: string;
  gated: false | 'auto' | 'manual';
  private: boolean;
  license?: string;
  files: RepoFile[];
}

interface ApiSibling {
  rfilename: string;
  size?: number;
  blobId?: string;
  lfs?: { sha256?: string; oid?: string; size: number };
}

/**
 * Resolves `revision` (branch, tag, commit, `refs/pr/N`) to a commit and lists the repo's files
 * with sizes and sha256, from `GET /api/models/{repo}/revision/{rev}?blobs=true`.
 * This JSON is the source of truth: browsers hide the headers of redirects.
 *
 * The repo id and revision are checked before anything is requested, and the answer before it
 * is returned: its `id` must be a repo id, its `sha` 40 hex digits and every file path inside
 * the repo, or this throws InvalidRepoIdError (so nothing is ever stored under them).
 */
export async function modelInfo(params: { repo: string; revision?: string } & HubOptions): Promise<ModelInfo> {
  const repo = checkRepoId(params.repo);
  const revision = checkRevision(params.revision ?? 'main');
  const url = `${hubUrlOf(params)}/api/models/${encodePath(repo)}/revision/${encodeURIComponent(revision)}?blobs=true`;
  const body = await (await hubFetch(url, params, repo)).json();
  const answer = `The Hub's answer for ${repo}@${revision}`;
  const siblings: ApiSibling[] = Array.isArray(body.siblings) ? body.siblings : [];
  const id = body.id ?? repo;
  try {
    checkRepoId(id);
    for (const s of siblings) checkRepoPath(s?.rfilename);
  } catch (err) {
    throw new InvalidRepoIdError(`${answer} is not usable: ${(err as Error).message}`, (err as InvalidRepoIdError).what, (err as InvalidRepoIdError).value);
  }
  return {
    id,
    sha: checkCommit(body.sha, answer),
    gated: body.gated ?? false,
    private: !!body.private,
    license: typeof body.cardData?.license === 'string' ? body.cardData.license : undefined,
    files: siblings.map((s) => ({
      path: s.rfilename,
      size: s.lfs?.size ?? s.size ?? -1,
      blobId: s.blobId,
      sha256: s.lfs?.sha256 ?? s.lfs?.oid,
    })),
  };
}
