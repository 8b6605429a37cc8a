// GPU memory is given back when the model changes: one page switches between two cached
// stand-ins five times (each switch closes the old sessions and prepares the new model), and
// the resident memory of all browser processes is printed after each switch, against the
// level after the first model was ready. Run: npx tsx bench/switch-models.ts
// BIG=1 switches between the real-size stand-ins of `npm run bench:big` (1.74 GB single-file and
// 2.56 GB external data; about 10 minutes).
import { execSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { confirmHub } from '../test/support/app-driver.ts';
import { launchPersistentChromium } from '../test/support/browser.ts';
import { startApp } from '../tools/app-server.ts';
import { startHub } from '../tools/hub/hub-server.ts';
import { ensureBigModel, ensureTinyModel, FAMILIES } from '../tools/tiny-model/tiny-model.ts';

const ROOT = '.cache/hub-root';
const BIG = !!process.env.BIG;
const MODELS = BIG ? ['tiny/sd-turbo-big', 'tiny/sd-turbo-big-ext'] : [FAMILIES.sd21.repo, FAMILIES.lcm.repo];
execSync('npx vite build', { stdio: 'ignore' });
if (BIG) {
  await ensureBigModel(ROOT, MODELS[0], { layout: 'single', unetBytes: 1_740_000_000 });
  await ensureBigModel(ROOT, MODELS[1], { layout: 'external', unetBytes: 2_560_000_000 });
} else {
  await ensureTinyModel(ROOT, FAMILIES.sd21.repo, { family: 'sd21' });
  await ensureTinyModel(ROOT, FAMILIES.lcm.repo, { family: 'lcm' });
}
const hub = await startHub({ root: ROOT });
const app = await startApp();
const profile = await mkdtemp(join(tmpdir(), 'bench-switch-'));
const context = await launchPersistentChromium(profile);
const page = await context.newPage();

/** Resident memory of Chromium's processes by type (gpu-process, renderer, …; the browser process is "browser"). */
function rssByType(): Record<string, number> {
  const by: Record<string, number> = {};
  for (const line of execSync('ps -eo rss=,args=').toString().split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)(.*)$/.exec(line);
    if (!m || !/chrom/.test(m[2])) continue;
    const type = /--type=(\S+)/.exec(m[3])?.[1] ?? 'browser';
    by[type] = (by[type] ?? 0) + Number(m[1]) * 1024;
  }
  return by;
}
const rss = () => Object.values(rssByType()).reduce((a, b) => a + b, 0);
const byType = () => Object.entries(rssByType()).filter(([, v]) => v > 50 << 20).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

async function choose(p: Page, repo: string) {
  await p.getByTestId('model').fill(repo);
  await p.getByTestId('model').dispatchEvent('change');
  await p.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 600_000 });
  await p.waitForTimeout(BIG ? 5000 : 1000); // let the old sessions' memory go
}

// Download both once, then start from the first one ready.
for (const repo of MODELS) {
  await page.goto(`${app.url}/?${new URLSearchParams({ hub: hub.url, model: repo })}`);
  await confirmHub(page);
  await page.getByTestId('download').click();
  await page.waitForSelector('[data-testid="model-state"][data-state="ready"]', { timeout: 600_000 });
}
await choose(page, MODELS[0]);
// Each model against the first time it was ready in this page (the two differ in size).
const first: Record<string, number> = { [MODELS[0]]: rss() };
console.log(`first model ready: ${mb(first[MODELS[0]])}: ${byType()}`);
for (let i = 1; i <= 5; i++) {
  const repo = MODELS[i % 2];
  await choose(page, repo);
  const now = rss();
  first[repo] ??= now;
  console.log(`switch ${i} (${repo}): ${mb(now)} (${now >= first[repo] ? '+' : ''}${mb(now - first[repo])} against its first time): ${byType()}`);
}
await context.close();
await rm(profile, { recursive: true, force: true });
await app.close();
await hub.close();
