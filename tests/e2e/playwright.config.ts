import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * End-to-end tests of the technician's UI against a real headless station (built dist/, simulated
 * hub). Chromium is Debian's: this install never downloads browsers. Two workers, one per core of
 * these machines: every test starts its own station on its own port and data dir, and most of a
 * test's time is the simulated devices' timers (BENCHLINE_E2E_WORKERS=1 for a busy machine).
 */
export default defineConfig({
  testDir: here,
  testMatch: /.*\.spec\.ts$/,
  // Traces and failure screenshots; BENCHLINE_E2E_OUT moves them (two runs sharing one folder
  // would wipe each other's: Playwright empties it at start).
  outputDir: process.env.BENCHLINE_E2E_OUT ?? fileURLToPath(new URL('../artifacts/playwright', import.meta.url)),
  globalSetup: fileURLToPath(new URL('./global-setup.ts', import.meta.url)),
  workers: Number(process.env.BENCHLINE_E2E_WORKERS ?? 2),
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['./skip-reasons-reporter.ts']],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1600, height: 1000 },
    locale: 'en-US',
    actionTimeout: 10_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
});
