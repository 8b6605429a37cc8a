// npm run tiny-model -- [--family ID] [--out DIR] [--repo org/name] [--seed N] [--force]
//                       [--unet-bytes N --layout single|external]
// Writes a tiny stand-in repo into DIR/org/name (default .cache/hub-root and the family's
// own repo id, e.g. tiny/sd-turbo-tiny), the layout `npm run hub -- --root DIR` serves;
// does nothing when it is already current. `--family list` prints the families.
// With --unet-bytes, writes a big sd-turbo stand-in instead (default repo tiny/sd-turbo-big)
// whose UNet files total about N bytes, e.g. `--unet-bytes 1740000000 --layout single`
// (like the real one) or `--unet-bytes 2560000000 --layout external` (over 2 GB).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BIG_MODEL_REPO, bigModelFiles, ensureBigModel, ensureTinyModel, FAMILIES, type FamilyId, tinyModelFiles } from './tiny-model.ts';

const { values } = parseArgs({
  options: {
    family: { type: 'string', default: 'sd-turbo' },
    out: { type: 'string', default: '.cache/hub-root' },
    repo: { type: 'string' },
    seed: { type: 'string', default: '0' },
    force: { type: 'boolean', default: false },
    'unet-bytes': { type: 'string' },
    layout: { type: 'string' },
  },
});

if (values.family === 'list') {
  for (const [id, info] of Object.entries(FAMILIES)) console.log(`${id.padEnd(24)} ${info.repo.padEnd(31)} stands for ${info.standsFor}\n${''.padEnd(25)}${info.description}`);
  process.exit(0);
}
if (!(values.family in FAMILIES)) throw new Error(`--family wants one of ${Object.keys(FAMILIES).join(', ')} (or list), got ${values.family}`);
const family = values.family as FamilyId;
const big = values['unet-bytes'] !== undefined;
if (big && family !== 'sd-turbo') throw new Error(`--unet-bytes makes sd-turbo stand-ins only, not ${family}`);
if (!big && values.layout !== undefined) throw new Error('--layout goes with --unet-bytes');
const layout = values.layout ?? 'single';
if (layout !== 'single' && layout !== 'external') throw new Error(`--layout wants single or external, got ${layout}`);
const unetBytes = Number(values['unet-bytes']);
if (big && !(Number.isSafeInteger(unetBytes) && unetBytes > 0)) throw new Error(`--unet-bytes wants a byte count such as 1740000000, got ${values['unet-bytes']}`);
const repo = values.repo ?? (big ? BIG_MODEL_REPO : FAMILIES[family].repo);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) throw new Error(`--seed wants an integer, got ${values.seed}`);
if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new Error(`--repo wants org/name, got ${repo}`);

const start = performance.now();
const repoDir = big
  ? await ensureBigModel(values.out, repo, { unetBytes, layout, seed, force: values.force })
  : await ensureTinyModel(values.out, repo, { family, seed, force: values.force });
for (const file of big ? bigModelFiles(layout) : tinyModelFiles(family)) {
  const size = statSync(join(repoDir, file)).size;
  console.log(`${(size / 1e6).toFixed(3).padStart(9)} MB  ${file}`);
}
const what = big ? `sd-turbo, UNet ~${unetBytes} bytes, ${layout} layout` : family;
console.log(`${repoDir} (${what}, stands for ${FAMILIES[family].standsFor}) ready in ${Math.round(performance.now() - start)} ms`);
