import type { StepContext } from '../driver.js';
import { sleep } from '../step-errors.js';
import { propValue } from './device-output.js';

/** Who a tablet says it is (getprop), read when it attaches. */
export interface TabletIdentity {
  /** ro.serialno: the station tells tablets apart by it (the adb serial of a network device is HOST:PORT). */
  serial: string;
  manufacturer: string;
  model: string;
  /** ro.build.version.release ("14"). */
  osVersion: string | null;
  /** ro.build.version.sdk (34 on Android 14). */
  sdk: number | null;
}

/**
 * One attached tablet as the steps see it. The driver keeps it on the tablet's current adb
 * transport: after a reboot or an adb server restart the same object talks to the new one.
 */
export interface AndroidDevice {
  readonly identity: TabletIdentity;
  /** The adb server's name for the transport (USB serial, or HOST:PORT). */
  readonly adbSerial: string;
  readonly portPath: string;
  /** adbd's features on the current transport (`cmd`, `abb_exec`, `shell_v2`, ...). */
  features(): ReadonlySet<string>;
  /** Runs a shell command; resolves with everything it printed. Exit codes decide nothing on Android. */
  shell(command: string, signal: AbortSignal): Promise<string>;
  /** Writes a file into a raw service (`abb_exec:`, `exec:cmd ...`) and returns its answer. */
  streamFile(service: string, file: string, signal: AbortSignal, onBytes: (sent: number) => void): Promise<string>;
  push(file: string, remotePath: string, signal: AbortSignal, onBytes: (sent: number) => void): Promise<void>;
  reboot(signal: AbortSignal): Promise<void>;
  /** Counts the transports the tablet had in this attachment: a new one means it went and came back. */
  generation(): number;
  /** Resolves once the tablet left the transport of `generation` (rebooting, offline, unplugged). */
  whenLeft(generation: number, signal: AbortSignal): Promise<void>;
  /** Resolves once the tablet can take commands again and has booted (the tile says why it waits). */
  whenUsable(ctx: StepContext, signal: AbortSignal): Promise<void>;
}

/** `getprop KEY` on the tablet. */
export async function getprop(device: Pick<AndroidDevice, 'shell'>, key: string, signal: AbortSignal): Promise<string> {
  return propValue(await device.shell(`getprop ${key}`, signal));
}

/** Reads who the tablet is. */
export async function readIdentity(device: Pick<AndroidDevice, 'shell'>, fallbackSerial: string | null, signal: AbortSignal): Promise<TabletIdentity | null> {
  const serial = (await getprop(device, 'ro.serialno', signal)) || (await getprop(device, 'ro.boot.serialno', signal)) || fallbackSerial || '';
  if (!serial) return null;
  const sdk = Number.parseInt(await getprop(device, 'ro.build.version.sdk', signal), 10);
  return {
    serial,
    manufacturer: await getprop(device, 'ro.product.manufacturer', signal),
    model: await getprop(device, 'ro.product.model', signal),
    osVersion: (await getprop(device, 'ro.build.version.release', signal)) || null,
    sdk: Number.isFinite(sdk) ? sdk : null,
  };
}

/** Whether Android finished booting (`sys.boot_completed` is 1: package manager and settings answer). */
export async function bootCompleted(device: Pick<AndroidDevice, 'shell'>, signal: AbortSignal): Promise<boolean> {
  return (await getprop(device, 'sys.boot_completed', signal)) === '1';
}

/** Polls until the tablet has booted. */
export async function untilBooted(device: Pick<AndroidDevice, 'shell'>, pollMs: number, signal: AbortSignal): Promise<void> {
  while (!(await bootCompleted(device, signal))) await sleep(pollMs, signal);
}
