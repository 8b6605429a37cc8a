// The in-memory Store behaves like the browser backends: only complete files are returned,
// partials resume from an offset, folders delete as a whole, a quota refuses what does not fit.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/cache/index.ts';

const text = async (b: Blob | undefined) => (b ? Buffer.from(await b.arrayBuffer()).toString() : undefined);
const bytes = (s: string) => new TextEncoder().encode(s);

describe('MemoryStore', () => {
  it('returns a file only once it is complete, and keeps a partial’s bytes up to the offset it is reopened at', async () => {
    const store = new MemoryStore();
    const w = await store.openPartial('models/a/b/c/f.txt', 0);
    await w.write(bytes('hello '));
    await w.write(bytes('world'));
    expect(await store.get('models/a/b/c/f.txt')).toBeUndefined();
    expect(await store.partialSize('models/a/b/c/f.txt')).toBe(11);
    const again = await store.openPartial('models/a/b/c/f.txt', 6);
    await again.write(bytes('there'));
    expect(await text(await store.getPartial('models/a/b/c/f.txt'))).toBe('hello there');
    await store.complete('models/a/b/c/f.txt');
    expect(await text(await store.get('models/a/b/c/f.txt'))).toBe('hello there');
    expect(await store.partialSize('models/a/b/c/f.txt')).toBe(0);
    await expect(store.complete('models/a/b/c/f.txt')).rejects.toThrow('No partial file');
  });

  it('lists complete files and text records under a prefix; deleting a folder deletes all under it', async () => {
    const store = new MemoryStore();
    for (const key of ['models/a/b/c1/x', 'models/a/b/c1/y', 'models/a/z/c2/x']) {
      await (await store.openPartial(key, 0)).write(bytes(key));
      await store.complete(key);
    }
    await store.openPartial('models/a/b/c1/partial', 0);
    await store.writeText('models/a/b/refs/main', 'c1');
    expect((await store.list('models/a/b')).map((f) => [f.key, f.size]).sort()).toEqual([
      ['models/a/b/c1/x', 15], ['models/a/b/c1/y', 15], ['models/a/b/refs/main', 2],
    ]);
    await store.delete('models/a/b');
    expect(await store.list('models/a/b')).toEqual([]);
    expect(await store.readText('models/a/b/refs/main')).toBeUndefined();
    expect(await store.partialSize('models/a/b/c1/partial')).toBe(0);
    expect((await store.list('models')).map((f) => f.key)).toEqual(['models/a/z/c2/x']);
  });

  it('with a quota, stores what fits and refuses the rest with a QuotaExceededError', async () => {
    const store = new MemoryStore({ quota: 8 });
    const w = await store.openPartial('k', 0);
    await w.write(bytes('12345'));
    await expect(w.write(bytes('67890'))).rejects.toMatchObject({ name: 'QuotaExceededError' });
    expect(await text(await store.getPartial('k'))).toBe('12345678');
    expect(store.usage).toBe(8);
  });
});
