/**
 * The Hub's HTTP protocol: metadata, downloads, typed errors. No storage code here.
 * @module
 */
export { DEFAULT_HUB_URL, hubUrlOf, modelPageUrl, encodePath, type HubOptions } from './config.ts';
export { authHeaders } from './request.ts';
export * from './errors.ts';
export { InvalidRepoIdError, isRepoId, checkRepoId, checkRevision, checkRepoPath, isCommit, checkCommit } from './repo-id.ts';
export { modelInfo, type ModelInfo, type RepoFile } from './model-info.ts';
export { listRefs, type RepoRef } from './list-refs.ts';
export { fileUrl, openDownload } from './download-file.ts';

export { retryDelay, withRetry, sleep, DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
export { whoAmI, type WhoAmI } from './whoami.ts';
