import { requireSocat, startEmulator, stopAllEmulators, tempDir } from '../integration/serial/emulated-devices.js';
import fs from 'node:fs';
import path from 'node:path';
import { expect, openUi, scan, test, tile, type Station } from './station-fixture.js';

// Real-hardware screens with the station's `usb` boundary fed by its loopback test source
// (BENCHLINE_TEST_USB=1): everything behind it (the watcher's debounce and routing, the layout,
// learn mode, the serial driver on a real PTY) is the shipped code.

test.use({ stationOptions: { simSpeed: 300, simulate: 0, drivers: 'usb,serial', env: { BENCHLINE_TEST_USB: '1' } } });

interface TestUsbDevice {
  portPath: string;
  vendorId: number;
  productId: number;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  deny?: 'permission' | 'unreadable';
  tty?: string;
}

const plug = (station: Station, device: TestUsbDevice) => station.api('POST', 'test/usb/devices', device);
const unplug = (station: Station, port: string) => station.api('DELETE', `test/usb/devices/${encodeURIComponent(port)}`);

test.afterEach(async () => {
  await stopAllEmulators();
});

test.describe('bench layout', () => {
  test('learn mode maps 4 test ports to slots A1-A4, and the port tiles take those slots', async ({ page, station }) => {
    await openUi(page, station);
    await expect(page.locator('.grid-empty')).toBeVisible();
    await page.getByTestId('slots-open').click();
    const dialog = page.getByRole('dialog', { name: 'Slots of this bench' });
    await expect(dialog.getByText('No slots yet')).toBeVisible();

    await dialog.getByLabel('Hub').fill('A');
    await dialog.getByLabel('Slots', { exact: true }).fill('4');
    await dialog.getByRole('button', { name: 'Learn A1–A4' }).click();

    // The technician plugs one device into each slot in turn.
    const ports = ['1-4.1', '1-4.2', '1-4.3', '1-4.4'];
    for (const [i, port] of ports.entries()) {
      await expect(dialog.locator('.learn__prompt')).toHaveText(`Plug a device into slot A${i + 1}`);
      await expect(dialog.getByText(`${i} of 4 learned`)).toBeVisible();
      await plug(station, { portPath: port, vendorId: 0x046d, productId: 0xc520 + i, manufacturer: 'Logitech', product: `Receiver ${i + 1}` });
    }
    await expect(dialog.locator('.learn__prompt')).toHaveText('All 4 slots learned.');
    await expect(dialog.locator('.learn__list li')).toHaveText(ports.map((p, i) => `A${i + 1} = port ${p}`));
    await dialog.getByRole('button', { name: 'Done' }).click();

    const rows = dialog.locator('.slot-table tbody tr');
    await expect(rows).toHaveCount(4);
    for (const [i, port] of ports.entries()) {
      await expect(rows.nth(i)).toHaveAttribute('data-label', `A${i + 1}`);
      await expect(rows.nth(i)).toHaveAttribute('data-port', port);
    }
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);

    // Each port's tile sits in its learned slot, with its ids and what to do.
    for (const [i, port] of ports.entries()) {
      const portTile = page.locator(`.port-tile[data-port="${port}"]`);
      await expect(portTile).toHaveAttribute('data-slot', `A${i + 1}`);
      await expect(portTile.locator('.tile__slot')).toHaveText(`A${i + 1}`);
    }
    const third = page.locator('.port-tile[data-port="1-4.3"]');
    await expect(third.locator('.tile__state')).toHaveText('Unsupported');
    await expect(third.locator('.tile__name')).toHaveText('Logitech Receiver 3');
    await expect(third.locator('.port-tile__ids')).toHaveText('USB 046d:c522');
    await expect(third.locator('.tile__instruction')).toContainText('Unsupported USB device 046d:c522');

    // The layout is the station's: a reload shows the same slots.
    await page.reload();
    await expect(page.locator('.port-tile[data-port="1-4.4"]')).toHaveAttribute('data-slot', 'A4');

    // Unplugged: the tile goes, the slot stays in its place as free.
    await unplug(station, '1-4.2');
    await expect(page.locator('.port-tile[data-port="1-4.2"]')).toHaveCount(0);
    await expect(page.locator('.tile--free[data-slot="A2"]')).toHaveCount(1);
  });

  test('a device in an unmapped port gets a tile that says so, and mapping its port in the editor moves it', async ({ page, station }) => {
    await openUi(page, station);
    await plug(station, { portPath: '2-1.7', vendorId: 0x046d, productId: 0xc52b, product: 'USB Receiver' });
    await plug(station, { portPath: '2-1.8', vendorId: 0x05ac, productId: 0x12ab, serialNumber: '00008103-001A2B3C4D5E6F70', deny: 'permission' });

    const loose = page.locator('.port-tile[data-port="2-1.7"]');
    await expect(loose.locator('.tile__slot')).toHaveText('unmapped port 2-1.7');
    const denied = page.locator('.port-tile[data-port="2-1.8"]');
    await expect(denied.locator('.tile__state')).toHaveText('No access');
    await expect(denied.locator('.tile__instruction')).toContainText('install the udev rule from the README');

    await page.getByTestId('slots-open').click();
    const dialog = page.getByRole('dialog', { name: 'Slots of this bench' });
    const portRow = dialog.locator('.port-list li[data-port="2-1.7"]');
    await expect(portRow).toContainText('unmapped');
    await portRow.getByRole('button', { name: 'Map' }).click();
    await dialog.getByLabel('Slot', { exact: true }).fill('B3');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog.locator('.slot-table tbody tr[data-label="B3"]')).toHaveAttribute('data-port', '2-1.7');
    await page.keyboard.press('Escape');

    await expect(loose).toHaveAttribute('data-slot', 'B3');
    await expect(loose.locator('.tile__slot')).toHaveText('B3');
  });
});

test.describe('USB-serial device on a real PTY', () => {
  // The default serial flow with 1 s answers and no automatic retries, so the failure shows quickly.
  test.use({
    stationOptions: {
      simSpeed: 300,
      simulate: 0,
      drivers: 'usb,serial',
      env: { BENCHLINE_TEST_USB: '1' },
      args: ['--blueprint', 'tests/integration/serial/serial-fast.yaml'],
    },
  });

  test('its tile runs like a simulated one: identified, configured to done; a garbled answer fails with Retry on the tile', async ({ page, station }) => {
    requireSocat();
    const dir = tempDir('benchline-e2e-pty-');
    const good = await startEmulator({ dir, name: 'dev1', serial: 'SN-E2E-0001' });
    const bad = await startEmulator({ dir, name: 'dev2', serial: 'SN-E2E-0002', fault: ['garble@set'] });
    await openUi(page, station);

    await plug(station, { portPath: '1-4.1', vendorId: 0x0403, productId: 0x6001, serialNumber: 'FTE2E001', manufacturer: 'FTDI', tty: good.link });
    await plug(station, { portPath: '1-4.2', vendorId: 0x1a86, productId: 0x7523, tty: bad.link });

    const ok = tile(page, 'SN-E2E-0001');
    await expect(ok).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(ok.locator('.tile__state')).toHaveText('Done');
    await expect(ok.locator('.tile__model')).toContainText('BL-SENSOR-2');
    await expect(ok.locator('.tile__name')).toHaveText(/^Schule-S\d{3}$/);
    await expect(ok.locator('.tile__slot')).toHaveText('unmapped port 1-4.1');

    const failing = tile(page, 'SN-E2E-0002');
    await expect(failing).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
    await expect(failing.locator('.tile__instruction')).toContainText('unreadable characters');
    await bad.fault('none');
    await failing.getByRole('button', { name: 'Retry' }).click();
    await expect(failing).toHaveAttribute('data-state', 'done', { timeout: 30_000 });

    // Pulled out: the finished device leaves the grid.
    await unplug(station, '1-4.1');
    await expect(ok).toHaveCount(0);
  });

  test('another device on the same cable: "New device" on the tile, or scanning NEW-DEVICE, shows the new serial', async ({ page, station }) => {
    requireSocat();
    const dir = tempDir('benchline-e2e-swap-');
    const dev = await startEmulator({ dir, name: 'cable', serial: 'SN-SWAP-0001' });
    await openUi(page, station);
    await plug(station, { portPath: '1-4.1', vendorId: 0x0403, productId: 0x6001, serialNumber: 'FTSWAP01', manufacturer: 'FTDI', tty: dev.link });
    // The station's own record that the technician asked: the driver logs each request for the port.
    const asked = () =>
      fs
        .readFileSync(path.join(station.dataDir, 'logs', 'station.log'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('identifying the device at 1-4.1 again (asked by the technician)')).length;

    const first = tile(page, 'SN-SWAP-0001');
    await expect(first).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    expect(asked()).toBe(0);

    // The bridge stays plugged in; the device behind it is swapped, and the technician presses the button.
    await dev.swap('SN-SWAP-0002');
    await first.getByRole('button', { name: 'New device' }).click();
    const second = tile(page, 'SN-SWAP-0002');
    await expect(second).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect(second.locator('.tile__slot')).toHaveText('unmapped port 1-4.1');
    await expect(page.locator('.notice', { hasText: '1-4.1: identifying the new device' })).toBeVisible();
    await expect.poll(asked).toBeGreaterThanOrEqual(1);
    await expect(first).toHaveCount(0);

    // The next swap with the scanner: select the tile, scan the command code.
    const before = asked();
    await dev.swap('SN-SWAP-0003');
    await second.focus();
    await scan(page, 'NEW-DEVICE');
    const third = tile(page, 'SN-SWAP-0003');
    await expect(third).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
    await expect.poll(asked).toBe(before + 1);

    // Scripts use the REST route; a port the station does not have is a clear 404.
    await station.api('POST', 'ports/reidentify', { portPath: '1-4.1' });
    await expect.poll(asked).toBe(before + 2);
    await expect(station.api('POST', 'ports/reidentify', { portPath: '9-9.9' })).rejects.toThrow(/answered 404.*9-9\.9/);
    await expect(station.api('POST', 'ports/reidentify', {})).rejects.toThrow(/answered 400/);
  });
});
