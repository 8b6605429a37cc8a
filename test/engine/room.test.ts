import { describe, expect, it } from 'vitest';
import { checkRoom, QuotaError } from '../../src/engine/room.ts';

describe('checkRoom', () => {
  const estimate = (usage: number, quota: number) => async () => ({ usage, quota });

  it('refuses, with the figures, a download that cannot fit in what the browser allows', async () => {
    const err = await checkRoom(50 * 1024 * 1024, estimate(990 * 1024 * 1024, 1000 * 1024 * 1024)).catch((e) => e);
    expect(err).toBeInstanceOf(QuotaError);
    expect(err.message).toBe(
      'Not enough room to download this model: it needs 50.0 MB more and 10.0 MB is free for this site. ' +
        'Delete models you no longer use in the cache panel, or free disk space, then try again; what was already downloaded is kept.',
    );
  });

  it('lets a download that fits, or an unknown quota, go ahead', async () => {
    await expect(checkRoom(5 * 1024 * 1024, estimate(990 * 1024 * 1024, 1000 * 1024 * 1024))).resolves.toBeUndefined();
    await expect(checkRoom(5, async () => ({}))).resolves.toBeUndefined();
  });
});
