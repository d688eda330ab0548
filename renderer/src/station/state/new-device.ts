import type { DeviceView } from '../../../../shared/contract/station-api.js';

/**
 * The barcode a technician scans after putting another device on a fixed serial cable: the focused
 * serial tile's port is asked who is there now (issue 8 item 8). Printed on the bench's command sheet.
 */
export const NEW_DEVICE_CODE = 'NEW-DEVICE';

/** True when `code` (as the scanner typed it) is the "new device" command. */
export function isNewDeviceCode(code: string): boolean {
  return code.trim().toUpperCase() === NEW_DEVICE_CODE;
}

/**
 * The port to ask again for this tile's device, or null: only a serial device still on its port
 * can be swapped behind the station's back (USB tablets announce themselves by plugging).
 */
export function reidentifiablePort(device: DeviceView): string | null {
  return device.family === 'serial' && device.present && device.portPath ? device.portPath : null;
}
