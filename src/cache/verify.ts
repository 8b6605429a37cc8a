import { createSHA1, createSHA256 } from 'hash-wasm';
import type { RepoFile } from '../hub/index.ts';

/**
 * The Hub's id for a file's content, recomputed: sha256 for LFS files, the git blob id
 * (`sha1("blob <size>\0" + content)`) otherwise. Like `hf cache verify`.
 */
export async function contentId(blob: Blob, lfs: boolean): Promise<string> {
  const hasher = lfs ? await createSHA256() : await createSHA1();
  hasher.init();
  if (!lfs) hasher.update(`blob ${blob.size}\0`);
  const reader = blob.stream().getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) hasher.update(r.value);
  return hasher.digest('hex');
}

/** A file whose recomputed id differs from the one the Hub listed (hex sha256 for LFS files, git blob id otherwise). */
export interface Mismatch {
  path: string;
  expected: string;
  actual: string;
}

/** Re-hashes each file against what the Hub listed; files without a listed id are skipped. */
export async function verifyFiles(files: RepoFile[], get: (path: string) => Promise<Blob | undefined>): Promise<{ checked: number; mismatches: Mismatch[] }> {
  const mismatches: Mismatch[] = [];
  let checked = 0;
  for (const f of files) {
    const expected = f.sha256 ?? f.blobId;
    const blob = await get(f.path);
    if (!expected || !blob) continue;
    const actual = await contentId(blob, !!f.sha256);
    checked++;
    if (actual !== expected) mismatches.push({ path: f.path, expected, actual });
  }
  return { checked, mismatches };
}
