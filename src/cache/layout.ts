/**
 * The readable layout of cached models, the same for every backend:
 *
 *     models/<org>/<name>/<commit>/<path in repo>     the files, as in the repo
 *     models/<org>/<name>/refs/<revision>             text: the commit a revision pointed to
 *     models/<org>/<name>/manifests/<commit>.json     what the Hub said about that commit's files
 *
 * Revisions may contain `/` (`refs/pr/1`), so they are URI-encoded into one name.
 */
export const MODELS = 'models';

/** A repo's folder, `models/<org>/<name>`; throws unless `repo` is exactly `org/name`. */
export function repoKey(repo: string): string {
  const [org, name, ...rest] = repo.split('/');
  if (!org || !name || rest.length) throw new Error(`A model id looks like "org/name", not "${repo}".`);
  return `${MODELS}/${org}/${name}`;
}

/** Where a repo's file at a commit is cached: `models/<org>/<name>/<commit>/<path>`. */
export function fileKey(repo: string, commit: string, path: string): string {
  return `${repoKey(repo)}/${commit}/${path}`;
}

/** Where the commit a revision last resolved to is kept; the revision is URI-encoded so `refs/pr/1` stays one name. */
export function refKey(repo: string, revision: string): string {
  return `${repoKey(repo)}/refs/${encodeURIComponent(revision)}`;
}

/** Where the Hub's file listing for a commit is kept, for offline use and `verify`: `…/manifests/<commit>.json`. */
export function manifestKey(repo: string, commit: string): string {
  return `${repoKey(repo)}/manifests/${commit}.json`;
}
