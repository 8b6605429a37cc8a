import type { RepoFile } from '../hub/index.ts';

/**
 * A read-only view of a folder, so a picked directory handle and the files of
 * `<input type="file" webkitdirectory>` are searched the same way (see `handleDir`, `filesDir`).
 */
export interface Dir {
  readonly name: string;
  /** The subfolder `name`, or undefined when there is none. */
  dir(name: string): Promise<Dir | undefined>;
  /** The file `name` in this folder, or undefined when there is none. */
  file(name: string): Promise<File | undefined>;
}

/** How `LocalModelFolder.find` found a file: in a plain folder, by an HF cache snapshot path, or as an HF cache blob by its oid. */
export type FoundHow = 'plain' | 'snapshot' | 'blob';

/**
 * A folder the user already has, used in place (never copied): either a plain model folder
 * (a clone of the repo: `unet/model.onnx` at its top) or a Hugging Face cache folder
 * (`~/.cache/huggingface/hub`, or one `models--org--name` inside it).
 *
 * In a Hugging Face cache, `snapshots/<commit>/<path>` are symlinks into `blobs/`. Where the
 * browser shows a symlink as the file it points to, that path is used; where it does not, the
 * file is found as `blobs/<oid>` from the oid the Hub's listing gives (sha256 for LFS files,
 * the git blob id otherwise) — so a cache folder needs one online listing (or the listing this
 * app cached) to be mapped, while a plain folder needs none.
 */
export class LocalModelFolder {
  constructor(readonly root: Dir) {}

  get name(): string {
    return this.root.name;
  }

  /** The file for `path` of `repo` at `commit`, if this folder has it with the right size. */
  async find(repo: string, commit: string, file: RepoFile): Promise<{ file: File; how: FoundHow } | undefined> {
    const fits = (f: File | undefined) => (f && (file.size < 0 || f.size === file.size) ? f : undefined);
    const cacheDir = await this.repoCacheDir(repo);
    if (cacheDir) {
      const snapshot = await at(cacheDir, ['snapshots', commit, ...file.path.split('/')]);
      if (fits(snapshot)) return { file: snapshot!, how: 'snapshot' };
      for (const oid of [file.sha256, file.blobId]) {
        const blob = oid ? await at(cacheDir, ['blobs', oid]) : undefined;
        if (fits(blob)) return { file: blob!, how: 'blob' };
      }
      return undefined;
    }
    const plain = await at(this.root, file.path.split('/'));
    return fits(plain) ? { file: plain!, how: 'plain' } : undefined;
  }

  /** The commit a revision points to in a Hugging Face cache folder (`refs/<revision>`). */
  async ref(repo: string, revision: string): Promise<string | undefined> {
    const dir = await this.repoCacheDir(repo);
    const f = dir ? await at(dir, ['refs', ...revision.split('/')]) : undefined;
    return f ? (await f.text()).trim() : undefined;
  }

  private async repoCacheDir(repo: string): Promise<Dir | undefined> {
    const name = `models--${repo.replace('/', '--')}`;
    if (this.root.name === name) return this.root;
    return (await this.root.dir(name)) ?? (await (await this.root.dir('hub'))?.dir(name));
  }
}

async function at(root: Dir, parts: string[]): Promise<File | undefined> {
  let dir: Dir | undefined = root;
  for (const p of parts.slice(0, -1)) if (!(dir = await dir.dir(p))) return undefined;
  return dir.file(parts[parts.length - 1]);
}

/** A directory handle (showDirectoryPicker, or an OPFS folder) as a Dir. */
export function handleDir(handle: FileSystemDirectoryHandle): Dir {
  return {
    name: handle.name,
    dir: (name) => handle.getDirectoryHandle(name).then(handleDir, missing),
    file: (name) => handle.getFileHandle(name).then((h) => h.getFile(), missing),
  };
}

function missing(err: unknown): undefined {
  const name = (err as DOMException)?.name;
  if (name === 'NotFoundError' || name === 'TypeMismatchError') return undefined;
  throw err;
}

/** Files from `<input type="file" webkitdirectory>` (read-only, this visit only) as a Dir. */
export function filesDir(files: File[]): Dir {
  const top = files[0]?.webkitRelativePath.split('/')[0] ?? 'folder';
  const byPath = new Map(files.map((f) => [f.webkitRelativePath.split('/').slice(1).join('/'), f]));
  const sub = (prefix: string, name: string): Dir => ({
    name,
    dir: async (n) => {
      const p = `${prefix}${n}/`;
      return [...byPath.keys()].some((k) => k.startsWith(p)) ? sub(p, n) : undefined;
    },
    file: async (n) => byPath.get(prefix + n),
  });
  return sub('', top);
}
