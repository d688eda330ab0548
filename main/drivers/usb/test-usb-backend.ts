import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { LIBUSB_ERROR, type UsbBackend, type UsbBackendDevice, type UsbBackendDeviceDescriptor, type UsbHotplugListener } from './usb-backend.js';

/**
 * A stand-in for the `usb` module at its boundary: devices are plugged and unplugged by a test (or
 * an end-to-end test through the station's loopback-only test endpoint). Everything behind the
 * boundary (debounce, routing, string reads, slots, learn mode, the serial driver) runs for real.
 * It is off unless a station is started with BENCHLINE_TEST_USB=1.
 */

const hexId = z.union([
  z.number().int().min(0).max(0xffff),
  z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{1,4}$/)
    .transform((s) => parseInt(s.replace(/^0x/, ''), 16)),
]);

export const testUsbDeviceSchema = z
  .object({
    portPath: z.string().regex(/^\d{1,3}-\d{1,3}(\.\d{1,3}){0,6}$/, 'a port path such as "1-4.2"'),
    vendorId: hexId,
    productId: hexId,
    deviceClass: z.number().int().min(0).max(255).default(0),
    serialNumber: z.string().max(126).optional(),
    manufacturer: z.string().max(126).optional(),
    product: z.string().max(126).optional(),
    interfaces: z
      .array(z.object({ class: z.number().int(), subclass: z.number().int(), protocol: z.number().int() }))
      .max(32)
      .default([]),
    /** libusb cannot open it: "permission" (no udev rule) or "unreadable" (a broken device). */
    deny: z.enum(['permission', 'unreadable']).optional(),
    /** The serial port (a PTY in tests) that this device's USB-serial bridge provides. */
    tty: z.string().min(1).max(300).optional(),
    /** Plug without a hotplug event: libusb lost it; the next scan must still find it. */
    silent: z.boolean().default(false),
  })
  .strict();
export type TestUsbDeviceSpec = z.input<typeof testUsbDeviceSchema>;
type Spec = z.output<typeof testUsbDeviceSchema>;

function libusbError(errno: number, name: string): Error {
  return Object.assign(new Error(name), { errno });
}

class FakeUsbDevice implements UsbBackendDevice {
  readonly busNumber: number;
  readonly portNumbers: number[];
  readonly deviceDescriptor: UsbBackendDeviceDescriptor;
  private opened = false;
  private readonly strings: (string | undefined)[];

  constructor(
    readonly spec: Spec,
    readonly deviceAddress: number,
    private readonly counters: { openCount: number },
  ) {
    const [bus, chain] = spec.portPath.split('-') as [string, string];
    this.busNumber = Number(bus);
    this.portNumbers = chain.split('.').map(Number);
    this.strings = [undefined, spec.manufacturer, spec.product, spec.serialNumber];
    this.deviceDescriptor = {
      idVendor: spec.vendorId,
      idProduct: spec.productId,
      bDeviceClass: spec.deviceClass,
      iManufacturer: spec.manufacturer === undefined ? 0 : 1,
      iProduct: spec.product === undefined ? 0 : 2,
      iSerialNumber: spec.serialNumber === undefined ? 0 : 3,
    };
  }

  get configDescriptor() {
    return { interfaces: this.spec.interfaces.map((i) => [{ bInterfaceClass: i.class, bInterfaceSubClass: i.subclass, bInterfaceProtocol: i.protocol }]) };
  }

  open(): void {
    if (this.spec.deny === 'permission') throw libusbError(LIBUSB_ERROR.ACCESS, 'LIBUSB_ERROR_ACCESS');
    if (this.spec.deny === 'unreadable') throw libusbError(LIBUSB_ERROR.IO, 'LIBUSB_ERROR_IO');
    this.opened = true;
    this.counters.openCount++;
  }

  close(): void {
    if (!this.opened) throw libusbError(LIBUSB_ERROR.NOT_FOUND, 'device not open');
    this.opened = false;
    this.counters.openCount--;
  }

  getStringDescriptor(index: number, callback: (error?: Error, value?: string) => void): void {
    if (!this.opened) {
      queueMicrotask(() => callback(libusbError(LIBUSB_ERROR.IO, 'LIBUSB_ERROR_IO')));
      return;
    }
    const value = this.strings[index];
    setImmediate(() => callback(undefined, value));
  }
}

export class TestUsbBackend implements UsbBackend {
  private readonly emitter = new EventEmitter();
  private readonly devices = new Map<string, FakeUsbDevice>();
  private nextAddress = 2;
  /** Devices opened and not closed again: a test asserts it is back to 0. */
  readonly counters = { openCount: 0 };

  getDeviceList(): UsbBackendDevice[] {
    return [...this.devices.values()];
  }

  on(event: 'attach' | 'detach', listener: UsbHotplugListener): this {
    this.emitter.on(event, listener);
    return this;
  }

  removeListener(event: 'attach' | 'detach', listener: UsbHotplugListener): this {
    this.emitter.removeListener(event, listener);
    return this;
  }

  listenerCount(): number {
    return this.emitter.listenerCount('attach') + this.emitter.listenerCount('detach');
  }

  /** Plugs a device into a port; a device already in that port is unplugged first. */
  plug(input: TestUsbDeviceSpec): void {
    const spec = testUsbDeviceSchema.parse(input);
    if (this.devices.has(spec.portPath)) this.unplug(spec.portPath);
    const device = new FakeUsbDevice(spec, this.nextAddress++, this.counters);
    if (this.nextAddress > 127) this.nextAddress = 2;
    this.devices.set(spec.portPath, device);
    if (!spec.silent) this.emitter.emit('attach', device);
  }

  /** Unplugs the device in a port; false when the port was empty. */
  unplug(portPath: string, opts: { silent?: boolean } = {}): boolean {
    const device = this.devices.get(portPath);
    if (!device) return false;
    this.devices.delete(portPath);
    if (!opts.silent) this.emitter.emit('detach', device);
    return true;
  }

  /** The serial port a test device stands for, for the serial driver's port locator. */
  ttyFor(portPath: string): string | null {
    return this.devices.get(portPath)?.spec.tty ?? null;
  }

  list(): Spec[] {
    return [...this.devices.values()].map((d) => d.spec);
  }
}
