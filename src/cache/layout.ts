/**
 * The readable layout of cached models, the same for every backend:
 *
 *     models/<org>/<name>/<commit>/<path in repo>     the files, as in the repo
 *     models/<org>/<name>/refs/<revision>             text: the commit a revision pointed to
 *     models/<org>/<name>/manifests/<commit>.json     what the Hub said about that commit's files
 *
 * Revisions may contain `/` (`refs/pr/1`), so they are URI-encoded into one name. Every part is
 * checked as the Hub checks it (src/hub/repo-id.ts): a repo id the Hub accepts, a commit of 40
 * hex digits, a path and a revision without `.` or `..` parts, so no key leaves its repo's folder.
 */
import { checkCommit, checkRepoId, checkRepoPath, checkRevision } from '../hub/index.ts';

/** The folder every cached model lives under. */
export const MODELS = 'models';

/** A repo's folder, `models/<org>/<name>`; throws InvalidRepoIdError unless `repo` is a Hub repo id. */
export function repoKey(repo: string): string {
  return `${MODELS}/${checkRepoId(repo)}`;
}

/** Where a repo's file at a commit is cached: `models/<org>/<name>/<commit>/<path>`. */
export function fileKey(repo: string, commit: string, path: string): string {
  return `${repoKey(repo)}/${checkCommit(commit)}/${checkRepoPath(path)}`;
}

/** Where the commit a revision last resolved to is kept; the revision is URI-encoded so `refs/pr/1` stays one name. */
export function refKey(repo: string, revision: string): string {
  return `${repoKey(repo)}/refs/${encodeURIComponent(checkRevision(revision))}`;
}

/** Where the Hub's file listing for a commit is kept, for offline use and `verify`: `…/manifests/<commit>.json`. */
export function manifestKey(repo: string, commit: string): string {
  return `${repoKey(repo)}/manifests/${checkCommit(commit)}.json`;
}
