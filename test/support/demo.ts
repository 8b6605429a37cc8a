// `npm run demo`: the app on the tiny model, without the real Hub. Builds the app, generates
// the tiny model if needed, starts the local hub and the app, and prints the URL to open.
import { execSync } from 'node:child_process';
import { startApp } from './app-server.ts';
import { startHub } from './hub-server.ts';
import { ensureTinyModel } from './tiny-model.ts';

const root = process.env.HUB_ROOT || '.cache/hub-root';
const model = 'tiny/sd-turbo-tiny';

execSync('npx vite build', { stdio: 'inherit' });
await ensureTinyModel(root, model);
const hub = await startHub({ root, port: Number(process.env.HUB_PORT || 8411) });
const app = await startApp(Number(process.env.PORT || 4173));
const q = new URLSearchParams({ hub: hub.url, model });
console.log(`\nlocal hub: ${hub.url} (CDN ${hub.cdnUrl}), serving ${root}`);
console.log(`open:      ${app.url}/?${q}\n`);
