import { encodePath, hubUrlOf, type HubOptions } from './config.ts';
import { HubApiError } from './errors.ts';
import { checkRepoId, checkRepoPath, checkRevision } from './repo-id.ts';
import { hubFetch } from './request.ts';

/**
 * The `resolve` URL of a file; pass a commit, not a branch, so every byte comes from one snapshot.
 * Throws InvalidRepoIdError for a repo id, revision or path the Hub would not accept.
 */
export function fileUrl(params: { repo: string; revision: string; path: string } & HubOptions): string {
  const [repo, revision, path] = [checkRepoId(params.repo), checkRevision(params.revision), checkRepoPath(params.path)];
  return `${hubUrlOf(params)}/${encodePath(repo)}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

/**
 * Starts downloading a file from byte `offset` on. Resolves with the response once the
 * headers are in; `restarted` is true when the server ignored the Range and sent everything.
 */
export async function openDownload(
  params: { repo: string; revision: string; path: string; offset?: number; signal?: AbortSignal } & HubOptions,
): Promise<{ response: Response; body: ReadableStream<Uint8Array>; restarted: boolean }> {
  const url = fileUrl(params);
  const offset = params.offset ?? 0;
  const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
  const response = await hubFetch(url, params, `${params.repo}/${params.path}`, { headers, signal: params.signal });
  if (!response.body) throw new HubApiError(`${params.path}: empty response`, response.status, undefined, url);
  return { response, body: response.body, restarted: offset > 0 && response.status === 200 };
}
