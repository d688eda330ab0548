import type { Duplex } from 'node:stream';

/**
 * One emulated iPad: what it is, what it holds, and how it behaves. The usbmuxd server and
 * lockdownd (ipad-emulator.ts, lockdown/) own attach/detach, pairing and sessions; the services
 * (services/) read and change this state. Timings are real-device seconds divided by the
 * emulator's speed factor (EmulatorEnv.scaled).
 */

export interface InstalledProfile {
  identifier: string;
  displayName: string;
  /** The .mobileconfig as sent (signed or not). */
  payload: Buffer;
  /** False while a non-silently installed profile waits for the user's approval in Settings. */
  approved: boolean;
  /** Installed through InstallProfileSilent / by the supervisor. */
  silent: boolean;
}

export interface InstalledApp {
  bundleId: string;
  version: string;
  displayName: string;
}

/** Faults a test switches on per device; each fires as documented on its field. */
export interface EmulatedFaults {
  /** The user taps "Don't Trust": Pair answers UserDeniedPairing (after the prompt showed). */
  denyTrust?: boolean;
  /** The device has a passcode: Pair answers PasswordProtected until cleared. */
  passcode?: boolean;
  /** Bundle ids whose Install fails with ApplicationVerificationFailed. */
  failVerification?: string[];
  /** The device is unplugged once when an AFC upload of a file under PublicStaging/ reaches this share (0..1); cleared after it fires. */
  unplugDuringUploadAt?: number;
  /** Profiles installed non-silently wait for approval until approveProfiles() is called. */
  profilesNeedApproval?: boolean;
}

export interface EmulatedIpadSpec {
  udid: string;
  serialNumber: string;
  /** e.g. "iPad13,18" (iPad 10th generation). */
  productType: string;
  productVersion: string;
  buildVersion: string;
  deviceName: string;
  /** usbmuxd's LocationID: bus in the top byte, then one nibble per hub port (macOS form), e.g. 0x01120000 = bus 1, ports 1.2. */
  locationId: number;
  batteryPercent: number;
  /** Battery rises by one percent per this many real seconds while charging (0: stays). */
  chargeSecondsPerPercent: number;
  activationState: 'Unactivated' | 'Activated';
  /** Find My / Activation Lock: com.apple.fmip IsAssociated. */
  activationLocked: boolean;
  /** Seconds until the user taps Trust after the prompt shows. */
  trustAfterSeconds: number;
  /** Whether the device is past Setup Assistant (false after an erase, until supervise finishes setup). */
  setupDone: boolean;
}

export interface EmulatedIpadState extends EmulatedIpadSpec {
  /** The cloud configuration (supervision); null when none is set. */
  cloudConfiguration: Record<string, unknown> | null;
  profiles: Map<string, InstalledProfile>;
  apps: Map<string, InstalledApp>;
  /** AFC file system (paths relative to the media root, e.g. "PublicStaging/app.ipa"). */
  files: Map<string, Buffer>;
  /** HostIDs the device trusts (pair records it accepted), with the host certificate (PEM). */
  pairedHosts: Map<string, { hostCertificatePem: string; rootCertificatePem: string }>;
  faults: EmulatedFaults;
}

/** What the emulator gives a service handler besides the device. */
export interface EmulatorEnv {
  /** Real-device milliseconds scaled by the speed factor. */
  scaled(realMs: number): number;
  /** The activation server's URL (the stub in tests), for mobileactivationd. */
  activationUrl: string | null;
  /** Unplugs the device (usbmuxd Detached; every connection to it closes). */
  unplug(): void;
  /** The device leaves the bus now and comes back after `realMs` (scaled) as a new attachment (erase, restart). */
  reboot(realMs: number, beforeReturn?: () => void): void;
  log(message: string): void;
}

/** One service connection, after StartService (and the service's TLS when it asked for it). */
export type ServiceHandler = (stream: Duplex, device: EmulatedIpadState, env: EmulatorEnv) => void;
