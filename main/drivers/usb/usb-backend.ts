/**
 * The boundary to the `usb` package (libusb): the part of its API the watcher uses, typed
 * structurally so a test can stand in for it. Nothing else in Benchline imports `usb`.
 */
import { AppError } from '../../../shared/contract/errors.js';
import { message, type Message } from '../../../shared/messages/catalogue.js';
import type * as UsbModule from 'usb';

export interface UsbBackendDeviceDescriptor {
  idVendor: number;
  idProduct: number;
  bDeviceClass: number;
  iManufacturer: number;
  iProduct: number;
  iSerialNumber: number;
}

export interface UsbBackendInterfaceDescriptor {
  bInterfaceClass: number;
  bInterfaceSubClass: number;
  bInterfaceProtocol: number;
}

/** The slice of `usb.Device` the watcher reads. */
export interface UsbBackendDevice {
  busNumber: number;
  deviceAddress: number;
  /** Port chain from the root hub; undefined where the platform cannot tell. */
  portNumbers: number[] | undefined;
  deviceDescriptor: UsbBackendDeviceDescriptor;
  /** Throws or is undefined when the platform cannot read it without opening the device. */
  readonly configDescriptor: { interfaces: UsbBackendInterfaceDescriptor[][] } | undefined;
  open(defaultConfig?: boolean): void;
  close(): void;
  getStringDescriptor(index: number, callback: (error?: Error, value?: string) => void): void;
}

export type UsbHotplugListener = (device: UsbBackendDevice) => void;

/** The slice of the `usb` module object (`import { usb } from 'usb'`) the watcher uses. */
export interface UsbBackend {
  getDeviceList(): UsbBackendDevice[];
  on(event: 'attach' | 'detach', listener: UsbHotplugListener): unknown;
  removeListener(event: 'attach' | 'detach', listener: UsbHotplugListener): unknown;
}

/** libusb's error numbers the watcher tells apart (libusb.h). */
export const LIBUSB_ERROR = {
  IO: -1,
  ACCESS: -3,
  NO_DEVICE: -4,
  NOT_FOUND: -5,
  BUSY: -6,
  TIMEOUT: -7,
} as const;

/** libusb cannot start here: the station runs without USB devices until an admin fixes it. */
export class UsbUnavailableError extends AppError {
  override name = 'UsbUnavailableError';
  constructor(text: Message<'usb.library-missing' | 'usb.init-failed'>) {
    super('unavailable', text);
  }
}

/**
 * Loads the real `usb` package. Fails with a message a technician's admin can act on when libusb
 * cannot start (no USB stack, missing native module).
 */
export async function loadLibusbBackend(): Promise<UsbBackend> {
  let mod: typeof UsbModule;
  try {
    mod = await import('usb');
  } catch (err) {
    throw new UsbUnavailableError(message('usb.library-missing', { detail: (err as Error).message }));
  }
  const usb = mod.usb as unknown as UsbBackend & { INIT_ERROR?: number };
  if (usb.INIT_ERROR) throw new UsbUnavailableError(message('usb.init-failed'));
  return usb;
}

/** "1-4.2": bus, then the port chain, as Linux names USB devices in sysfs. */
export function usbPortPath(busNumber: number, portNumbers: readonly number[] | undefined, deviceAddress: number): string {
  if (!portNumbers || portNumbers.length === 0) return `${busNumber}-addr${deviceAddress}`;
  return `${busNumber}-${portNumbers.join('.')}`;
}
