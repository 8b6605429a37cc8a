// Once per `vitest run` of the e2e project (vitest.config.ts): the tiny stand-ins generated (or
// found current), the built app served, and one headless Chromium that every e2e file connects to
// (test/support/e2e.ts gives each test its own context, i.e. an empty profile).
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startApp } from '../../tools/app-server.ts';
import { ensureTinyModel, FAMILIES, type FamilyId } from '../../tools/tiny-model/tiny-model.ts';
import { launchChromiumServer } from './browser.ts';
import { HUB_ROOT } from './e2e-context.ts';

export default async function setup(project: TestProject) {
  if (!existsSync('dist/index.html')) throw new Error('The e2e tests run the built app: build it first with `npx vite build` (`npm test` does).');
  for (const id of Object.keys(FAMILIES) as FamilyId[]) await ensureTinyModel(HUB_ROOT, FAMILIES[id].repo, { family: id });
  const app = await startApp();
  const chromium = await launchChromiumServer();
  project.provide('appUrl', app.url);
  project.provide('chromiumEndpoint', chromium.wsEndpoint());
  return async () => {
    await chromium.close();
    await app.close();
  };
}
