/**
 * usbmuxd's LocationID says where a device is plugged in, in one of two forms:
 *
 * - macOS (and the emulator): the USB location ID, bus in the top byte and then one nibble per hub
 *   port from the root, 0 ending the chain: 0x01120000 is bus 1, port 1, then port 2 ("1-1.2").
 * - Linux usbmuxd 1.1.1 (src/usb.c, usb_get_location): `(bus << 16) | address`, the bus and the
 *   device's USB address. The address is not a port (it changes on every re-plug), so it is mapped
 *   to the port path through the bench's USB watcher, which knows both (usb-address-ports.ts).
 *
 * Port paths take Linux's sysfs form "bus-port.port", as the USB watcher writes them, so a slot
 * learned through either matches, and the lanes read the bus from the front of the path.
 */
export type UsbLocation = { form: 'ports'; bus: number; ports: number[] } | { form: 'address'; bus: number; address: number };

export function decodeLocationId(locationId: number | null): UsbLocation | null {
  if (locationId === null || !Number.isInteger(locationId) || locationId <= 0 || locationId > 0xffffffff) return null;
  const top = locationId >>> 24;
  if (top !== 0) {
    const ports: number[] = [];
    for (let shift = 20; shift >= 0; shift -= 4) {
      const port = (locationId >>> shift) & 0xf;
      if (port === 0) break;
      ports.push(port);
    }
    return ports.length > 0 ? { form: 'ports', bus: top, ports } : null;
  }
  const bus = (locationId >>> 16) & 0xff;
  const middle = (locationId >>> 8) & 0xff;
  const address = locationId & 0xff;
  if (bus === 0 || middle !== 0 || address === 0) return null;
  return { form: 'address', bus, address };
}

/** "1-1.2" for the ports form. */
export function portPathOfPorts(bus: number, ports: readonly number[]): string {
  return `${bus}-${ports.join('.')}`;
}

/** The path the USB watcher gives a device whose ports it cannot read; stable only while the device stays plugged in. */
export function portPathOfAddress(bus: number, address: number): string {
  return `${bus}-addr${address}`;
}

/** A port path for a LocationID nobody can read (Windows' service, an unknown form): per device, so its tile still has a place. */
export function portPathOfUnknown(locationId: number | null, udid: string): string {
  return locationId === null ? `usbmux-${udid}` : `usbmux-loc${locationId.toString(16)}`;
}
