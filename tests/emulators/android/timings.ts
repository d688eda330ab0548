/**
 * Real-device durations the emulator assumes, in seconds (none measured on a bench: each is a
 * planning figure for an Android 14 tablet on USB 2, to be replaced by the shift log's step
 * durations). The emulator divides them by its speed factor.
 */
export const REAL_SECONDS = {
  /** Any shell command: fork of sh + the binder call. */
  shellCommand: 0.05,
  /** `pm`/`cmd package` list/dump/path: the package service answering. */
  packageQuery: 0.3,
  /** Verifying and installing one APK, before dexopt (which grows with size, below). */
  installBase: 3,
  /** Install time per MiB of APK (verification and dexopt). */
  installPerMiB: 0.4,
  /** `pm uninstall`. */
  uninstall: 1.5,
  /** `dpm set-device-owner` (activates the admin, writes the owner, finalizes user setup). */
  setDeviceOwner: 1.5,
  /** `settings put` / `get`. */
  settings: 0.1,
  /** `cmd wifi connect-network` until the supplicant has the network (the command returns at once). */
  wifiAssociate: 4,
  /** `reboot:` until adbd listens again (kernel, init, adbd). */
  rebootAdbdUp: 25,
  /** `reboot:` until sys.boot_completed=1 (the framework, the launcher). */
  rebootBootCompleted: 45,
  /** Bytes per second adb moves over USB 2 (push, streamed install). */
  usbBytesPerSecond: 30 * 1024 * 1024,
  /** A charging tablet gains one percent of battery in this many seconds. */
  chargeSecondsPerPercent: 60,
} as const;
