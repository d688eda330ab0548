import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemSerialPortLocator, ttyFromSysfs, type ListedSerialPort } from '../../../main/drivers/serial/port-locator.js';
import { routeUsbDevice } from '../../../main/drivers/usb/usb-ids.js';
import type { UsbDeviceInfo } from '../../../main/drivers/usb/usb-watcher.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-sysfs-tty-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function usb(portPath: string, vendorId: number, productId: number, serialNumber: string | null): UsbDeviceInfo {
  return {
    id: `${portPath}@1.5`,
    portPath,
    busNumber: 1,
    deviceAddress: 5,
    vendorId,
    productId,
    deviceClass: 0,
    serialNumber,
    manufacturer: null,
    product: null,
    route: routeUsbDevice({ vendorId, productId, deviceClass: 0, interfaces: [] }),
    access: { ok: true },
  };
}

describe('finding the serial port of a USB-serial device', () => {
  // usb-serial drivers (FTDI, CH340, ...) put ttyUSBn under the interface; cdc_acm puts tty/ttyACMn.
  fs.mkdirSync(path.join(root, '1-4.2:1.0', 'ttyUSB3'), { recursive: true });
  fs.mkdirSync(path.join(root, '1-4.3:1.0', 'tty', 'ttyACM0'), { recursive: true });
  fs.mkdirSync(path.join(root, '1-4.3:1.1'), { recursive: true });
  fs.mkdirSync(path.join(root, '1-4.20:1.0', 'ttyUSB9'), { recursive: true });

  it("reads the tty under the device's own port path in sysfs, and not the one of port 1-4.20 for 1-4.2", () => {
    expect(ttyFromSysfs(root, '1-4.2')).toBe('/dev/ttyUSB3');
    expect(ttyFromSysfs(root, '1-4.3')).toBe('/dev/ttyACM0');
    expect(ttyFromSysfs(root, '1-4.9')).toBeNull();
  });

  it('matches SerialPort.list() by iSerial and ids where sysfs has nothing (another OS)', async () => {
    const listed: ListedSerialPort[] = [
      { path: '/dev/ttyUSB0', serialNumber: 'A10KXYZ1', vendorId: '0403', productId: '6001' },
      { path: '/dev/ttyUSB1', serialNumber: 'A10KXYZ2', vendorId: '0403', productId: '6001' },
      { path: '/dev/ttyUSB2', vendorId: '1a86', productId: '7523' },
    ];
    const locator = systemSerialPortLocator({ sysfsRoot: null, listPorts: async () => listed });
    expect(await locator.locate(usb('1-1', 0x0403, 0x6001, 'A10KXYZ2'))).toBe('/dev/ttyUSB1');
    // A CH340 has no iSerial: the only port with its ids is it.
    expect(await locator.locate(usb('1-2', 0x1a86, 0x7523, null))).toBe('/dev/ttyUSB2');
    // Two FTDI ports and no iSerial to tell them apart: better none than the wrong one.
    expect(await locator.locate(usb('1-3', 0x0403, 0x6001, null))).toBeNull();
  });
});
