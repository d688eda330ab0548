import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PortNoticeView, SlotLayout, StationEvent } from '../../../shared/contract/station-api.js';
import { callStationMethod } from '../../../main/api/station-methods.js';
import { TestUsbBackend } from '../../../main/drivers/usb/test-usb-backend.js';
import { silentLogger } from '../../../main/logging/logger.js';
import { openStationCore } from '../../../main/station/start-station.js';
import type { StationCore } from '../../../main/station/station-core.js';
import { requireSocat, startEmulator, stopAllEmulators, tempDir } from './emulated-devices.js';

// A station with the usb and serial drivers, its `usb` boundary fed by the loopback test source:
// routing to port tiles, the slot layout and learn mode, and a USB-serial device whose tty is an
// emulator's PTY, all through the StationApi.

const RESOURCES = path.resolve(import.meta.dirname, '../../../resources');
let core: StationCore | null = null;

beforeAll(() => requireSocat());
afterEach(async () => {
  await core?.close();
  core = null;
  await stopAllEmulators();
});

async function open(dir: string, drivers: ('usb' | 'serial' | 'sim')[] = ['usb', 'serial']) {
  const usb = new TestUsbBackend();
  core = await openStationCore({
    dataDir: path.join(dir, 'station'),
    resourcesDir: RESOURCES,
    drivers,
    simulate: 0,
    simSpeed: 1000,
    simFailRate: 0,
    simSeed: 1,
    blueprintFiles: [],
    version: 'test',
    logger: silentLogger,
    usbBackend: usb,
    usbSettleMs: 20,
    // Runs start unattended here: the bench, not the sign-in, is under test.
    signInPolicy: 'run',
  });
  const events: StationEvent[] = [];
  core.onEvent((e) => events.push(e));
  return { core, usb, events };
}

const call = <T>(c: StationCore, method: string, params: unknown = {}) => Promise.resolve().then(() => callStationMethod(c, method, params)) as Promise<T>;
const noticeAt = (c: StationCore, port: string): PortNoticeView | undefined => c.snapshot().notices.find((n) => n.portPath === port);
const ftdi = { vendorId: 0x0403, productId: 0x6001, manufacturer: 'FTDI', product: 'FT232R USB UART' };

describe('USB bench: routing, port tiles, slot layout, learn mode', () => {
  it('shows an unsupported device with its ids, a device libusb may not open with the udev hint, and a recognised device whose driver is off', async () => {
    const { core: c, usb } = await open(tempDir('bl-usb-'));
    usb.plug({ portPath: '1-1', vendorId: 0x046d, productId: 0xc52b, manufacturer: 'Logitech', product: 'USB Receiver' });
    usb.plug({ portPath: '1-2', vendorId: 0x05ac, productId: 0x12ab, serialNumber: '00008103-001A2B3C4D5E6F70', deny: 'permission' });
    usb.plug({ portPath: '1-3', vendorId: 0x05ac, productId: 0x12ab, serialNumber: '00008103-00000000000000AA', product: 'iPad' });
    usb.plug({ portPath: '1-4', vendorId: 0x2109, productId: 0x2817, deviceClass: 0x09 });
    await vi.waitFor(() => expect(c.snapshot().notices).toHaveLength(3));

    expect(noticeAt(c, '1-1')).toMatchObject({
      kind: 'unsupported',
      slot: null,
      usb: { vendorId: '046d', productId: 'c52b', manufacturer: 'Logitech', product: 'USB Receiver' },
    });
    expect(noticeAt(c, '1-1')?.message).toContain('046d:c52b');
    expect(noticeAt(c, '1-2')).toMatchObject({ kind: 'no-access' });
    expect(noticeAt(c, '1-2')?.message).toMatch(/udev rule from the README/);
    expect(noticeAt(c, '1-3')).toMatchObject({ kind: 'driver-off', usb: { serialNumber: '00008103-00000000000000AA' } });
    expect(noticeAt(c, '1-3')?.message).toMatch(/iPhone\/iPad recognised .*--drivers including "ios"/);
    expect(noticeAt(c, '1-4')).toBeUndefined(); // a hub is bench infrastructure

    usb.unplug('1-1');
    await vi.waitFor(() => expect(noticeAt(c, '1-1')).toBeUndefined());
    expect(c.listDevices()).toEqual([]);
  });

  it('learns 4 slots from devices plugged in turn, holds runs meanwhile, and maps tiles to the learned slots', async () => {
    const dir = tempDir('bl-learn-');
    const { core: c, usb, events } = await open(dir);
    const learning = await call<SlotLayout>(c, 'startLearn', { labels: ['A1', 'A2', 'A3', 'A4'] });
    expect(learning.learn).toEqual({ labels: ['A1', 'A2', 'A3', 'A4'], next: 0, learned: [] });

    // The technician plugs one device into each slot in turn (and wiggles the second one).
    const emu = await startEmulator({ dir, name: 'sensor', serial: 'SN-LEARN-1' });
    for (const [i, port] of ['1-4.1', '1-4.2', '1-4.3', '1-4.4'].entries()) {
      if (i === 1) {
        usb.plug({ portPath: port, ...ftdi, serialNumber: 'FTLEARN2', tty: emu.link });
        await vi.waitFor(async () => expect((await call<SlotLayout>(c, 'slotLayout')).learn?.next).toBe(2));
        usb.unplug(port);
        await vi.waitFor(() => expect(c.listDevices().every((d) => !d.present)).toBe(true));
        usb.plug({ portPath: port, ...ftdi, serialNumber: 'FTLEARN2', tty: emu.link });
        // Identified and shown, but no run while the station is learning.
        await vi.waitFor(() => expect(c.listDevices().find((d) => d.serial === 'SN-LEARN-1')).toMatchObject({ present: true, runId: null }));
        continue;
      }
      usb.plug({ portPath: port, vendorId: 0x046d, productId: 0xc52b });
      await vi.waitFor(async () => expect((await call<SlotLayout>(c, 'slotLayout')).learn?.next).toBe(i + 1));
    }
    const layout = await call<SlotLayout>(c, 'slotLayout');
    expect(layout.learn?.learned).toEqual([
      { label: 'A1', portPath: '1-4.1' },
      { label: 'A2', portPath: '1-4.2' },
      { label: 'A3', portPath: '1-4.3' },
      { label: 'A4', portPath: '1-4.4' },
    ]);
    expect(layout.slots.map((s) => [s.label, s.portPath, s.position])).toEqual([
      ['A1', '1-4.1', 0],
      ['A2', '1-4.2', 1],
      ['A3', '1-4.3', 2],
      ['A4', '1-4.4', 3],
    ]);
    expect(events.some((e) => e.type === 'layout')).toBe(true);

    // Tiles sit in their learned slots; the serial device's run starts now that learning is over.
    expect(noticeAt(c, '1-4.3')).toMatchObject({ kind: 'unsupported', slot: 'A3' });
    await vi.waitFor(() => expect(c.listDevices().find((d) => d.serial === 'SN-LEARN-1')).toMatchObject({ slot: 'A2', portPath: '1-4.2', state: 'done' }), {
      timeout: 30_000,
      interval: 100,
    });
    expect((await call<SlotLayout>(c, 'slotLayout')).slots.find((s) => s.label === 'A2')?.occupant).toBe('SN-LEARN-1');
    await call(c, 'stopLearn');

    // The layout is in the database: a restarted station knows its slots.
    await c.close();
    core = null;
    const again = await open(dir);
    expect((await call<SlotLayout>(again.core, 'slotLayout')).slots.map((s) => s.label)).toEqual(['A1', 'A2', 'A3', 'A4']);
  });

  it('gives a device in an unmapped port its tile, and moves it when the port is mapped in the editor', async () => {
    const dir = tempDir('bl-unmapped-');
    const { core: c, usb } = await open(dir);
    const emu = await startEmulator({ dir, name: 'sensor', serial: 'SN-UNMAPPED' });
    usb.plug({ portPath: '2-1.3', ...ftdi, serialNumber: 'FTUNMAP1', tty: emu.link });
    await vi.waitFor(() => expect(c.listDevices()).toMatchObject([{ serial: 'SN-UNMAPPED', slot: null, portPath: '2-1.3' }]));

    const edited = await call<SlotLayout>(c, 'saveSlot', { label: 'B7', portPath: '2-1.3' });
    expect(edited.slots).toEqual([{ label: 'B7', portPath: '2-1.3', position: 22, occupant: 'SN-UNMAPPED' }]);
    expect(c.listDevices()[0]?.slot).toBe('B7');
    // A port belongs to one slot: mapping it to B8 takes it from B7.
    const moved = await call<SlotLayout>(c, 'saveSlot', { label: 'B8', portPath: '2-1.3' });
    expect(moved.slots.map((s) => s.label)).toEqual(['B8']);
    await expect(call(c, 'deleteSlot', { label: 'B7' })).rejects.toThrow(/no slot B7/);
    await expect(call(c, 'saveSlot', { label: '', portPath: '2-1.3' })).rejects.toThrow(/Invalid parameters/);

    // Unplugged over USB: the device leaves, its port's tile goes.
    await vi.waitFor(() => expect(c.listDevices()[0]?.state).toBe('done'), { timeout: 30_000 });
    usb.unplug('2-1.3');
    await vi.waitFor(() => expect(c.listDevices()).toEqual([]));
    expect(fs.existsSync(emu.link)).toBe(true);
  });
});
