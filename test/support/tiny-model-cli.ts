// npm run tiny-model -- [--out DIR] [--repo org/name] [--seed N] [--force]
// Writes the tiny SD-Turbo into DIR/org/name (default .cache/hub-root/tiny/sd-turbo-tiny),
// the layout `npm run hub -- --root DIR` serves; does nothing when it is already current.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTinyModel, TINY_MODEL_FILES } from './tiny-model.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: '.cache/hub-root' },
    repo: { type: 'string', default: 'tiny/sd-turbo-tiny' },
    seed: { type: 'string', default: '0' },
    force: { type: 'boolean', default: false },
  },
});

const seed = Number(values.seed);
if (!Number.isInteger(seed)) throw new Error(`--seed wants an integer, got ${values.seed}`);
if (!/^[\w.-]+\/[\w.-]+$/.test(values.repo)) throw new Error(`--repo wants org/name, got ${values.repo}`);

const start = performance.now();
const repoDir = await ensureTinyModel(values.out, values.repo, { seed, force: values.force });
for (const file of TINY_MODEL_FILES) {
  const size = statSync(join(repoDir, file)).size;
  console.log(`${(size / 1e6).toFixed(3).padStart(9)} MB  ${file}`);
}
console.log(`${repoDir} ready in ${Math.round(performance.now() - start)} ms`);
