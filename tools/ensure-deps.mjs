// Run before every npm script that needs the dependencies (see the pre* scripts in package.json):
// on a fresh clone it installs them, otherwise it does nothing. Node built-ins only, since
// nothing else is installed yet when it runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('node_modules/.package-lock.json')) {
  console.log('== installing dependencies (npm install)');
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(npm.status ?? 1);
}
