import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Page } from '@playwright/test';
import { expect, openUi, scan, test, tile } from './station-fixture.js';

// Issue 13, "How to show it": a whole shift for one technician, keyboard and scanner only, in
// German, on a station that keeps devices waiting until someone signs in (the default policy).
// What the supervisor prepared beforehand (the order, a registered badge, a labelled box) is set up
// through the API; from opening the screen on, every input is a scan or a key, and they are counted.

const ORDER_ID = 'MS-SCHICHT-7';
const SCHOOL = 'Grundschule am Park';
const BADGE = 'B-2207';
const TECHNICIAN = 'Jana Wolff';
const DEVICES = 8;

test.use({ stationOptions: { simSpeed: 300, simulate: 0, signInPolicy: 'wait' }, locale: 'de-DE', viewport: { width: 1920, height: 1080 } });

/** Every input the technician makes goes through here, so the test can say what the shift cost. */
class Hands {
  scans = 0;
  keys = 0;
  constructor(private readonly page: Page) {}
  async scan(code: string): Promise<void> {
    this.scans++;
    await scan(this.page, code);
  }
  async press(key: string): Promise<void> {
    this.keys++;
    await this.page.keyboard.press(key);
  }
}

test('a whole shift, keyboard and scanner only: badge, order, devices run and finish, 8 packed into one unit, closed, exported', async ({
  page,
  station,
}, testInfo) => {
  test.setTimeout(120_000);
  // ---- prepared by the supervisor: an order of the school, the technician's badge, a labelled box ----
  const order = `customer,school,order_id,blueprint,deadline,serial,quantity\nStadt Musterstadt,${SCHOOL},${ORDER_ID},school-ipad,2026-08-31,,30\n`;
  const imported = await fetch(`${station.origin}/api/v1/orders/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${station.token}`, 'content-type': 'text/csv' },
    body: order,
  });
  expect(imported.status).toBe(200);
  const first = await station.api<{ shiftId: string }>('POST', 'operators/sign-in', { name: TECHNICIAN, badge: BADGE });
  await station.api('POST', `shifts/${encodeURIComponent(first.shiftId)}/close`);
  const unit = await station.api<{ id: string }>('POST', 'units', { kind: 'box', school: SCHOOL });
  expect(await station.api('GET', 'settings/sign-in-policy')).toEqual({ policy: 'wait' });

  // ---- the shift ----
  const hands = new Hands(page);
  await openUi(page, station);
  // Devices plugged before anyone signed in wait, visibly, and count as needing the technician.
  const serials = await station.plug(DEVICES);
  for (const s of serials) await expect(tile(page, s)).toHaveAttribute('data-state', 'blocked');
  await expect(tile(page, serials[0]!).locator('.tile__instruction')).toHaveText('Bitte anmelden: Ausweis scannen, dann startet das Gerät.');
  await expect(page.getByTestId('shift')).toContainText('Bitte anmelden');
  await expect(page.locator('.attention')).toHaveText(`${DEVICES} brauchen dich`);

  // 1. Sign in by badge: the devices now wait for the batch (the station has orders, none chosen).
  await hands.scan(BADGE);
  await expect(page.locator('.shift__names')).toHaveText(TECHNICIAN);
  await expect(tile(page, serials[0]!).locator('.tile__instruction')).toContainText('keine Charge gewählt');
  await expect(page.locator('.attention')).toHaveText(`${DEVICES} brauchen dich`);
  await expect(page.getByTestId('batch')).toContainText('keine – Auftrag scannen');

  // 2. Choose the batch by scanning the order: every waiting device starts, and runs to done.
  await hands.scan(ORDER_ID);
  await expect(page.getByTestId('batch')).toContainText(ORDER_ID);
  await expect(page.getByTestId('batch')).toContainText(SCHOOL);
  await expect(page.getByTestId('batch')).toContainText('school-ipad');
  await expect(page.locator('.notice').filter({ hasText: `${DEVICES} wartende Geräte gestartet` })).toBeVisible();
  for (const s of serials) await expect(tile(page, s)).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(page.locator('.stat--done .stat__value')).toHaveText(String(DEVICES));
  // Unplugged to be packed (a hand at the hub, not a key).
  for (const s of serials) await station.unplug(s);
  await expect(page.locator('.tile[data-serial]')).toHaveCount(0);

  // 3. Pack: the box's label opens packing mode; every serial scanned goes into it, with the count.
  await hands.scan(unit.id);
  const panel = page.getByRole('dialog', { name: 'Aufträge, Einheiten, Export' });
  await expect(panel.getByTestId('unit-id')).toHaveText(unit.id);
  for (const [i, s] of serials.entries()) {
    await hands.scan(s);
    await expect(panel.getByTestId('unit-count')).toHaveText(i === 0 ? '1 Gerät' : `${i + 1} Geräte`);
    await expect(panel.getByTestId('pack-result')).toHaveText(`${s} ist in Einheit ${unit.id}.`);
  }
  await expect(panel.getByTestId('unit-items').locator('li')).toHaveCount(DEVICES);
  // 4. Close it: the box's label once more.
  await hands.scan(unit.id);
  await expect(panel.getByTestId('unit')).toContainText('geschlossen');
  await expect(panel.getByTestId('pack-result')).toHaveText(
    `Einheit ${unit.id} geschlossen, ${DEVICES} Geräte. Das nächste fertige Gerät scannen beginnt eine neue.`,
  );
  // Focus went where the next scan does the right thing (a new box from its first device), not nowhere.
  await expect(panel.getByTestId('unit')).toBeFocused();
  await hands.press('Escape');
  await expect(panel).toHaveCount(0);

  // 5. Export the shift: E opens the export, Enter saves its CSV.
  await hands.press('e');
  await expect(page.getByRole('button', { name: 'CSV', exact: true })).toBeFocused();
  const [download] = await Promise.all([page.waitForEvent('download'), hands.press('Enter')]);
  const saved = testInfo.outputPath('schicht.csv');
  await download.saveAs(saved);
  const rows = parse<Record<string, string>>(fs.readFileSync(saved, 'utf8'), { columns: true });
  expect(rows.map((r) => r.serial).sort()).toEqual([...serials].sort());
  for (const r of rows) {
    expect(r).toMatchObject({ result: 'done', order_id: ORDER_ID, school: SCHOOL, unit_id: unit.id, operator: TECHNICIAN });
  }
  const units = await station.api<{ id: string; state: string; count: number }[]>('GET', 'units?state=closed');
  expect(units).toContainEqual(expect.objectContaining({ id: unit.id, state: 'closed', count: DEVICES }));

  // The shift's cost at the keyboard: one scan per device, plus a constant for the shift.
  const perShift = hands.scans - DEVICES;
  console.log(
    `technician shift: ${DEVICES} devices, ${hands.scans} scans and ${hands.keys} keys = ${DEVICES} scans (one per device) + ${perShift} scans and ${hands.keys} keys per shift (badge, order, unit label to open and to close; Esc, E, Enter)`,
  );
  testInfo.annotations.push({ type: 'inputs', description: `${hands.scans} scans, ${hands.keys} keys for ${DEVICES} devices` });
  expect(hands.scans).toBe(DEVICES + 4);
  expect(hands.keys).toBe(3);
});
