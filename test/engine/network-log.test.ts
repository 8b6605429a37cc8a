import { describe, expect, it } from 'vitest';
import { loggedUrl, NetworkLog, type NetworkEntry } from '../../src/engine/network-log.ts';

// What the Hub's CDN redirects a gated LFS file to (an S3/CloudFront signed URL).
const SIGNED =
  'https://cdn-lfs.hf.co/repos/7d/1f/7d1f0/0a1b2c?response-content-disposition=attachment%3B+filename%3D%22model.onnx%22' +
  '&Expires=1735689600&Policy=eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoi&Signature=Zm9vYmFy~c2lnbmF0dXJl__&Key-Pair-Id=K3RPWS32NSSJCE#frag';
const S3 = 'https://s3.us-east-1.amazonaws.com/bucket/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F&X-Amz-Signature=deadbeef';

/** A storage in memory, holding what the log saved last. */
function memoryStorage(initial?: NetworkEntry[]) {
  const saved = { entries: initial };
  return { saved, storage: { load: async () => saved.entries, save: async (e: NetworkEntry[]) => void (saved.entries = structuredClone(e)) } };
}

/** A fetch that answers as if redirected to `finalUrl`. */
const redirectedTo = (finalUrl: string) =>
  (async () => {
    const response = new Response('weights', { status: 200 });
    Object.defineProperty(response, 'url', { value: finalUrl });
    return response;
  }) as unknown as typeof fetch;

describe('the network log', () => {
  it('keeps origin and path only: no query, no fragment', () => {
    expect(loggedUrl(SIGNED)).toBe('https://cdn-lfs.hf.co/repos/7d/1f/7d1f0/0a1b2c');
    expect(loggedUrl(S3)).toBe('https://s3.us-east-1.amazonaws.com/bucket/obj');
    expect(loggedUrl('http://127.0.0.1:8411/api/models/a/b/revision/main?blobs=true')).toBe('http://127.0.0.1:8411/api/models/a/b/revision/main');
    expect(loggedUrl('https://user:pass@huggingface.co/a/b')).toBe('https://huggingface.co/a/b');
    expect(loggedUrl('not a url?Signature=x')).toBe('not a url');
  });

  it('records a redirected download without the signature, in memory and in what it saves', async () => {
    const { saved, storage } = memoryStorage();
    const log = new NetworkLog(storage);
    const fetch = log.wrap(redirectedTo(SIGNED));
    const response = await fetch('https://huggingface.co/a/b/resolve/0123/unet/model.onnx?download=true', { headers: { Authorization: 'Bearer hf_x' } });
    expect(await response.text()).toBe('weights');
    const [entry] = await log.all();
    expect(entry).toMatchObject({
      url: 'https://huggingface.co/a/b/resolve/0123/unet/model.onnx',
      finalUrl: 'https://cdn-lfs.hf.co/repos/7d/1f/7d1f0/0a1b2c',
      status: 200,
      authorization: true,
      bytes: 7,
    });
    await expect.poll(() => saved.entries?.[0]?.bytes).toBe(7);
    expect(JSON.stringify(saved.entries)).not.toMatch(/Signature|Policy|Key-Pair-Id|Expires|download=true|frag|hf_x/);
  });

  it('scrubs entries an older version saved with their query', async () => {
    const old: NetworkEntry = { time: 1, method: 'GET', url: `${S3}&a=1`, finalUrl: SIGNED, status: 200, authorization: false, bytes: 1 };
    const { saved, storage } = memoryStorage([old]);
    const log = new NetworkLog(storage);
    expect((await log.all())[0]).toMatchObject({ url: 'https://s3.us-east-1.amazonaws.com/bucket/obj', finalUrl: 'https://cdn-lfs.hf.co/repos/7d/1f/7d1f0/0a1b2c' });
    await expect.poll(() => JSON.stringify(saved.entries)).not.toContain('Signature');
  });
});
