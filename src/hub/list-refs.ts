import { encodePath, hubUrlOf, type HubOptions } from './config.ts';
import { checkRepoId } from './repo-id.ts';
import { hubFetch } from './request.ts';

/** A branch or tag of a repo and the commit it points to. */
export interface RepoRef {
  name: string;
  /** `refs/heads/<name>` for a branch, `refs/tags/<name>` for a tag. */
  ref: string;
  targetCommit: string;
}

/** The repo's branches and tags, from `GET /api/models/{repo}/refs`. */
export async function listRefs(params: { repo: string } & HubOptions): Promise<{ branches: RepoRef[]; tags: RepoRef[] }> {
  const url = `${hubUrlOf(params)}/api/models/${encodePath(checkRepoId(params.repo))}/refs`;
  const body = await (await hubFetch(url, params, params.repo)).json();
  return { branches: body.branches ?? [], tags: body.tags ?? [] };
}
