import type { BlueprintStep, StepType } from '../../shared/blueprint/schema.js';
import type { DeviceFamily, Platform, WaitReason } from '../../shared/contract/run-state.js';
import type { PortNoticeKind } from '../../shared/contract/station-api.js';
import type { Message } from '../../shared/messages/catalogue.js';

/** A device a driver has found on a port. */
export interface AttachedDevice {
  serial: string;
  family: DeviceFamily;
  platform: Platform;
  model: string;
  osVersion: string | null;
  /** Physical port path (e.g. "1-4.2"), mapped to a bench slot by the layout. */
  portPath: string;
}

/**
 * Something at a port that is not (or not yet) a device the pipeline can enroll: a device being
 * identified, one that does not answer, an unsupported or unreadable USB device. The technician
 * sees it as a tile in the port's slot, with the message saying what to do.
 */
export interface PortNotice {
  portPath: string;
  kind: PortNoticeKind;
  /** English, for the log and clients that do not read `text`. */
  message: string;
  /** What the technician reads, from the catalogue; absent where a driver has not moved to it yet. */
  text?: Message;
  /** The USB ids of what is at the port, when it came over USB. */
  usb: PortUsbIds | null;
}

/** What a notice shows of a USB device: its ids and strings (the watcher's UsbDeviceInfo has them). */
export interface PortUsbIds {
  vendorId: number;
  productId: number;
  serialNumber: string | null;
  manufacturer: string | null;
  product: string | null;
}

export interface DriverEvents {
  attached(device: AttachedDevice): void;
  detached(serial: string): void;
  /** Shows (or replaces) the notice tile of a port. */
  notice?(notice: PortNotice): void;
  /** Removes a port's notice tile (the device was identified, or left). */
  noticeCleared?(portPath: string): void;
}

/** A station secret's value by kind (main/secrets/); only the store and a step's ctx.secret() ever hold one. */
export type SecretValue =
  | { kind: 'identity'; certificatePem: string; privateKeyPem: string }
  | { kind: 'wifi'; password: string; ssid?: string }
  | { kind: 'token'; token: string }
  | { kind: 'text'; text: string };

/** Everything a driver gets to carry out one step on one device. */
export interface StepContext {
  runId: string;
  serial: string;
  step: BlueprintStep;
  /** 1 for the first try of this step in this run, counting automatic and technician retries. */
  attempt: number;
  captured: Readonly<Record<string, string>>;
  /** The name the device gets in rename steps, already rendered from the template. */
  deviceName: string | null;
  /** The bench slot the device is in now ("A7"), for instructions on its tile; null or absent when its port has no slot. */
  slot?: string | null;
  /** Aborted when the step times out, the run is cancelled or the device leaves. */
  signal: AbortSignal;
  /** Shows the run as waiting (with the instruction) until `until` settles. */
  waitFor<T>(reason: WaitReason, message: Message | string, until: Promise<T>): Promise<T>;
  /**
   * Waits for the technician to confirm (a scan or a key on the tile); the confirmation goes through
   * the run's machine. A catalogue message reaches the tile with its params (the renderer reads
   * them, e.g. a QR payload).
   */
  confirmByTechnician(message: Message | string): Promise<void>;
  /** Reports how far the step is (an image copy, an OS update); call it as often as convenient, the pipeline throttles. */
  progress?(report: StepProgress): void;
  /**
   * The device is about to leave and come back (erase, reboot, OS update): from now on its leaving
   * completes this step, and the run goes on at the next step when the same serial returns, until
   * the step's deadline. Call it before the command that makes the device go.
   */
  expectReattach?(): void;
  /**
   * A heavy step's part that needs its lane is over (an app's upload: the device installing it
   * moves nothing over USB): the lane goes to the next device in line while the step goes on.
   */
  laneDone?(): void;
  log(message: string): void;
  /**
   * A secret the blueprint names (`secret: wifi-school`), read when the step needs it. Fails the
   * step with a message naming the secret when the station does not have it. The value goes to the
   * device only: what the step logs or reports is redacted, but a driver must not echo it anyway.
   */
  secret?(name: string): Promise<SecretValue>;
  /**
   * The library file a step installs (an IPA, an APK, a profile), by the blueprint's identifier and
   * optional version: its path on disk (read-only, named by content hash) and what the library read
   * from it. Fails the step with "not in the library" when the station lacks it.
   */
  libraryItem?(ref: LibraryItemRef): Promise<LibraryFile>;
}

/** What a step names of a library item. */
export interface LibraryItemRef {
  kind: 'ipa' | 'apk' | 'profile' | 'file';
  identifier: string;
  version?: string | null | undefined;
}

/** A library item a step may read: the stored file and its facts (shared/contract/library-api.ts). */
export interface LibraryFile {
  path: string;
  identifier: string;
  version: string | null;
  displayName: string | null;
  sha256: string;
  size: number;
  /** An APK's manifest versionCode (what "already installed" compares); absent for other kinds. */
  versionCode?: number | null;
  /** SHA-256 (hex) of an APK's signing certificate, from its v1 signature; null when unsigned or unreadable. */
  signerSha256?: string | null;
  /**
   * The other parts of a split APK (configuration splits of the same package and version), when
   * the library holds them; `path` is the base APK. Absent or empty for a single APK.
   */
  splits?: readonly LibrarySplitFile[];
}

/** One configuration split of an APK in the library. */
export interface LibrarySplitFile {
  path: string;
  /** The manifest's `split` name ("config.arm64_v8a"). */
  split: string;
  sha256: string;
  size: number;
}

/** How far a long step is; shown on the tile, never persisted (a restarted step starts again at 0). */
export interface StepProgress {
  /** 0 to 100. */
  percent: number;
  bytes?: number;
  total?: number;
  bytesPerSecond?: number;
}

export interface StepOutcome {
  /** Values read from the device (serial number, firmware, name), kept on the run for later steps and labels. */
  captured?: Record<string, string>;
  message?: string;
}

/**
 * One driver per device family. A driver finds its own devices (usbmuxd, the adb server, a serial
 * port) and reports each with its port path; the bench layout maps that to a slot. The pipeline
 * only calls executeStep; it never knows which driver it drives. Drivers report failures with the
 * errors in step-errors.ts.
 */
export interface DeviceDriver {
  readonly family: DeviceFamily;
  start(events: DriverEvents): Promise<void>;
  stop(): Promise<void>;
  executeStep(ctx: StepContext): Promise<StepOutcome>;
  /**
   * True for a driver that only pretends to install (the simulator): its runs start even when the
   * library lacks an app or profile the blueprint names, with a warning. Every real driver installs
   * from the library, so a run whose item is missing is refused before it starts.
   */
  readonly installsWithoutLibrary?: boolean;
  /**
   * The step types this driver runs: a blueprint with any other step is refused before its run
   * starts (the station itself runs print-label).
   */
  readonly supportedSteps: ReadonlySet<StepType>;
}
