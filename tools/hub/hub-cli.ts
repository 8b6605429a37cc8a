// `npm run hub -- --root DIR --port N [--cdn-port M] [--host H]`: serve DIR as a local Hugging Face Hub.
// One line per request; the Authorization value is never printed, only whether one was sent.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startHub } from './hub-server.ts';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    port: { type: 'string', default: '0' },
    'cdn-port': { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (!values.root) {
  console.error('usage: npm run hub -- --root DIR [--port N] [--cdn-port M] [--host H]');
  process.exit(2);
}

const hub = await startHub({
  root: resolve(values.root),
  port: Number(values.port),
  cdnPort: Number(values['cdn-port']),
  host: values.host,
  onRequest: (r) => {
    const auth = r.headers.authorization === undefined ? 'no' : 'yes';
    const range = r.range ? ` range: ${r.range}` : '';
    console.log(`${r.server.padEnd(3)} ${r.method.padEnd(7)} ${r.status} ${r.url} ${r.bytesSent} B auth: ${auth}${range}`);
  },
});
console.log(`local hub: ${hub.url}`);
console.log(`local CDN: ${hub.cdnUrl}`);
console.log(`serving ${resolve(values.root)}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void hub.close().then(() => process.exit(0));
  });
}
