import type { UsbDriverFamily } from './usb-ids.js';
import type { UsbDeviceInfo } from './usb-watcher.js';

export interface UsbPortListener {
  attached(device: UsbDeviceInfo): void;
  detached(device: UsbDeviceInfo): void;
}

/**
 * The USB devices the bench's watcher saw, for a driver with no enumerator of its own: a USB-serial
 * bridge is only a tty, so the serial driver subscribes here. Drivers with a daemon that enumerates
 * (usbmuxd, the adb server) do not subscribe; they report their devices with the port path themselves.
 */
export class UsbPortFeed {
  private readonly listeners = new Map<UsbDriverFamily, UsbPortListener>();

  /** One listener per family; returns the unsubscribe. */
  subscribe(family: UsbDriverFamily, listener: UsbPortListener): () => void {
    this.listeners.set(family, listener);
    return () => {
      if (this.listeners.get(family) === listener) this.listeners.delete(family);
    };
  }

  /** Hands a device routed to a family to its listener; false when none listens. */
  attached(family: UsbDriverFamily, device: UsbDeviceInfo): boolean {
    const listener = this.listeners.get(family);
    listener?.attached(device);
    return listener !== undefined;
  }

  detached(family: UsbDriverFamily, device: UsbDeviceInfo): void {
    this.listeners.get(family)?.detached(device);
  }
}
