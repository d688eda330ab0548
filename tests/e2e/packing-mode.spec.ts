import type { Page } from '@playwright/test';
import { countTones, tones } from './cue-probe.js';
import { expect, openUi, scan, test, tile, type Station } from './station-fixture.js';

// Issue 13, item 1: packing is a mode, not a trap. Devices still on the grid behind the panel
// (plugged in, done) are packed by their scan; they never take the focus from the unit.

test.use({ stationOptions: { simSpeed: 1000, simulate: 0 } });

async function finished(page: Page, station: Station, count: number): Promise<string[]> {
  await station.api('PUT', 'settings/current-batch', { blueprint: 'school-ipad', customer: 'Stadt Musterstadt', school: 'Grundschule Süd' });
  const serials = await station.plug(count);
  for (const s of serials) await expect(tile(page, s)).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  return serials;
}

test('P, then the first finished device starts a unit; every further scan packs into it, never selects a tile behind; its label again closes it', async ({
  page,
  station,
}) => {
  await countTones(page);
  await openUi(page, station);
  const serials = await finished(page, station, 6);
  await page.locator('body').click({ position: { x: 5, y: 5 } });

  await page.keyboard.press('p');
  const panel = page.getByRole('dialog', { name: 'Orders, units, export' });
  await expect(panel.getByRole('tab', { name: 'Packing' })).toHaveAttribute('aria-selected', 'true');
  // Focus is where scans go into packing mode, not in a "first device" field.
  await expect(panel.getByTestId('unit')).toBeFocused();

  // Scans as fast as a scanner gives them: the first device makes the unit, the next go into it
  // (they once made one box each).
  await scan(page, serials[0]!);
  await scan(page, serials[1]!);
  const unitId = panel.getByTestId('unit-id');
  await expect(unitId).toHaveText(/^U-/);
  const id = (await unitId.textContent())!;
  await expect(panel.getByTestId('unit-count')).toHaveText('2 devices');
  expect(await station.api<unknown[]>('GET', 'units')).toHaveLength(1);
  await expect(panel.getByTestId('unit')).toBeFocused();

  // Focus off the field (a click on the panel): a scan still packs, and no tile behind is selected.
  await panel.getByRole('heading', { name: /^Unit / }).click();
  await expect(panel.getByLabel('Scan a device into the unit')).not.toBeFocused();
  const heard = await tones(page);
  for (const s of serials.slice(2)) await scan(page, s);
  await expect(panel.getByTestId('unit-count')).toHaveText('6 devices');
  // Each packed device answered with its own sound (never throttled like the attention cue).
  await expect.poll(() => tones(page)).toBe(heard + 4);
  await expect(page.locator('.tile--focused')).toHaveCount(0);
  await expect(panel).toBeVisible();
  const units = await station.api<{ id: string; count: number }[]>('GET', 'units?state=open');
  expect(units).toEqual([expect.objectContaining({ id, count: 6 })]);

  // A second scan of a packed device changes nothing; the unit's own label closes it.
  await scan(page, serials[0]!);
  await expect(panel.getByTestId('pack-result')).toHaveText(`${serials[0]} is in this unit already.`);
  await scan(page, id);
  await expect(panel.getByTestId('unit')).toContainText('closed');
  await expect(panel.getByTestId('unit')).toBeFocused();
  expect(await station.api<{ state: string; count: number }>('GET', `units/${id}`)).toMatchObject({ unit: { state: 'closed', count: 6 } });
});

test('a device in another unit is refused with a way out: take it out there (with a reason) and pack it here; and out of this unit', async ({
  page,
  station,
}) => {
  await openUi(page, station);
  const [a, b, c] = await finished(page, station, 3);
  const first = await station.api<{ id: string }>('POST', 'units', { kind: 'box', fromSerial: a });
  await station.api('POST', `units/${first.id}/devices`, { serial: b });
  const second = await station.api<{ id: string }>('POST', 'units', { kind: 'box', fromSerial: c });

  // Scanning the second unit's label (from the grid) opens it for packing.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await scan(page, second.id);
  const panel = page.getByRole('dialog', { name: 'Orders, units, export' });
  await expect(panel.getByTestId('unit-id')).toHaveText(second.id);
  await scan(page, a!);
  await expect(panel.getByTestId('pack-result')).toHaveText(`Device ${a} is already in unit ${first.id}; take it out there first.`);
  await panel.getByTestId('take-out-other').click();
  const takeOut = panel.getByTestId('take-out');
  await takeOut.getByRole('textbox').fill('wrong box');
  await takeOut.getByRole('textbox').press('Enter');
  await expect(panel.getByTestId('unit-count')).toHaveText('2 devices');
  expect(await station.api('GET', `units/${first.id}`)).toMatchObject({ unit: { count: 1 } });

  // Out of this unit, from its list.
  await panel.getByRole('button', { name: `Take ${c} out of the unit` }).click();
  await panel.getByTestId('take-out').getByRole('textbox').fill('screen scratched');
  await panel.getByTestId('take-out').getByRole('button', { name: 'Take out' }).click();
  await expect(panel.getByTestId('unit-count')).toHaveText('1 device');
  await expect(panel.getByTestId('unit-items').locator('li')).toHaveCount(1);
  await expect(panel.getByTestId('unit-items')).toContainText(a!);

  // Another unit's label while packing: that unit is packed now, and the next device goes there.
  await scan(page, first.id);
  await expect(panel.getByTestId('unit-id')).toHaveText(first.id);
  await scan(page, c!);
  await expect(panel.getByTestId('pack-result')).toHaveText(`${c} is in unit ${first.id}.`);
  expect(await station.api('GET', `units/${first.id}`)).toMatchObject({ unit: { count: 2 } });
});
