/**
 * How long a real iPad takes for what the emulated services do, in real-device milliseconds. Every
 * figure is ASSUMED: nobody here has timed a real device (DEVICES.md marks erase, prepare and install
 * durations unconfirmed), so they are plausible orders of magnitude from practitioners' reports
 * (Apple Configurator users: 10-15 minutes per iPad with enrollment; go-ios #400: USB 2 moves
 * 30-35 MB/s). The services divide them by the emulator's speed through `env.scaled()`, so a bench
 * at speed 1 takes what a real bench would.
 */
export const REAL_DEVICE_MS = {
  /** EraseDevice acknowledged -> the device leaves the bus. */
  eraseBegins: 1_000,
  /** The device away while it erases, until it is back in Setup Assistant. */
  eraseAway: 180_000,
  /** diagnostics_relay Restart: away until lockdownd answers again. */
  restartAway: 45_000,
  /** Restart/Shutdown with WaitForDisconnect when the client never disconnects. */
  waitForDisconnectAtMost: 10_000,
  /** Shutdown acknowledged -> the device leaves the bus (and stays away until replugged). */
  shutdownBegins: 1_000,
  /** MCInstall requests. */
  profileInstall: 800,
  profileInstallSilent: 1_200,
  profileRemove: 600,
  setCloudConfiguration: 1_500,
  /** mobileactivationd: session blob, activation info, applying the record. */
  activationSession: 300,
  activationInfo: 600,
  activationApply: 2_500,
  /** installation_proxy Install: the fixed part, plus the part that grows with the package. */
  appInstallBase: 6_000,
  appInstallPerMiB: 120,
  appUninstall: 2_000,
} as const;

/** What one USB 2 port carries for AFC uploads (go-ios #400: 30-35 MB/s in practice). */
export const USB_UPLOAD_BYTES_PER_SECOND = 30 * 1_000_000;
