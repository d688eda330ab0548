import fs from 'node:fs';
import path from 'node:path';
import type { UsbPortFeed } from '../../usb/usb-port-feed.js';
import type { UsbDeviceInfo } from '../../usb/usb-watcher.js';
import { portPathOfAddress } from './location-id.js';

export interface UsbAddressPortsOptions {
  /** The bench's USB watcher (`--drivers usb`); null without it. */
  feed: UsbPortFeed | null;
  /** Linux's sysfs USB tree, read when the watcher does not know the device; null: never. */
  sysfsRoot: string | null;
  /** How long to wait for the watcher to report a device usbmuxd already has (it settles the bus first). */
  waitMs: number;
  /** The watcher saw an iOS device arrive or leave at a port. */
  onUsbDevice?(device: UsbDeviceInfo, present: boolean): void;
}

const key = (bus: number, address: number) => `${bus}.${address}`;

/**
 * Maps Linux usbmuxd's (bus, address) to the physical port path: from the bench's USB watcher (the
 * iOS devices it routes here), else from sysfs (busnum/devnum of each device directory, whose name
 * is the port path), else the watcher's own fallback name, which holds only while the device stays.
 */
export class UsbAddressPorts {
  private readonly byAddress = new Map<string, UsbDeviceInfo>();
  private readonly waiters = new Map<string, Set<(portPath: string) => void>>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly opts: UsbAddressPortsOptions) {}

  start(): void {
    this.unsubscribe =
      this.opts.feed?.subscribe('ios', {
        attached: (device) => {
          const k = key(device.busNumber, device.deviceAddress);
          this.byAddress.set(k, device);
          for (const resolve of this.waiters.get(k) ?? []) resolve(device.portPath);
          this.waiters.delete(k);
          this.opts.onUsbDevice?.(device, true);
        },
        detached: (device) => {
          const k = key(device.busNumber, device.deviceAddress);
          if (this.byAddress.get(k)?.id === device.id) this.byAddress.delete(k);
          this.opts.onUsbDevice?.(device, false);
        },
      }) ?? null;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const set of this.waiters.values()) for (const resolve of set) resolve('');
    this.waiters.clear();
  }

  /** The port path of the device at (bus, address); waits up to waitMs for the watcher when it runs. */
  async portPathFor(bus: number, address: number, signal: AbortSignal): Promise<string> {
    const known = this.byAddress.get(key(bus, address));
    if (known) return known.portPath;
    if (this.opts.feed && this.unsubscribe) {
      const fromWatcher = await this.waitForWatcher(bus, address, signal);
      if (fromWatcher) return fromWatcher;
    }
    return (this.opts.sysfsRoot ? sysfsPortPath(this.opts.sysfsRoot, bus, address) : null) ?? portPathOfAddress(bus, address);
  }

  private waitForWatcher(bus: number, address: number, signal: AbortSignal): Promise<string | null> {
    const k = key(bus, address);
    return new Promise((resolve) => {
      const set = this.waiters.get(k) ?? new Set();
      this.waiters.set(k, set);
      const done = (portPath: string | null) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        set.delete(found);
        if (set.size === 0 && this.waiters.get(k) === set) this.waiters.delete(k);
        resolve(portPath || null);
      };
      const found = (portPath: string) => done(portPath);
      const onAbort = () => done(null);
      const timer = setTimeout(() => done(null), this.opts.waitMs);
      set.add(found);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The sysfs directory (its name is the port path, "1-4.2") whose busnum and devnum match; null when none does. */
export function sysfsPortPath(root: string, bus: number, address: number): string | null {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return null;
  }
  const read = (name: string, file: string) => {
    try {
      return Number(fs.readFileSync(path.join(root, name, file), 'utf8').trim());
    } catch {
      return NaN;
    }
  };
  // Interfaces ("1-4.2:1.0") and root hubs ("usb1") are not devices on ports.
  return names.find((name) => /^\d+-[\d.]+$/.test(name) && read(name, 'busnum') === bus && read(name, 'devnum') === address) ?? null;
}
