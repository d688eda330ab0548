import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import e2e from '../../e2e/playwright.config.js';

/**
 * `npm run screenshots`: regenerates the README's images from a real headless station (built
 * dist/), with the e2e tests' browser and station fixture. Not part of `npm test`: it makes assets,
 * it does not test a feature.
 */
export default defineConfig({
  ...e2e,
  testDir: fileURLToPath(new URL('.', import.meta.url)),
  testMatch: /.*\.screenshot\.ts$/,
  outputDir: fileURLToPath(new URL('../../artifacts/screenshots', import.meta.url)),
  reporter: [['list']],
});
