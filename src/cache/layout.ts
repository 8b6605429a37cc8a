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

export function repoKey(repo: string): string {
  const [org, name, ...rest] = repo.split('/');
  if (!org || !name || rest.length) throw new Error(`A model id looks like "org/name", not "${repo}".`);
  return `${MODELS}/${org}/${name}`;
}

export function fileKey(repo: string, commit: string, path: string): string {
  return `${repoKey(repo)}/${commit}/${path}`;
}

export function refKey(repo: string, revision: string): string {
  return `${repoKey(repo)}/refs/${encodeURIComponent(revision)}`;
}

export function manifestKey(repo: string, commit: string): string {
  return `${repoKey(repo)}/manifests/${commit}.json`;
}
