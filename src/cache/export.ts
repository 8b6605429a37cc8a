import type { RepoFile } from '../hub/index.ts';

/** How `exportSnapshot` lays files out: `plain` as in a clone, or `hf-cache` as huggingface_hub reads it. */
export type ExportLayout = 'hf-cache' | 'plain';

/**
 * Writes one commit of a cached model into a folder the user chose, so other programs can use it:
 * - `plain`: the repo's files by their paths, as a clone would have them;
 * - `hf-cache`: `models--org--name/{blobs/<oid>, snapshots/<commit>/<path>, refs/<rev>}`, the layout
 *   huggingface_hub reads. Browsers cannot make symlinks, so snapshot entries are copies, as
 *   huggingface_hub itself makes them where symlinks are unavailable.
 */
export async function exportSnapshot(p: {
  target: FileSystemDirectoryHandle;
  layout: ExportLayout;
  repo: string;
  commit: string;
  refs: string[];
  files: RepoFile[];
  get: (path: string) => Promise<Blob | undefined>;
  onFile?: (path: string) => void;
}): Promise<{ written: string[] }> {
  const written: string[] = [];
  const put = async (path: string, data: Blob | string) => {
    const parts = path.split('/');
    let dir = p.target;
    for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
    const w = await (await dir.getFileHandle(parts[parts.length - 1], { create: true })).createWritable();
    // A Blob is written as a stream by the browser, not read into memory here.
    await w.write(data);
    await w.close();
    written.push(path);
  };
  const base = p.layout === 'hf-cache' ? `models--${p.repo.replace('/', '--')}` : '';
  for (const f of p.files) {
    const blob = await p.get(f.path);
    if (!blob) throw new Error(`${f.path} is not in the cache: download the model first.`);
    p.onFile?.(f.path);
    if (p.layout === 'plain') await put(f.path, blob);
    else {
      const oid = f.sha256 ?? f.blobId;
      if (oid) await put(`${base}/blobs/${oid}`, blob);
      await put(`${base}/snapshots/${p.commit}/${f.path}`, blob);
    }
  }
  if (p.layout === 'hf-cache') for (const ref of p.refs) await put(`${base}/refs/${ref}`, p.commit);
  return { written };
}
