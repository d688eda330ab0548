import { message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { expect, openUi, scan, test, tile } from './station-fixture.js';

const SERIALS = ['DMPXE2E00001', 'DMPXE2E00002', 'DMPXE2E00003'];
const ORDER = [
  'customer,school,order_id,blueprint,deadline,serial,quantity,asset_tag',
  ...SERIALS.map((s, i) => `Stadt Musterstadt,Grundschule Nord,MS-E2E-1,school-ipad,2026-08-31,${s},,INV-10${i}`),
  '',
].join('\n');

test.use({ stationOptions: { simSpeed: 2000, simulate: 0 } });

test.describe('orders, packing and the shift export', () => {
  test('import an order, devices from it get its blueprint unasked, pack them, export the shift as CSV', async ({ page, station }, testInfo) => {
    await openUi(page, station);
    await page.getByTestId('floor-open').click();
    const panel = page.getByRole('dialog', { name: 'Orders, units, export' });

    // A file with a bad line is refused whole, with the line named.
    const badFile = testInfo.outputPath('bad.csv');
    fs.writeFileSync(badFile, `${ORDER}Stadt Musterstadt,Grundschule Nord,MS-E2E-1,school-ipad,31.08.2026,DMPXE2E00009,,\n`);
    await panel.getByTestId('order-file').setInputFiles(badFile);
    await expect(panel.getByTestId('order-issues')).toContainText('Line 5');
    await expect(panel.getByTestId('order-issues')).toContainText('"31.08.2026" is not an ISO date');
    await expect(panel.getByText('No orders yet.')).toBeVisible();

    const file = testInfo.outputPath('order.csv');
    fs.writeFileSync(file, ORDER);
    await panel.getByTestId('order-file').setInputFiles(file);
    await expect(panel.getByTestId('orders-table')).toContainText('MS-E2E-1');
    await expect(panel.getByTestId('orders-table')).toContainText('Grundschule Nord');
    await panel.getByRole('button', { name: 'Close' }).click();

    // Plug the order's devices: no click, they get the order's blueprint and school.
    await station.api('POST', 'simulator/devices', { count: 3, serials: SERIALS });
    for (const s of SERIALS) {
      await expect(tile(page, s)).toHaveAttribute('data-blueprint', 'school-ipad');
      await expect(tile(page, s)).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
      await expect(tile(page, s)).toContainText(/Grundschule Nord-\d{3}/);
    }

    // Pack them into a box for the school; a device of no order is refused with a clear message.
    await page.getByTestId('floor-open').click();
    await panel.getByRole('tab', { name: 'Packing' }).click();
    await panel.getByLabel('or scan its first finished device').fill(SERIALS[0]!);
    await panel.getByRole('button', { name: 'Create unit' }).click();
    const unitId = (await panel.getByTestId('unit-id').textContent())!;
    expect(unitId).toMatch(/^U-/);
    for (const s of SERIALS.slice(1)) {
      await panel.getByLabel('Scan a device into the unit').fill(s);
      await panel.getByLabel('Scan a device into the unit').press('Enter');
      await expect(panel.getByTestId('pack-result')).toHaveText(`${s} is in unit ${unitId}.`);
    }
    await expect(panel.getByTestId('unit-items').locator('li')).toHaveCount(3);
    await panel.getByLabel('Scan a device into the unit').fill('NOSUCHDEVICE1');
    await panel.getByLabel('Scan a device into the unit').press('Enter');
    // The refusal in the UI's language (this suite runs in en-US): the catalogue's pack.no-run, no longer German in every UI.
    await expect(panel.getByTestId('pack-result')).toHaveText(formatMessage(message('pack.no-run', { serial: 'NOSUCHDEVICE1' }), 'en'));

    // The label of a finished device, previewed with its own values.
    await panel.getByRole('tab', { name: 'Labels' }).click();
    await panel.getByLabel('Device', { exact: true }).selectOption({ index: 1 });
    await expect(panel.getByTestId('label-preview')).toHaveAttribute('src', /Grundschule%20Nord-\d{3}/);

    // Export the shift as CSV from the UI and check its rows.
    await panel.getByRole('tab', { name: 'Export' }).click();
    const [dl] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'CSV', exact: true }).click()]);
    const saved = testInfo.outputPath('shift.csv');
    await dl.saveAs(saved);
    const text = fs.readFileSync(saved, 'utf8');
    expect(text.split('\r\n')[0]).toBe(
      'run_id,station,shift_id,slot,serial,family,model,os_version,customer,school,order_id,blueprint,blueprint_version,operator,started_at,finished_at,duration_s,result,failed_step,error,attempts,device_name,asset_tag,unit_id',
    );
    const rows = parse<Record<string, string>>(text, { columns: true });
    expect(rows.map((r) => r.serial).sort()).toEqual([...SERIALS].sort());
    for (const r of rows) {
      expect(r).toMatchObject({
        customer: 'Stadt Musterstadt',
        school: 'Grundschule Nord',
        order_id: 'MS-E2E-1',
        blueprint: 'school-ipad',
        result: 'done',
        unit_id: unitId,
      });
      expect(r.asset_tag).toBe(`INV-10${SERIALS.indexOf(r.serial!)}`);
    }

    // Scanning the unit's label opens it for packing; scanning a badge signs its operator in.
    await panel.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(panel).toHaveCount(0);
    await scan(page, unitId);
    await expect(panel.getByTestId('unit-id')).toHaveText(unitId);
    await panel.getByRole('button', { name: 'Close', exact: true }).click();
    // Signing in once with name and scanned badge in the shift dialog registers the badge.
    await page
      .locator('.shift')
      .getByRole('button', { name: /^(Sign in|Open shift)$/ })
      .click();
    const signIn = page.getByRole('dialog', { name: /^(Sign in to the shift|Open a shift)$/ });
    await signIn.getByRole('textbox', { name: /^Name/ }).fill('Anna Krüger');
    await signIn.getByRole('textbox', { name: /^Scan badge/ }).focus();
    await scan(page, 'B-4711');
    await expect(signIn.getByText('Anna Krüger (badge B-4711)')).toBeVisible();
    await signIn.getByRole('button', { name: /^(Sign in|Open shift)$/ }).click();
    await expect(signIn).toHaveCount(0);
    await expect(page.locator('.shift__names')).toContainText('Anna Krüger');
    await station.api('POST', 'operators/sign-out', { name: 'Anna Krüger' });
    // The header shows who is signed in now, not everyone who was on the shift.
    await expect(page.locator('.shift__names')).not.toContainText('Anna Krüger');
    await scan(page, 'B-4711');
    await expect(page.getByText('Anna Krüger signed in.')).toBeVisible();
  });
});

test.describe('assignment problems on the tile', () => {
  test("a tablet listed in an iPad order is refused on its tile in the UI's language", async ({ browser, station }) => {
    const serial = 'R9WE2E000042';
    const res = await fetch(`${station.origin}/api/v1/orders/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${station.token}`, 'content-type': 'text/csv' },
      body: `customer,school,order_id,blueprint,deadline,serial,quantity\nStadt Musterstadt,Grundschule Nord,MS-E2E-2,school-ipad,2026-08-31,${serial},\n`,
    });
    expect(res.status).toBe(200);
    await station.api('POST', 'simulator/devices', { count: 1, model: 'Galaxy Tab A9+', serials: [serial] });
    const problem = message('order.platform-mismatch', {
      serial,
      orderId: 'MS-E2E-2',
      blueprint: 'school-ipad',
      blueprintPlatform: 'ios',
      platform: 'android',
    });
    for (const [locale, language, other] of [
      ['de-DE', 'de', 'en'],
      ['en-US', 'en', 'de'],
    ] as const) {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      await openUi(page, station);
      await expect(tile(page, serial)).toContainText(formatMessage(problem, language));
      await expect(tile(page, serial)).not.toContainText(formatMessage(problem, other));
      await context.close();
    }
  });
});
