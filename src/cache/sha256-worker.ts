// The sha256 worker behind `createSha256`: updates in order, answers `digest` with the hex.
import { createSHA256 } from 'hash-wasm';

const hasher = createSHA256();
onmessage = async ({ data }: MessageEvent<{ op: 'init' | 'update' | 'digest'; chunk?: Uint8Array }>) => {
  const h = await hasher;
  if (data.op === 'init') h.init();
  else if (data.op === 'update') h.update(data.chunk!);
  else postMessage(h.digest('hex'));
};
