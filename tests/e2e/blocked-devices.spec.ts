import { countTones, tones } from './cue-probe.js';
import { overlaps } from './bench-fill.js';
import { expect, openUi, test, tile, type Station } from './station-fixture.js';

// Issue 13, item 2: devices plugged before a batch is chosen are not "nearly invisible": they count
// in "need you", get the cue, and all start once a batch is chosen, without unplugging them.

test.use({ stationOptions: { simSpeed: 1000, simulate: 0 } });

const ORDER = 'customer,school,order_id,blueprint,deadline,serial,quantity\nStadt Musterstadt,Realschule Ost,MS-BLOCK-1,school-ipad,2026-09-30,,12\n';

/** The supervisor's order of the school, through the automation API (CONTRACT.md). */
async function importOrder(station: Station): Promise<void> {
  const res = await fetch(`${station.origin}/api/v1/orders/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${station.token}`, 'content-type': 'text/csv' },
    body: ORDER,
  });
  expect(res.status).toBe(200);
}

test('devices waiting for a batch count as needing the technician, get the cue, and all start when the batch is chosen', async ({ page, station }) => {
  await importOrder(station);
  await countTones(page);
  await openUi(page, station);
  await expect(page.getByTestId('batch')).toContainText('none – scan an order');

  const serials = await station.plug(3);
  for (const s of serials) {
    await expect(tile(page, s)).toHaveAttribute('data-state', 'blocked');
    await expect(tile(page, s).locator('.tile__state')).toHaveText('Blocked');
    await expect(tile(page, s).locator('.tile__instruction')).toHaveText(`Device ${s} is in no order and no batch is chosen: scan or choose an order.`);
  }
  await expect(page.locator('.attention')).toHaveText('3 need you');
  await expect(page).toHaveTitle(/^\(3\) /);
  await expect.poll(() => tones(page)).toBeGreaterThan(0);
  // N goes to them, like to any device that needs the technician.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('n');
  await expect(tile(page, serials[0]!)).toBeFocused();

  // Choosing the batch in the orders (the header's batch opens them) starts all three, unplugged never.
  await page.getByTestId('batch').click();
  const panel = page.getByRole('dialog', { name: 'Orders, units, export' });
  await expect(panel.getByTestId('waiting-devices')).toContainText(serials[0]!);
  // The panel's close button sits beside its title, over nothing.
  const close = (await panel.getByRole('button', { name: 'Close', exact: true }).boundingBox())!;
  for (const other of [panel.getByRole('heading', { name: 'Orders, units, export' }), panel.getByRole('tablist')]) {
    expect(overlaps(close, (await other.boundingBox())!)).toBe(false);
  }
  await panel.getByLabel('Current batch (for devices in no order)').selectOption('MS-BLOCK-1');
  await expect(page.getByTestId('batch')).toContainText('MS-BLOCK-1');
  await expect(page.getByTestId('batch')).toContainText('Realschule Ost');
  await panel.getByRole('button', { name: 'Close', exact: true }).click();
  for (const s of serials) await expect(tile(page, s)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await expect(page.locator('.attention')).toHaveText('0 need you');
  const runs = await station.api<{ serial: string; blueprint: string }[]>('GET', 'runs');
  expect(runs.map((r) => r.serial).sort()).toEqual([...serials].sort());
});

test('"Assign" on a waiting device works with the first order, without picking another one first', async ({ page, station }) => {
  await importOrder(station);
  await openUi(page, station);
  const [serial] = await station.plug(1);
  await expect(tile(page, serial!)).toHaveAttribute('data-state', 'blocked');
  await page.getByTestId('floor-open').click();
  const waiting = page.getByTestId('waiting-devices');
  await expect(waiting.getByRole('combobox')).toHaveValue('MS-BLOCK-1');
  await waiting.getByRole('button', { name: 'Assign' }).click();
  await expect(tile(page, serial!)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
});
