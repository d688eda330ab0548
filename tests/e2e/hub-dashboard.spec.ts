import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { cli, freePort, start, type Child } from '../integration/hub-processes.js';

/**
 * A supervisor signs in to the hub's dashboard and watches three stations (real processes of the
 * built CLI, reporting through their outbox) change live as devices are plugged in.
 */
test.describe('hub dashboard', () => {
  const children: Child[] = [];
  let root = '';

  test.afterEach(async () => {
    for (const c of children.splice(0)) await c.kill('SIGKILL');
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test("a supervisor signs in and sees three stations' numbers change live", async ({ page }) => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-e2e-hub-'));
    const hubDir = path.join(root, 'hub');
    const names = ['Bench 1', 'Bench 2', 'Bench 3'];
    const tokens = names.map((name) => {
      const r = cli(['hub', 'register-station', name, '--data-dir', hubDir]);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    });
    expect(cli(['hub', 'add-user', 'maria', '--role', 'supervisor', '--data-dir', hubDir, '--password-stdin'], 'maria-password-1\n').status).toBe(0);
    const port = await freePort();
    const hubUrl = `http://127.0.0.1:${port}/`;
    children.push((await start(['hub', '--data-dir', hubDir, '--port', String(port)], /Benchline hub ready/)).child);
    const stations: { url: string; token: string }[] = [];
    for (const [i, name] of names.entries()) {
      const { child, match } = await start(
        [
          'station',
          '--headless',
          '--data-dir',
          path.join(root, `s${i}`),
          '--port',
          '0',
          '--hub',
          hubUrl,
          '--hub-token',
          tokens[i]!,
          '--simulate',
          '0',
          '--sim-speed',
          '300',
          '--sign-in-policy',
          'run',
          '--sim-seed',
          String(i + 1),
        ],
        /UI: +(http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)/,
      );
      children.push(child);
      stations.push({ url: match[1]!, token: match[2]! });
      expect(name).toBeTruthy();
    }

    await page.goto(hubUrl);
    await page.getByLabel(/user name|benutzername/i).fill('maria');
    await page.getByLabel(/^password$|^passwort$/i).fill('wrong-password');
    await page.getByRole('button', { name: /sign in|anmelden/i }).click();
    await expect(page.getByRole('alert')).toBeVisible();
    await page.getByLabel(/^password$|^passwort$/i).fill('maria-password-1');
    await page.getByRole('button', { name: /sign in|anmelden/i }).click();

    const tiles = page.getByTestId('station-tile');
    await expect(tiles).toHaveCount(3);
    await expect(page.getByTestId('live-state')).toHaveText(/live/i);
    for (const name of names) {
      const tile = page.locator(`[data-station="${name}"]`);
      await expect(tile.getByTestId('station-online')).toHaveText(/online/i);
      await expect(tile.getByTestId('done')).toHaveText('0');
    }

    // Devices arrive at every bench; the tiles follow without a reload.
    for (const s of stations) {
      const res = await fetch(new URL('api/v1/simulator/devices', s.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ count: 3 }),
      });
      expect(res.status).toBe(201);
    }
    for (const name of names) {
      const tile = page.locator(`[data-station="${name}"]`);
      await expect(tile.getByTestId('done')).not.toHaveText('0', { timeout: 45_000 });
      await expect(tile).toContainText(/unassigned/);
    }
    await expect(page.getByTestId('total-done')).not.toHaveText('0');
  });
});
