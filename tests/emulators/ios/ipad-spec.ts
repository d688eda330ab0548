import type { EmulatedIpadSpec } from './emulated-ipad.js';

/**
 * Deterministic specs for emulated iPads: device i always has the same UDID, serial and USB port,
 * so tests and the bench can name them. An iPad 10th generation (Wi-Fi) on iPadOS 17.5.1, activated,
 * set up, not Activation-Locked, charging, whose user taps Trust after 4 s.
 */

/** usbmuxd's LocationID in the macOS form for slot i: bus in the top byte, then one nibble per hub port (16 slots per bus, 4 hubs of 4 ports). */
export function slotLocationId(slot: number): number {
  const bus = 1 + Math.floor(slot / 16);
  const withinBus = slot % 16;
  const hubPort = 1 + Math.floor(withinBus / 4);
  const port = 1 + (withinBus % 4);
  return ((bus << 24) | (hubPort << 20) | (port << 16)) >>> 0;
}

export function makeIpadSpec(slot: number, overrides: Partial<EmulatedIpadSpec> = {}): EmulatedIpadSpec {
  const ordinal = slot + 1;
  return {
    udid: `00008101-000E${ordinal.toString(16).toUpperCase().padStart(12, '0')}`,
    serialNumber: `DMPV${ordinal.toString(36).toUpperCase().padStart(6, '0')}`,
    productType: 'iPad13,18',
    productVersion: '17.5.1',
    buildVersion: '21F90',
    deviceName: 'iPad',
    locationId: slotLocationId(slot),
    batteryPercent: 40 + ((slot * 17) % 60),
    chargeSecondsPerPercent: 90,
    activationState: 'Activated',
    activationLocked: false,
    trustAfterSeconds: 4,
    setupDone: true,
    ...overrides,
  };
}

/**
 * Device i as iPads arrive at a rollout: every other one fresh from the box (Setup Assistant, not
 * activated), the rest used last year (set up, activated, the user taps Trust).
 */
export function rolloutIpadSpec(slot: number): EmulatedIpadSpec {
  return makeIpadSpec(slot, slot % 2 === 0 ? { setupDone: false, activationState: 'Unactivated', batteryPercent: 60 } : { batteryPercent: 70 });
}
