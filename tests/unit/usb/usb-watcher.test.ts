import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TestUsbBackend, type TestUsbDeviceSpec } from '../../../main/drivers/usb/test-usb-backend.js';
import { UsbWatcher, type UsbDeviceInfo } from '../../../main/drivers/usb/usb-watcher.js';

// The `usb` module is replaced at its boundary only (getDeviceList + attach/detach + the device's
// open/getStringDescriptor/close); debounce, routing and string reads are the real code.

const ftdi = (port: string, serial = `FT${port.replace(/\D/g, '')}`): TestUsbDeviceSpec => ({
  portPath: port,
  vendorId: 0x0403,
  productId: 0x6001,
  serialNumber: serial,
  manufacturer: 'FTDI',
  product: 'FT232R USB UART',
});

function setup(opts: { settleMs?: number; maxDelayMs?: number; sysfsRoot?: string | null } = {}) {
  const backend = new TestUsbBackend();
  const list = vi.spyOn(backend, 'getDeviceList');
  const watcher = new UsbWatcher({ backend, settleMs: opts.settleMs ?? 40, maxDelayMs: opts.maxDelayMs ?? 400, sysfsRoot: opts.sysfsRoot ?? null });
  const log: string[] = [];
  const attached: UsbDeviceInfo[] = [];
  const detached: UsbDeviceInfo[] = [];
  const events = {
    attached: (d: UsbDeviceInfo) => {
      attached.push(d);
      log.push(`+${d.portPath}`);
    },
    detached: (d: UsbDeviceInfo) => {
      detached.push(d);
      log.push(`-${d.portPath}`);
    },
  };
  return { backend, watcher, list, log, attached, detached, events };
}

const hubPorts = (n: number) => Array.from({ length: n }, (_, i) => `1-4.${i + 1}`);
let current: UsbWatcher | null = null;
afterEach(async () => {
  await current?.stop();
  current = null;
});

describe('UsbWatcher', () => {
  it('reports what is plugged in already before start returns, with strings, port path and route', async () => {
    const t = setup();
    t.backend.plug(ftdi('1-4.2', 'FTA1B2C3'));
    t.backend.plug({ portPath: '1-4.3', vendorId: 0x05ac, productId: 0x12ab, serialNumber: '00008103-001A2B3C4D5E6F70', product: 'iPad' });
    current = t.watcher;
    await t.watcher.start(t.events);
    expect(t.attached.map((d) => [d.portPath, d.serialNumber, d.route.kind === 'driver' ? d.route.family : d.route.kind])).toEqual([
      ['1-4.2', 'FTA1B2C3', 'serial'],
      ['1-4.3', '00008103-001A2B3C4D5E6F70', 'ios'],
    ]);
    expect(t.attached[0]).toMatchObject({ vendorId: 0x0403, productId: 0x6001, manufacturer: 'FTDI', product: 'FT232R USB UART', access: { ok: true } });
    expect(t.backend.counters.openCount).toBe(0);
  });

  it('turns a 16-port hub powering on into one scan and exactly one attach per device; the hub itself is not a device', async () => {
    const t = setup();
    current = t.watcher;
    await t.watcher.start(t.events);
    const scansBefore = t.list.mock.calls.length;
    t.backend.plug({ portPath: '1-4', vendorId: 0x2109, productId: 0x2817, deviceClass: 0x09 });
    for (const port of hubPorts(16)) t.backend.plug(ftdi(port));
    await t.watcher.whenIdle();
    expect(t.list.mock.calls.length - scansBefore).toBe(1);
    expect(t.attached.map((d) => d.portPath).sort()).toEqual(hubPorts(16).sort());
    expect(new Set(t.attached.map((d) => d.serialNumber)).size).toBe(16);
    expect(t.detached).toEqual([]);
    expect(t.watcher.list()).toHaveLength(16);
  });

  it('reports every device of a pulled hub cable gone, once each, and nothing else', async () => {
    const t = setup();
    for (const port of hubPorts(16)) t.backend.plug(ftdi(port));
    t.backend.plug(ftdi('2-1', 'OTHERBUS'));
    current = t.watcher;
    await t.watcher.start(t.events);
    for (const port of hubPorts(16)) t.backend.unplug(port);
    await t.watcher.whenIdle();
    expect(t.detached.map((d) => d.portPath).sort()).toEqual(hubPorts(16).sort());
    expect(t.watcher.list().map((d) => d.portPath)).toEqual(['2-1']);
  });

  it('reports a device that flaps within the settle time once, as it ends up', async () => {
    const t = setup();
    current = t.watcher;
    await t.watcher.start(t.events);
    t.backend.plug(ftdi('1-2'));
    t.backend.unplug('1-2');
    t.backend.plug(ftdi('1-2'));
    t.backend.plug(ftdi('1-3'));
    t.backend.unplug('1-3');
    await t.watcher.whenIdle();
    expect(t.log).toEqual(['+1-2']);
  });

  it('reports a re-plug seen in separate scans as gone and back, and a swapped device as the old one gone before the new one', async () => {
    const t = setup();
    current = t.watcher;
    await t.watcher.start(t.events);
    t.backend.plug(ftdi('1-2', 'AAA'));
    await t.watcher.whenIdle();
    t.backend.unplug('1-2');
    t.backend.plug(ftdi('1-2', 'BBB'));
    await t.watcher.whenIdle();
    expect(t.log).toEqual(['+1-2', '-1-2', '+1-2']);
    expect(t.detached[0]?.serialNumber).toBe('AAA');
    expect(t.attached[1]?.serialNumber).toBe('BBB');
  });

  it('finds a device whose hotplug event libusb lost at the next scan, and one that left silently', async () => {
    const t = setup();
    current = t.watcher;
    await t.watcher.start(t.events);
    t.backend.plug({ ...ftdi('1-5'), silent: true });
    t.backend.plug(ftdi('1-6'));
    await t.watcher.whenIdle();
    expect(t.attached.map((d) => d.portPath).sort()).toEqual(['1-5', '1-6']);
    t.backend.unplug('1-5', { silent: true });
    await t.watcher.rescan();
    expect(t.detached.map((d) => d.portPath)).toEqual(['1-5']);
  });

  it('keeps scanning during a flapping storm instead of waiting for it to end', async () => {
    const t = setup({ settleMs: 40, maxDelayMs: 120 });
    current = t.watcher;
    await t.watcher.start(t.events);
    t.backend.plug(ftdi('1-7'));
    // A loose device keeps firing events every 15 ms, each shorter than the settle time.
    const noise = setInterval(() => {
      t.backend.plug({ portPath: '3-1', vendorId: 0x046d, productId: 0xc52b, silent: false });
    }, 15);
    try {
      await vi.waitFor(() => expect(t.attached.some((d) => d.portPath === '1-7')).toBe(true), { timeout: 5000, interval: 10 });
    } finally {
      clearInterval(noise);
    }
  });

  it('shows a device libusb may not open as a permission problem that names the udev rule, and closes what it opened', async () => {
    const t = setup();
    current = t.watcher;
    t.backend.plug({ ...ftdi('1-8'), deny: 'permission' });
    t.backend.plug({ ...ftdi('1-9'), deny: 'unreadable' });
    await t.watcher.start(t.events);
    const denied = t.attached.find((d) => d.portPath === '1-8');
    expect(denied?.access).toMatchObject({ ok: false, problem: 'permission' });
    expect(denied?.access.ok === false && denied.access.message).toMatch(/udev rule.*README/);
    expect(denied?.route).toMatchObject({ kind: 'driver', family: 'serial' });
    expect(t.attached.find((d) => d.portPath === '1-9')?.access).toMatchObject({ ok: false, problem: 'unreadable' });
    expect(t.backend.counters.openCount).toBe(0);
  });

  it('reads the strings from sysfs when there, so a device without a udev rule still has its serial', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-sysfs-'));
    try {
      const dir = path.join(root, '1-8');
      fs.mkdirSync(dir);
      for (const [f, v] of Object.entries({ idVendor: '0403', idProduct: '6001', serial: 'FTSYSFS1', manufacturer: 'FTDI', product: 'FT232R' }))
        fs.writeFileSync(path.join(dir, f), `${v}\n`);
      const t = setup({ sysfsRoot: root });
      current = t.watcher;
      t.backend.plug({ ...ftdi('1-8'), deny: 'permission' });
      await t.watcher.start(t.events);
      expect(t.attached[0]).toMatchObject({ serialNumber: 'FTSYSFS1', access: { ok: true } });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps going when a handler throws, and stops listening on stop', async () => {
    const t = setup();
    current = t.watcher;
    const seen: string[] = [];
    await t.watcher.start({
      attached: (d) => {
        seen.push(d.portPath);
        if (d.portPath === '1-1') throw new Error('handler bug');
      },
      detached: () => {},
    });
    t.backend.plug(ftdi('1-1'));
    t.backend.plug(ftdi('1-2'));
    await t.watcher.whenIdle();
    expect(seen.sort()).toEqual(['1-1', '1-2']);
    expect(t.backend.listenerCount()).toBe(2);
    await t.watcher.stop();
    expect(t.backend.listenerCount()).toBe(0);
  });
});
