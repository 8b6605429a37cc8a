/**
 * What the Hub accepts as a repo id, a revision, a path in a repo and a commit, checked before
 * anything is requested or stored: an id, revision or path goes into URLs and cache keys, where
 * `.` and `..` would climb out of the repo (`?model=../x` would ask `/api/x/revision/main`).
 */

/** An id, revision, path or commit that the Hub would not accept (or did not answer properly). */
export class InvalidRepoIdError extends Error {
  override name = 'InvalidRepoIdError';
  constructor(
    message: string,
    /** What was refused: `repo id`, `revision`, `path` or `commit`. */
    readonly what: 'repo id' | 'revision' | 'path' | 'commit',
    /** The refused value, as given. */
    readonly value: string,
  ) {
    super(message);
  }
}

// As huggingface_hub's validate_repo_id (utils/_validators.py, mirroring the Hub's own rules):
// ASCII letters, digits, `-`, `_`, `.`; each part starts and ends with a letter, digit or `_`;
// no `--` or `..`; no `.git` at the end; a name of at most 96 characters. This app also wants
// the namespace (`org/name`), as the Hub's API paths and our cache layout have it.
const PART = /^[A-Za-z0-9_](?:[\w.-]*[A-Za-z0-9_])?$/;
const NAME_MAX = 96;
const COMMIT = /^[0-9a-f]{40}$/;
// Control characters are in no Git ref and no sane file name; NUL would end a C string.
const CONTROL = /[\u0000-\u001f\u007f]/;

const shown = (value: string) => JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);

/** Why `id` is not a Hub repo id, or undefined when it is one. */
function repoIdProblem(id: string): string | undefined {
  const parts = id.split('/');
  if (parts.length !== 2) return 'a repo id is “org/name”';
  const [org, name] = parts as [string, string];
  if (id.includes('..') || id.includes('--')) return 'a repo id has no “..” or “--”';
  if (!PART.test(org) || !PART.test(name)) return 'each part of a repo id is ASCII letters, digits, “-”, “_” and “.”, starting and ending with a letter, digit or “_”';
  if (name.length > NAME_MAX) return `the name in a repo id is at most ${NAME_MAX} characters`;
  if (name.endsWith('.git')) return 'a repo id does not end in “.git”';
  return undefined;
}

/** Whether `id` is a repo id the Hub accepts, `org/name` (e.g. `schmuell/sd-turbo-ort-web`). */
export function isRepoId(id: string): boolean {
  return typeof id === 'string' && repoIdProblem(id) === undefined;
}

/**
 * Returns `id` when it is a repo id the Hub accepts (see {@link isRepoId}).
 * @throws InvalidRepoIdError saying what is wrong with it.
 */
export function checkRepoId(id: string): string {
  const problem = typeof id === 'string' ? repoIdProblem(id) : 'a repo id is text';
  if (problem) throw new InvalidRepoIdError(`${shown(String(id))} is not a Hub repo id: ${problem}.`, 'repo id', String(id));
  return id;
}

/** Why a `/`-separated name (a revision, a path) has no place in a URL path or a cache key, or undefined. */
function segmentsProblem(value: string, kind: string): string | undefined {
  if (typeof value !== 'string') return `a ${kind} is text`;
  if (value === '') return `a ${kind} is not empty`;
  if (CONTROL.test(value)) return `a ${kind} has no control characters`;
  const segment = value.split('/').find((s) => s === '' || s === '.' || s === '..');
  if (segment === undefined) return undefined;
  return segment === '' ? `a ${kind} has no empty part (no leading, trailing or double “/”)` : `a ${kind} has no “${segment}” part`;
}

/**
 * Returns `revision` (a branch, tag, commit or `refs/pr/N`) when it can be one: not empty, no
 * control characters, and no empty, `.` or `..` part between its `/`s.
 * @throws InvalidRepoIdError otherwise.
 */
export function checkRevision(revision: string): string {
  const problem = segmentsProblem(revision, 'revision');
  if (problem) throw new InvalidRepoIdError(`${shown(String(revision))} is not a revision: ${problem}.`, 'revision', String(revision));
  return revision;
}

/**
 * Returns `path` (a file's path in a repo, as the Hub lists it) when it stays inside the repo:
 * not empty, no control characters, and no empty, `.` or `..` part between its `/`s.
 * @throws InvalidRepoIdError otherwise.
 */
export function checkRepoPath(path: string): string {
  const problem = segmentsProblem(path, 'file path');
  if (problem) throw new InvalidRepoIdError(`${shown(String(path))} is not a file path in a repo: ${problem}.`, 'path', String(path));
  return path;
}

/** Whether `sha` is a full commit hash: 40 lowercase hex digits, as the Hub writes them. */
export function isCommit(sha: string): boolean {
  return typeof sha === 'string' && COMMIT.test(sha);
}

/**
 * Returns `sha` when it is a full commit hash (see {@link isCommit}).
 * @param where - who gave it, for the message (e.g. `the Hub's answer for org/name@main`).
 * @throws InvalidRepoIdError otherwise, so nothing is ever stored under it.
 */
export function checkCommit(sha: string, where = 'a commit'): string {
  if (!isCommit(sha)) {
    throw new InvalidRepoIdError(`${where} names the commit ${shown(String(sha))}, which is not 40 hex digits: nothing was stored under it.`, 'commit', String(sha));
  }
  return sha;
}
