import fs from 'node:fs';
import path from 'node:path';
import type { LogLevel } from '../../logging/logger.js';
import { LIBUSB_ERROR, usbPortPath, type UsbBackend, type UsbBackendDevice, type UsbHotplugListener } from './usb-backend.js';
import { USB_CLASS, formatUsbId, routeUsbDevice, type UsbInterfaceClass, type UsbRoute } from './usb-ids.js';

export type UsbAccess = { ok: true } | { ok: false; problem: 'permission' | 'unreadable'; message: string };

/** A USB device as the watcher reports it: ids, strings, where it is plugged in and who serves it. */
export interface UsbDeviceInfo {
  /** One enumeration of one device: a re-plug into the same port is a new id. */
  id: string;
  /** Bus and port chain, "1-4.2": the physical port, mapped to a bench slot by the layout. */
  portPath: string;
  /** libusb's bus number and the device's address on it (Linux usbmuxd names devices by these). */
  busNumber: number;
  deviceAddress: number;
  vendorId: number;
  productId: number;
  deviceClass: number;
  /** iSerial; null when the device has none or it could not be read (see access). */
  serialNumber: string | null;
  manufacturer: string | null;
  product: string | null;
  route: UsbRoute;
  access: UsbAccess;
}

export interface UsbWatcherEvents {
  attached(device: UsbDeviceInfo): void;
  detached(device: UsbDeviceInfo): void;
}

export interface UsbWatcherOptions {
  backend: UsbBackend;
  /** Quiet time after the last hotplug event before the bus is read: a storm becomes one scan. */
  settleMs?: number;
  /** Longest a scan waits while events keep coming (a flapping device). */
  maxDelayMs?: number;
  /** Longest a device may take to answer one string descriptor request. */
  stringTimeoutMs?: number;
  /** Linux sysfs USB tree, read before libusb (it needs no device permissions); null: libusb only. */
  sysfsRoot?: string | null;
  log?: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
}

const DEFAULT_SYSFS = '/sys/bus/usb/devices';

export class UsbReadTimeoutError extends Error {
  override name = 'UsbReadTimeoutError';
}

/**
 * Watches the USB bus. Hotplug events only schedule a scan; the device list read after the bus has
 * settled is the truth. So an attach storm (a 16-port hub powering on) or a detach storm (its cable
 * pulled) ends in exactly one attached / detached per device, a device that flaps within the settle
 * time is reported once, and an event libusb drops is caught by the next scan.
 */
export class UsbWatcher {
  private readonly settleMs: number;
  private readonly maxDelayMs: number;
  private readonly stringTimeoutMs: number;
  private readonly sysfsRoot: string | null;
  private events: UsbWatcherEvents | null = null;
  /** What was last reported, by port path (infrastructure included, never reported). */
  private readonly present = new Map<string, UsbDeviceInfo>();
  private timer: NodeJS.Timeout | null = null;
  private firstPendingAt: number | null = null;
  private scanning: Promise<void> | null = null;
  private again = false;
  private idleWaiters: (() => void)[] = [];
  private readonly onHotplug: UsbHotplugListener = () => this.schedule();

  constructor(private readonly opts: UsbWatcherOptions) {
    this.settleMs = opts.settleMs ?? 250;
    this.maxDelayMs = opts.maxDelayMs ?? 1500;
    this.stringTimeoutMs = opts.stringTimeoutMs ?? 2000;
    this.sysfsRoot = opts.sysfsRoot === undefined ? (process.platform === 'linux' ? DEFAULT_SYSFS : null) : opts.sysfsRoot;
  }

  /** Subscribes to hotplug events and reports what is plugged in already before it returns. */
  async start(events: UsbWatcherEvents): Promise<void> {
    this.events = events;
    this.opts.backend.on('attach', this.onHotplug);
    this.opts.backend.on('detach', this.onHotplug);
    await this.runScans();
  }

  async stop(): Promise<void> {
    this.opts.backend.removeListener('attach', this.onHotplug);
    this.opts.backend.removeListener('detach', this.onHotplug);
    this.events = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.scanning;
    this.present.clear();
    this.resolveIdle();
  }

  /** Devices currently reported (hubs left out). */
  list(): UsbDeviceInfo[] {
    return [...this.present.values()].filter((d) => d.route.kind !== 'infrastructure');
  }

  /** Resolves once no scan is pending or running: for tests and for the learn mode's prompt. */
  whenIdle(): Promise<void> {
    if (!this.timer && !this.scanning) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Reads the bus again now (a technician's "rescan"). */
  rescan(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.firstPendingAt = null;
    return this.runScans();
  }

  private schedule(): void {
    if (!this.events) return;
    const now = Date.now();
    this.firstPendingAt ??= now;
    const delay = Math.max(0, Math.min(this.settleMs, this.firstPendingAt + this.maxDelayMs - now));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.firstPendingAt = null;
      void this.runScans();
    }, delay);
  }

  private runScans(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.again = false;
        try {
          await this.scan();
        } catch (err) {
          this.log('error', `USB scan failed: ${(err as Error).message}`);
        }
      } while (this.again && this.events);
    })().finally(() => {
      this.scanning = null;
      if (!this.timer) this.resolveIdle();
    });
    return this.scanning;
  }

  private resolveIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async scan(): Promise<void> {
    let list: UsbBackendDevice[];
    try {
      list = this.opts.backend.getDeviceList();
    } catch (err) {
      this.log('error', `cannot list USB devices: ${(err as Error).message}`);
      return;
    }
    const now = new Map<string, { device: UsbBackendDevice; id: string }>();
    for (const device of list) {
      const d = device.deviceDescriptor;
      const portPath = usbPortPath(device.busNumber, device.portNumbers, device.deviceAddress);
      now.set(portPath, { device, id: `${portPath}@${device.busNumber}.${device.deviceAddress}/${formatUsbId(d.idVendor, d.idProduct)}` });
    }
    // Detaches first, so a port whose device changed reports the old one gone before the new one.
    for (const [portPath, info] of [...this.present]) {
      if (now.get(portPath)?.id === info.id) continue;
      this.present.delete(portPath);
      if (info.route.kind !== 'infrastructure') this.emit('detached', info);
    }
    for (const [portPath, { device, id }] of now) {
      if (this.present.has(portPath)) continue;
      const info = await this.describe(device, portPath, id);
      if (!this.events) return;
      this.present.set(portPath, info);
      if (info.route.kind !== 'infrastructure') this.emit('attached', info);
    }
  }

  private emit(kind: 'attached' | 'detached', info: UsbDeviceInfo): void {
    this.log('info', `USB ${kind} ${formatUsbId(info.vendorId, info.productId)} at ${info.portPath}`, {
      serialNumber: info.serialNumber,
      route: info.route.why,
    });
    try {
      this.events?.[kind](info);
    } catch (err) {
      this.log('error', `USB ${kind} handler failed: ${(err as Error).message}`, { portPath: info.portPath });
    }
  }

  private async describe(device: UsbBackendDevice, portPath: string, id: string): Promise<UsbDeviceInfo> {
    const d = device.deviceDescriptor;
    const route = routeUsbDevice({ vendorId: d.idVendor, productId: d.idProduct, deviceClass: d.bDeviceClass, interfaces: interfacesOf(device) });
    const base = {
      id,
      portPath,
      busNumber: device.busNumber,
      deviceAddress: device.deviceAddress,
      vendorId: d.idVendor,
      productId: d.idProduct,
      deviceClass: d.bDeviceClass,
      route,
    };
    if (route.kind === 'infrastructure') return { ...base, serialNumber: null, manufacturer: null, product: null, access: { ok: true } };
    const fromSysfs = this.readSysfs(portPath, d.idVendor, d.idProduct);
    if (fromSysfs) return { ...base, ...fromSysfs, access: { ok: true } };
    let strings = await this.readStrings(device);
    if (!strings.access.ok && strings.access.problem === 'unreadable') {
      // A device that has just enumerated may not answer yet: one more try.
      await new Promise((r) => setTimeout(r, 200));
      strings = await this.readStrings(device);
    }
    if (!strings.access.ok) this.log('warn', strings.access.message, { portPath });
    return { ...base, ...strings };
  }

  /** Strings from sysfs, if this port's directory is there and is the same device. */
  private readSysfs(portPath: string, vendorId: number, productId: number): Pick<UsbDeviceInfo, 'serialNumber' | 'manufacturer' | 'product'> | null {
    if (!this.sysfsRoot || !/^\d+-[\d.]+$/.test(portPath)) return null;
    const dir = path.join(this.sysfsRoot, portPath);
    const read = (name: string): string | null => {
      try {
        const text = fs.readFileSync(path.join(dir, name), 'utf8').trim();
        return text === '' ? null : text;
      } catch {
        return null;
      }
    };
    if (read('idVendor') !== vendorId.toString(16).padStart(4, '0') || read('idProduct') !== productId.toString(16).padStart(4, '0')) return null;
    return { serialNumber: read('serial'), manufacturer: read('manufacturer'), product: read('product') };
  }

  private async readStrings(device: UsbBackendDevice): Promise<Pick<UsbDeviceInfo, 'serialNumber' | 'manufacturer' | 'product' | 'access'>> {
    const d = device.deviceDescriptor;
    const id = formatUsbId(d.idVendor, d.idProduct);
    const none = { serialNumber: null, manufacturer: null, product: null };
    try {
      device.open(false);
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (errno === LIBUSB_ERROR.ACCESS) {
        return {
          ...none,
          access: {
            ok: false,
            problem: 'permission',
            message: `No permission to read USB device ${id}. Install the udev rule from the README ("USB permissions"), then unplug the device and plug it in again.`,
          },
        };
      }
      return {
        ...none,
        access: {
          ok: false,
          problem: 'unreadable',
          message: `USB device ${id} does not answer (${(err as Error).message}). Plug it in again or try another cable.`,
        },
      };
    }
    try {
      const serialNumber = await this.readString(device, d.iSerialNumber);
      const manufacturer = await this.readString(device, d.iManufacturer);
      const product = await this.readString(device, d.iProduct);
      return { serialNumber, manufacturer, product, access: { ok: true } };
    } catch (err) {
      return {
        ...none,
        access: {
          ok: false,
          problem: 'unreadable',
          message: `USB device ${id} does not tell its serial number (${(err as Error).message}). Plug it in again or try another cable.`,
        },
      };
    } finally {
      try {
        device.close();
      } catch (err) {
        this.log('warn', `closing USB device ${id} failed: ${(err as Error).message}`);
      }
    }
  }

  private readString(device: UsbBackendDevice, index: number): Promise<string | null> {
    if (index === 0) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new UsbReadTimeoutError(`no answer within ${this.stringTimeoutMs} ms`)), this.stringTimeoutMs);
      try {
        device.getStringDescriptor(index, (error, value) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve(value === undefined ? null : value.replace(/\0+$/, '').trim() || null);
        });
      } catch (err) {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, message, fields);
  }
}

function interfacesOf(device: UsbBackendDevice): UsbInterfaceClass[] {
  if (device.deviceDescriptor.bDeviceClass === USB_CLASS.hub) return [];
  try {
    const config = device.configDescriptor;
    if (!config) return [];
    return config.interfaces.flatMap((alts) => {
      const first = alts[0];
      return first ? [{ class: first.bInterfaceClass, subclass: first.bInterfaceSubClass, protocol: first.bInterfaceProtocol }] : [];
    });
  } catch {
    return [];
  }
}
