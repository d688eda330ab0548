import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { cli, freePort, start, type Child } from '../integration/hub-processes.js';

/**
 * A supervisor signs in to the hub's dashboard and watches three stations (real processes of the
 * built CLI, reporting through their outbox) change live as devices are plugged in.
 */
/**
 * A hub (SQLite in root/hub, supervisor maria) and one headless station per name reporting to it,
 * as processes of the built CLI; every process goes into `children`.
 */
async function hubWithStations(
  root: string,
  names: string[],
  children: Child[],
): Promise<{ hubUrl: string; stations: { url: string; token: string; child: Child }[] }> {
  const hubDir = path.join(root, 'hub');
  const tokens = names.map((name) => {
    const r = cli(['hub', 'register-station', name, '--data-dir', hubDir]);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  });
  expect(cli(['hub', 'add-user', 'maria', '--role', 'supervisor', '--data-dir', hubDir, '--password-stdin'], 'maria-password-1\n').status).toBe(0);
  const port = await freePort();
  const hubUrl = `http://127.0.0.1:${port}/`;
  children.push((await start(['hub', '--data-dir', hubDir, '--port', String(port)], /Benchline hub ready/)).child);
  const stations: { url: string; token: string; child: Child }[] = [];
  for (const [i, token] of tokens.entries()) {
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
        token,
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
    stations.push({ url: match[1]!, token: match[2]!, child });
  }
  return { hubUrl, stations };
}

test.describe('hub dashboard', () => {
  const children: Child[] = [];
  let root = '';

  test.afterEach(async () => {
    for (const c of children.splice(0)) await c.kill('SIGKILL');
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test("a supervisor signs in and sees three stations' numbers change live", async ({ page }) => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-e2e-hub-'));
    const names = ['Bench 1', 'Bench 2', 'Bench 3'];
    const { hubUrl, stations } = await hubWithStations(root, names, children);
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

  test("a supervisor opens a station's slots (live, read-only), exports its shift in two clicks, and cannot miss an offline station", async ({
    page,
  }, testInfo) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 1920, height: 1080 });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-e2e-hub-drill-'));
    const { hubUrl, stations } = await hubWithStations(root, ['Bank 1', 'Bank 2'], children);
    const plug = async (s: { url: string; token: string }, body: unknown) => {
      const res = await fetch(new URL('api/v1/simulator/devices', s.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
    };
    // Bank 1: one device that finishes, one that fails at supervise and waits for a person.
    await plug(stations[0]!, { count: 1 });
    await plug(stations[0]!, { count: 1, failAt: 'supervise' });
    await plug(stations[1]!, { count: 1 });

    await page.goto(hubUrl);
    await page.getByLabel(/user name|benutzername/i).fill('maria');
    await page.getByLabel(/^password$|^passwort$/i).fill('maria-password-1');
    await page.getByRole('button', { name: /sign in|anmelden/i }).click();
    await expect(page.getByTestId('station-tile')).toHaveCount(2);
    await expect(page.getByTestId('live-state')).toHaveText(/live/i);
    // The orders table is one click from the top of the page, and at 1920x1080 on screen without scrolling.
    await expect(page.getByRole('navigation').getByRole('link', { name: /orders/i })).toBeVisible();
    const orders = await page.locator('#orders-title').boundingBox();
    expect(orders!.y + orders!.height).toBeLessThan(1080);

    let clicks = 0;
    const bank1 = page.locator('[data-station="Bank 1"]');
    await bank1.getByTestId('station-open').click();
    clicks++;
    const drawer = page.getByTestId('station-drawer');
    await expect(drawer).toBeVisible();
    // The slots, read-only: the failed device with its error in words and the technician, the other done.
    const failedRow = drawer.locator('[data-testid="slot-row"][data-state="failed"]');
    await expect(failedRow).toHaveCount(1, { timeout: 45_000 });
    await expect(failedRow).toContainText('supervise');
    await expect(failedRow).toContainText(/activation lock/i);
    await expect(failedRow).toContainText('unassigned');
    await expect(failedRow).not.toContainText('sim.supervise');
    await expect(drawer.locator('[data-testid="slot-row"][data-state="done"]')).toHaveCount(1, { timeout: 45_000 });
    await expect(drawer.getByRole('button', { name: /retry|wiederholen|skip|überspringen/i })).toHaveCount(0);
    // Live: a device plugged now appears in the open drawer without a reload.
    await plug(stations[0]!, { count: 1 });
    await expect(drawer.getByTestId('slot-row')).toHaveCount(3, { timeout: 30_000 });
    await page.screenshot({ path: testInfo.outputPath('hub-drill-down-1920x1080.png') });

    // Export the current shift for Excel: the second click.
    const shiftRow = drawer.getByTestId('export-shift').first();
    const [csv] = await Promise.all([page.waitForEvent('download'), shiftRow.getByRole('button', { name: /csv/i }).click()]);
    clicks++;
    const csvText = fs.readFileSync(await csv.path(), 'utf8');
    expect(csvText.charCodeAt(0)).toBe(0xfeff);
    expect(csvText.slice(1).split('\r\n')[0]).toMatch(/^Lauf-ID;Station;Schicht;Steckplatz;Seriennummer;/);
    expect(csvText.split('\r\n').filter((l) => l.trim()).length).toBeGreaterThanOrEqual(3);
    expect(csv.suggestedFilename()).toMatch(/-excel\.csv$/);
    process.stdout.write(`hub export: ${clicks} clicks from the dashboard to the shift's CSV for Excel\n`);
    expect(clicks).toBe(2);
    const [pdf] = await Promise.all([page.waitForEvent('download'), shiftRow.getByRole('button', { name: /pdf/i }).click()]);
    expect(
      fs
        .readFileSync(await pdf.path())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    await expect(drawer.getByTestId('export-status')).toContainText(/downloaded/i);
    await page.keyboard.press('Escape');
    await expect(drawer).toBeHidden();

    // Bank 2 goes away: after the hub's online window its tile says so, and its live numbers leave the totals.
    await stations[1]!.child.kill('SIGKILL');
    const bank2 = page.locator('[data-station="Bank 2"]');
    await expect(bank2.getByTestId('station-offline')).toContainText(/offline/i, { timeout: 60_000 });
    await expect(bank2.getByTestId('last-seen')).toContainText(/last seen/i);
    await expect(bank2.getByTestId('wip')).toHaveText(/unknown/i);
    await expect(page.getByTestId('total-unknown')).toContainText(/1 station/i);
    await expect(page.getByTestId('total-stations')).toHaveText('1 / 2');
    await page.screenshot({ path: testInfo.outputPath('hub-offline-1920x1080.png'), fullPage: true });
  });
});
