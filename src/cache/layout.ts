/**
 * The readable layout of cached models, the same for every backend, kept apart by the hub the
 * files came from (a hub reached through `?hub=` may claim any repo id and commit: its files must
 * never be taken for the official Hub's):
 *
 *     models/<org>/<name>/…            the official Hub's (https://huggingface.co), as before
 *     hubs/<hub>/<org>/<name>/…        any other hub's; <hub> names its origin: `http_127.0.0.1_8411`
 *
 * and in each repo's folder:
 *
 *     <commit>/<path in repo>          the files, as in the repo
 *     refs/<revision>                  text: the commit a revision pointed to
 *     manifests/<commit>.json          what the hub said about that commit's files
 *     alias                            text: the hub's own id for a repo asked for by this name
 *                                      (another letter case, a renamed repo)
 *
 * Revisions may contain `/` (`refs/pr/1`), so they are URI-encoded into one name. Every part is
 * checked as the Hub checks it (src/hub/repo-id.ts): a repo id the Hub accepts, a commit of 40
 * hex digits, a path and a revision without `.` or `..` parts, so no key leaves its repo's folder.
 * `parseKey` reads a key back; a key it does not recognise is not the app's.
 */
import { checkCommit, checkRepoId, checkRepoPath, checkRevision, hubOrigin, isCommit, isRepoId, OFFICIAL_HUB_ORIGIN } from '../hub/index.ts';

/** The folder the official Hub's models live under. */
export const MODELS = 'models';
/** The folder other hubs' models live under, one folder per hub origin. */
export const HUBS = 'hubs';

/** `hubs/<hub>` names an origin with only these characters as they are; others are `%xx`. */
const PLAIN_HOST = /[a-z0-9.-]/;

/** The folder of one hub's models: `models` for the official Hub, `hubs/<scheme>_<host>[_<port>]` for any other. */
export function hubFolder(hubUrl: string): string {
  const origin = hubOrigin(hubUrl);
  if (origin === OFFICIAL_HUB_ORIGIN) return MODELS;
  const u = new URL(origin);
  const host = [...u.hostname].map((c) => (PLAIN_HOST.test(c) ? c : `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)).join('');
  return `${HUBS}/${u.protocol.slice(0, -1)}_${host}${u.port ? `_${u.port}` : ''}`;
}

/** The origin a `hubs/<hub>` folder name stands for, or undefined when it is not one `hubFolder` makes. */
function originOfFolder(name: string): string | undefined {
  const m = /^(https?)_([a-z0-9.%-]+?)(?:_(\d{1,5}))?$/.exec(name);
  if (!m) return undefined;
  try {
    const origin = new URL(`${m[1]}://${decodeURIComponent(m[2]!)}${m[3] ? `:${m[3]}` : ''}`).origin;
    return hubFolder(origin) === `${HUBS}/${name}` ? origin : undefined;
  } catch {
    return undefined;
  }
}

/** A repo's folder, `<hub folder>/<org>/<name>`; throws InvalidRepoIdError unless `repo` is a Hub repo id. */
export function repoKey(hubUrl: string, repo: string): string {
  return `${hubFolder(hubUrl)}/${checkRepoId(repo)}`;
}

/** Where a repo's file at a commit is cached: `<repo folder>/<commit>/<path>`. */
export function fileKey(hubUrl: string, repo: string, commit: string, path: string): string {
  return `${repoKey(hubUrl, repo)}/${checkCommit(commit)}/${checkRepoPath(path)}`;
}

/** Where the commit a revision last resolved to is kept; the revision is URI-encoded so `refs/pr/1` stays one name. */
export function refKey(hubUrl: string, repo: string, revision: string): string {
  return `${repoKey(hubUrl, repo)}/refs/${encodeURIComponent(checkRevision(revision))}`;
}

/** Where the hub's file listing for a commit is kept, for offline use and `verify`: `…/manifests/<commit>.json`. */
export function manifestKey(hubUrl: string, repo: string, commit: string): string {
  return `${repoKey(hubUrl, repo)}/manifests/${checkCommit(commit)}.json`;
}

/** Where the hub's own id for a repo asked for as `repo` is kept (the hub answered another id). */
export function aliasKey(hubUrl: string, repo: string): string {
  return `${repoKey(hubUrl, repo)}/alias`;
}

/** A key of the app's layout, read back: which hub, repo and record it is. */
export type ParsedKey = { hub: string; repo: string } & (
  | { kind: 'file'; commit: string; path: string }
  | { kind: 'ref'; revision: string }
  | { kind: 'manifest'; commit: string }
  | { kind: 'alias' }
);

/** What `key` is in the layout, or undefined when the app never writes such a key (anything else in a folder is not the app's). */
export function parseKey(key: string): ParsedKey | undefined {
  const parts = key.split('/');
  let hub: string | undefined;
  let rest: string[];
  if (parts[0] === MODELS) [hub, rest] = [OFFICIAL_HUB_ORIGIN, parts.slice(1)];
  else if (parts[0] === HUBS && parts[1]) [hub, rest] = [originOfFolder(parts[1]), parts.slice(2)];
  else return undefined;
  const [org, name, kind, ...tail] = rest;
  const repo = `${org}/${name}`;
  if (!hub || !kind || !isRepoId(repo)) return undefined;
  if (kind === 'alias' && tail.length === 0) return { hub, repo, kind: 'alias' };
  if (kind === 'refs' && tail.length === 1) {
    try {
      return { hub, repo, kind: 'ref', revision: checkRevision(decodeURIComponent(tail[0]!)) };
    } catch {
      return undefined;
    }
  }
  const manifest = kind === 'manifests' && tail.length === 1 ? /^([0-9a-f]{40})\.json$/.exec(tail[0]!) : null;
  if (manifest) return { hub, repo, kind: 'manifest', commit: manifest[1]! };
  if (isCommit(kind) && tail.length > 0) {
    const path = tail.join('/');
    try {
      return { hub, repo, kind: 'file', commit: kind, path: checkRepoPath(path) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
