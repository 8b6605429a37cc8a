// npm run tiny-model -- [--family ID] [--out DIR] [--repo org/name] [--seed N] [--force]
// Writes a tiny stand-in repo into DIR/org/name (default .cache/hub-root and the family's
// own repo id, e.g. tiny/sd-turbo-tiny), the layout `npm run hub -- --root DIR` serves;
// does nothing when it is already current. `--family list` prints the families.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTinyModel, FAMILIES, type FamilyId, tinyModelFiles } from './tiny-model.ts';

const { values } = parseArgs({
  options: {
    family: { type: 'string', default: 'sd-turbo' },
    out: { type: 'string', default: '.cache/hub-root' },
    repo: { type: 'string' },
    seed: { type: 'string', default: '0' },
    force: { type: 'boolean', default: false },
  },
});

if (values.family === 'list') {
  for (const [id, info] of Object.entries(FAMILIES)) console.log(`${id.padEnd(14)} ${info.repo.padEnd(28)} stands for ${info.standsFor}\n${''.padEnd(15)}${info.description}`);
  process.exit(0);
}
if (!(values.family in FAMILIES)) throw new Error(`--family wants one of ${Object.keys(FAMILIES).join(', ')} (or list), got ${values.family}`);
const family = values.family as FamilyId;
const repo = values.repo ?? FAMILIES[family].repo;
const seed = Number(values.seed);
if (!Number.isInteger(seed)) throw new Error(`--seed wants an integer, got ${values.seed}`);
if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new Error(`--repo wants org/name, got ${repo}`);

const start = performance.now();
const repoDir = await ensureTinyModel(values.out, repo, { family, seed, force: values.force });
for (const file of tinyModelFiles(family)) {
  const size = statSync(join(repoDir, file)).size;
  console.log(`${(size / 1e6).toFixed(3).padStart(9)} MB  ${file}`);
}
console.log(`${repoDir} (${family}, stands for ${FAMILIES[family].standsFor}) ready in ${Math.round(performance.now() - start)} ms`);
