import fs from 'node:fs';
import path from 'node:path';
import type { UsbDeviceInfo } from '../usb/usb-watcher.js';

/** Finds the serial port (/dev/ttyUSB0, /dev/ttyACM1, COM5) a USB-serial device provides. */
export interface SerialPortLocator {
  locate(usb: UsbDeviceInfo): Promise<string | null>;
}

/** What `SerialPort.list()` reports per port (the fields the locator uses). */
export interface ListedSerialPort {
  path: string;
  serialNumber?: string | undefined;
  vendorId?: string | undefined;
  productId?: string | undefined;
}

export interface SystemLocatorOptions {
  /** Linux sysfs USB tree; null elsewhere. */
  sysfsRoot?: string | null;
  listPorts?: () => Promise<ListedSerialPort[]>;
}

async function serialportList(): Promise<ListedSerialPort[]> {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
}

/**
 * The system's locator: on Linux the tty under the device's own port path in sysfs (exact, works
 * without an iSerial, as CH340 bridges have none); else `SerialPort.list()` matched by iSerial and
 * vendor/product id, or by vendor/product id when only one such port exists.
 */
export function systemSerialPortLocator(opts: SystemLocatorOptions = {}): SerialPortLocator {
  const sysfsRoot = opts.sysfsRoot === undefined ? (process.platform === 'linux' ? '/sys/bus/usb/devices' : null) : opts.sysfsRoot;
  const listPorts = opts.listPorts ?? serialportList;
  return {
    async locate(usb) {
      if (sysfsRoot) {
        const tty = ttyFromSysfs(sysfsRoot, usb.portPath);
        if (tty) return tty;
      }
      let ports: ListedSerialPort[];
      try {
        ports = await listPorts();
      } catch {
        return null;
      }
      const vid = usb.vendorId.toString(16).padStart(4, '0');
      const pid = usb.productId.toString(16).padStart(4, '0');
      const sameIds = ports.filter((p) => p.vendorId?.toLowerCase() === vid && p.productId?.toLowerCase() === pid);
      if (usb.serialNumber) {
        const bySerial = sameIds.find((p) => p.serialNumber === usb.serialNumber);
        if (bySerial) return bySerial.path;
      }
      return sameIds.length === 1 && !sameIds[0]?.serialNumber ? (sameIds[0]?.path ?? null) : null;
    },
  };
}

/** /sys/bus/usb/devices/1-4.2:1.0/ttyUSB0 (usb-serial) or .../1-4.2:1.0/tty/ttyACM0 (cdc_acm). */
export function ttyFromSysfs(root: string, portPath: string): string | null {
  let entries: string[];
  try {
    entries = fs
      .readdirSync(root)
      .filter((e) => e.startsWith(`${portPath}:`))
      .sort();
  } catch {
    return null;
  }
  for (const iface of entries) {
    const dir = path.join(root, iface);
    const names = safeList(dir);
    const direct = names.find((n) => /^tty(USB|ACM)\d+$/.test(n));
    if (direct) return `/dev/${direct}`;
    if (names.includes('tty')) {
      const nested = safeList(path.join(dir, 'tty')).find((n) => /^tty\w+$/.test(n));
      if (nested) return `/dev/${nested}`;
    }
  }
  return null;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
