// `npm run demo`: the app on tiny stand-in models, without the real Hub. Builds the app,
// generates the stand-ins if needed, starts the local hub and the app, and prints one URL per
// model family (SD-Turbo first).
import { execSync } from 'node:child_process';
import { startApp } from './app-server.ts';
import { startHub } from './hub/hub-server.ts';
import { ensureTinyModel, FAMILIES, type FamilyId } from './tiny-model/tiny-model.ts';

const root = process.env.HUB_ROOT || '.cache/hub-root';

execSync('npx vite build', { stdio: 'inherit' });
for (const id of Object.keys(FAMILIES) as FamilyId[]) await ensureTinyModel(root, FAMILIES[id].repo, { family: id });
const hub = await startHub({ root, port: Number(process.env.HUB_PORT || 8411) });
const app = await startApp(Number(process.env.PORT || 4173));
console.log(`\nlocal hub: ${hub.url} (CDN ${hub.cdnUrl}), serving ${root}`);
for (const [id, f] of Object.entries(FAMILIES)) {
  const q = new URLSearchParams({ hub: hub.url, model: f.repo });
  console.log(`${id.padEnd(14)} ${app.url}/?${q}   (stands for ${f.standsFor})`);
}
console.log('');
