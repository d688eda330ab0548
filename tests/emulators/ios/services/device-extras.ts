import type { EmulatedIpadState } from '../emulated-ipad.js';

/**
 * What the services keep about a device beyond EmulatedIpadState (whose shape the emulator, the
 * transport and the lead's tests share): AFC's empty directories, profiles stored for after Setup
 * Assistant, the pending activation session, and an erase counter that lets work begun before an
 * erase (an install) notice that the device it started on is gone. An erase replaces all of it.
 */
export interface DeviceExtras {
  /** Directories made through AFC MakeDir (a file's parent directories exist implicitly). */
  directories: Set<string>;
  /** StoreProfile{Purpose}: profile bytes by purpose ("PostSetupInstallation"). */
  storedProfiles: Map<string, Buffer>;
  /** The last CreateTunnel1SessionInfoRequest's handshake message, until the session is used. */
  activationHandshake: Buffer | null;
  /** The ActivationRandomness of the last activation info handed out, which the record must carry. */
  activationRandomness: string | null;
  /** Bumped by every erase. */
  generation: number;
}

const extrasByDevice = new WeakMap<EmulatedIpadState, DeviceExtras>();

export function extrasOf(device: EmulatedIpadState): DeviceExtras {
  let extras = extrasByDevice.get(device);
  if (!extras) {
    extras = { directories: new Set(), storedProfiles: new Map(), activationHandshake: null, activationRandomness: null, generation: 0 };
    extrasByDevice.set(device, extras);
  }
  return extras;
}

/** Forgets everything the services kept about the device (erase). */
export function resetExtras(device: EmulatedIpadState): void {
  const generation = extrasOf(device).generation + 1;
  extrasByDevice.set(device, { directories: new Set(), storedProfiles: new Map(), activationHandshake: null, activationRandomness: null, generation });
}
