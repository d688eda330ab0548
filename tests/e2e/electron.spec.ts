import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from '@playwright/test';
import { ROOT, expect, test } from './station-fixture.js';

/**
 * The Electron binary, if this install has one. `require('electron')` would try to download it,
 * so this reads the path file its installer writes and checks the file is there.
 */
function electronBinary(): string | null {
  const pkg = path.join(ROOT, 'node_modules', 'electron');
  try {
    const bin = path.join(pkg, 'dist', fs.readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim());
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const MAIN = path.join(ROOT, 'dist', 'main', 'electron', 'main.js');

const SKIP_REASON = 'No Electron binary in this install (ELECTRON_SKIP_BINARY_DOWNLOAD); the same renderer is tested headless in station.spec.ts';

test.describe('Electron app', () => {
  test.skip(!binary, SKIP_REASON);

  test('the technician screen runs over the preload bridge, devices reach done', async () => {
    expect(fs.existsSync(MAIN), `${MAIN} is missing: run "npm run build"`).toBe(true);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-electron-'));
    const app = await electron.launch({
      executablePath: binary!,
      args: [MAIN, '--data-dir', dataDir, '--port', '0', '--simulate', '4', '--sim-speed', '300', '--sign-in-policy', 'run'],
      cwd: ROOT,
    });
    try {
      const page = await app.firstWindow();
      await expect(page.locator('.conn')).toHaveAttribute('data-connection', 'online');
      // The bridge, not a WebSocket: the preload exposed window.benchline.
      expect(await page.evaluate(() => typeof (window as { benchline?: { invoke?: unknown } }).benchline?.invoke)).toBe('function');
      await expect(page.locator('.tile[data-serial]')).toHaveCount(4);
      await expect(page.locator('.tile[data-state="done"]')).toHaveCount(4, { timeout: 45_000 });

      // An action goes through the bridge too: switching language and opening the details.
      await page.getByRole('button', { name: 'English' }).click();
      await page.locator('.tile[data-serial]').first().click();
      await expect(page.getByRole('dialog').locator('.timeline__step').first()).toHaveAttribute('data-status', 'done');
    } finally {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
