import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('API documentation', () => {
  // typedoc.json lists what must be documented; with --treatWarningsAsErrors any public item
  // without a comment (or a broken link) makes TypeDoc exit non-zero. Nothing is written.
  it('documents every public item of src/index.ts', () => {
    const run = spawnSync('npx', ['typedoc', '--emit', 'none', '--treatWarningsAsErrors'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const output = [run.error ? `could not run typedoc: ${run.error.message}` : '', run.stdout, run.stderr]
      .filter(Boolean)
      .join('\n');
    expect(run.status, `typedoc failed (status ${run.status}, signal ${run.signal}):\n${output}`).toBe(0);
  }, 150_000);
});
