// The cache as the page sees it, read once per refresh and shared by the cache panel and the
// model picker ("downloaded"): the inventory, the browser's figures, where files are kept.
import type { CachedRepo, CacheTarget, EngineClient, StorageKind } from '../engine/index.ts';

type Picker = { showDirectoryPicker(o: object): Promise<FileSystemDirectoryHandle> };
/** Whether this browser lets the page pick a folder (File System Access API). */
export const canPickFolder = () => typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
/** Asks the person for a folder; rejects with an AbortError when they close the dialog. */
export const pickFolder = (mode: 'read' | 'readwrite') => (globalThis as unknown as Picker).showDirectoryPicker({ mode });
const cancelled = (err: unknown) => (err as DOMException)?.name === 'AbortError';

export class CacheState {
  repos = $state.raw<CachedRepo[]>([]);
  /** The browser's figures for this site, and whether its files are safe from eviction. */
  usage = $state.raw<{ usage: number; quota: number; persisted: boolean }>();
  kind = $state<StorageKind>('opfs');
  /** The folder the cache is in, when it is one, and whether the browser must be asked again. */
  folder = $state.raw<{ name: string; permission: PermissionState }>();
  readonly bytes = $derived(this.repos.reduce((s, r) => s + r.bytes, 0));

  constructor(private readonly engine: EngineClient) {}

  /** Reads the inventory, the figures and the backend again (after anything that may change them). */
  async refresh(): Promise<void> {
    [this.repos, this.usage, this.kind, this.folder] = await Promise.all([
      this.engine.cacheContents(), this.engine.storageInfo(), this.engine.storage(), this.engine.storageFolder(),
    ]);
  }

  /** Whether any file of this repo is in the cache. */
  has(repo: string): boolean {
    return this.repos.some((r) => r.repo === repo && r.bytes > 0);
  }

  /** Deletes everything, a repo, a commit or a file. */
  async remove(target?: CacheTarget): Promise<void> {
    await this.engine.deleteFromCache(target);
    await this.refresh();
  }

  /** Keeps model files elsewhere (asking for the folder when it is one); resolves with what went wrong, in words, or ''. */
  async use(kind: StorageKind): Promise<string> {
    let problem = '';
    try {
      this.kind = await this.engine.useStorage(kind, kind === 'folder' ? await pickFolder('readwrite') : undefined);
    } catch (err) {
      if (!cancelled(err)) problem = (err as Error).message;
    }
    await this.refresh();
    return problem;
  }

  /** Asks again for write access to the cache's folder (must run during a click). */
  async regrant(): Promise<void> {
    await this.engine.regrantFolder();
    await this.refresh();
  }

  /** Re-hashes a repo; resolves with the verdict in words. */
  async verify(repo: string): Promise<string> {
    const r = await this.engine.verify(repo);
    return r.mismatches.length
      ? `${r.mismatches.length} of ${r.checked} files do not match the Hub: ${r.mismatches.map((m) => m.path).join(', ')}. Delete them and download again.`
      : `All ${r.checked} files match the Hub's hashes.`;
  }

  /** Writes a commit into a folder the person picks; resolves with what happened, in words ('' when they closed the dialog). */
  async exportTo(repo: string, commit: string, layout: 'hf-cache' | 'plain'): Promise<string> {
    try {
      const target = await pickFolder('readwrite');
      const { written } = await this.engine.exportModel({ repo, commit, layout, target });
      return `Wrote ${written.length} files into “${target.name}”.`;
    } catch (err) {
      return cancelled(err) ? '' : (err as Error).message;
    }
  }

  /** Asks the browser to keep the files; resolves with its answer in words. */
  async keep(): Promise<string> {
    const granted = await this.engine.persist();
    await this.refresh();
    return granted ? 'The browser will keep these files.' : 'The browser declined for now (it decides from how often you use this site).';
  }
}
