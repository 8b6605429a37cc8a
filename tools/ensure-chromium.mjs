// Run before `npm test`: the e2e tests drive Debian's Chromium (never a downloaded browser).
// When it is missing, installs it if this machine allows (root with apt-get), as .ci/run does;
// otherwise stops at once and prints the one command that does.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

if (process.env.CHROMIUM_PATH) {
  console.error(`CHROMIUM_PATH is set to ${path}, which does not exist. Point it at a Chromium binary, or unset it to use Debian's /usr/bin/chromium.`);
  process.exit(1);
}

const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (process.getuid?.() === 0 && hasAptGet) {
  console.log("== installing Debian's chromium (needed by the browser tests)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ok = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
  if (ok(['update', '-qq']) && ok(['install', '-y', '-qq', 'chromium']) && existsSync(path)) process.exit(0);
  console.error('Installing chromium with apt-get failed (see above).');
  process.exit(1);
}

console.error(
  `The tests need Chromium at ${path}. Install it with:\n\n  sudo apt-get install -y chromium\n\n` +
    '(or set CHROMIUM_PATH to a Chromium you already have), then run npm test again.',
);
process.exit(1);
