/**
 * Real-device durations the emulator's core uses, in real milliseconds; the emulator divides each by
 * its speed factor (EmulatorEnv.scaled). None of these was measured on a real iPad here: they are
 * what practitioners describe and what the usbmuxd sources imply (assumed, listed in the report).
 * The services (EMU-SERVICES) keep their own table beside their code.
 */
export const CORE_TIMINGS_MS = {
  /** From plugging in (or the end of a reboot) until usbmuxd reports Attached: USB enumeration plus usbmuxd's version/serial queries. */
  plugToAttached: 1_500,
  /** From usbmuxd (re)starting until it reports the devices already on the bus. */
  usbmuxdStartToAttached: 1_000,
  /** A StartService port waits this long for its one connection, then closes (lockdownd forgets unused ports). */
  servicePortIdle: 30_000,
} as const;

/** Scales a real-device duration by the speed factor; never below 0 ms. */
export function scaleMs(realMs: number, speed: number): number {
  return Math.max(0, Math.round(realMs / speed));
}
