import type { EmulatedIpadState } from '../emulated-ipad.js';
import { resetExtras } from './device-extras.js';

/** The name an iPad has after "Erase All Content and Settings". */
export const FACTORY_DEVICE_NAME = 'iPad';

/**
 * What an erase leaves of a device: the hardware (identity, battery, USB slot) and Activation Lock,
 * which Apple's server holds, not the device. Everything the user or a host put on it goes: profiles,
 * apps, files, the cloud configuration (supervision), the name, activation, and the pair records —
 * lockdownd keeps the hosts it trusts in its data partition, which the erase wipes, so every host must
 * pair again (assumed from how libimobiledevice reports InvalidHostID after a restore/erase).
 */
export function eraseDeviceState(device: EmulatedIpadState): void {
  device.profiles.clear();
  device.apps.clear();
  device.files.clear();
  device.pairedHosts.clear();
  device.cloudConfiguration = null;
  device.deviceName = FACTORY_DEVICE_NAME;
  device.setupDone = false;
  device.activationState = 'Unactivated';
  resetExtras(device);
}
