// Over 400 lines on purpose: one class owns a port's whole life (presence, identifying, the
// presence check, turns on the port), and splitting it would spread that state over modules.
// What each step type does is in serial-steps.ts.
import fs from 'node:fs';
import { DEFAULT_SERIAL_ERROR_PATTERN } from '../../../shared/blueprint/schema.js';
import type { LogLevel } from '../../logging/logger.js';
import type { AttachedDevice, DeviceDriver, DriverEvents, StepContext, StepOutcome } from '../driver.js';
import { message, type Message } from '../../../shared/messages/catalogue.js';
import { formatMessage } from '../../../shared/messages/format.js';
import { DeviceGoneError, StepAbortedError, StepFailedError } from '../step-errors.js';
import { formatUsbId } from '../usb/usb-ids.js';
import type { UsbPortFeed } from '../usb/usb-port-feed.js';
import type { UsbDeviceInfo } from '../usb/usb-watcher.js';
import { systemSerialPortLocator, type SerialPortLocator } from './port-locator.js';
import { SerialGoneError, SerialLink, SerialOpenError, type SerialSettings } from './serial-link.js';
import { SerialScriptError, runSerialScript, type SerialScriptLine } from './serial-script.js';
import { SERIAL_STEPS, runSerialStep, type SerialScriptRunner } from './serial-steps.js';
import { backoffDelay } from '../../../shared/backoff.js';

/** How a device tells who it is: the identify step of the station's serial blueprint. */
export interface SerialIdentifyScript {
  port: SerialSettings;
  script: readonly SerialScriptLine[];
  /** The identify step's error answers; "^ERROR" when unset, false for none. */
  errorPattern?: string | false | undefined;
}

export interface SerialDriverOptions {
  /** Fixed serial ports (RS-232, pseudo-terminals) watched for presence; their tty path is their port path. */
  staticPorts?: readonly string[];
  /** The identify script of the current serial blueprint, or null when it has none. */
  identifyScript(): SerialIdentifyScript | null;
  /** The USB-serial bridges the bench's watcher sees (a bridge is only a tty: nothing else enumerates it). */
  usbPorts?: UsbPortFeed;
  /** Finds the tty of a USB-serial device; the system's (sysfs, SerialPort.list) by default. */
  locator?: SerialPortLocator;
  /** How often fixed ports are checked for presence. */
  pollMs?: number;
  /** How long to look for the tty of a USB device that just arrived (udev creates it a moment later). */
  locateTimeoutMs?: number;
  /** First delay before identifying a silent device again; doubles up to a minute. */
  retryMs?: number;
  /**
   * How often an idle device identified by its script is asked again who it is (0: never). On a
   * fixed port nothing else tells that one device was taken off the cable and another put on: the
   * port stays. A device that stops answering twice in a row has left; another serial number is
   * another device.
   */
  presenceMs?: number;
  log?: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
}

/** Presence checks in a row a device may miss (a reboot between steps) before it counts as gone. */
const MISSES_BEFORE_GONE = 2;

/** Who a device on a port says it is. */
interface Identity {
  serial: string;
  model: string;
  osVersion: string | null;
  byScript: boolean;
}

/** A device identified on a port, for as long as it answers there. */
interface SerialDevice {
  serial: string;
  model: string;
  osVersion: string | null;
  /** Aborted when the device leaves: every step on it stops at once. */
  presence: AbortController;
  /** True when the serial number came from the identify script (not from the USB iSerial). */
  identifiedByScript: boolean;
}

/** A port that is there (a USB-serial device plugged in, or a fixed port that exists). */
interface PortState {
  portPath: string;
  usb: UsbDeviceInfo | null;
  tty: string | null;
  device: SerialDevice | null;
  /** Aborted when the port goes away: stops identifying and retries. */
  present: AbortController;
  retryTimer: NodeJS.Timeout | null;
  retryAttempt: number;
  identifying: Promise<void> | null;
  /** Steps, identify runs and presence checks take turns on the port: one opener at a time. */
  turn: Promise<unknown>;
  /** Steps running on the port now, and when one last ended: presence checks wait for quiet. */
  stepsRunning: number;
  lastUsed: number;
  presenceTimer: NodeJS.Timeout | null;
  checking: Promise<void> | null;
  /** Presence checks in a row the device did not answer. */
  misses: number;
  /** A fixed port's tty node: another node at the same path (a PTY made anew) is another connection. */
  node: string | null;
}

/**
 * The serial driver: devices behind USB-serial bridges (routed here by the USB watcher) and fixed
 * ports. When a port appears it opens it with the blueprint's settings, runs the identify script to
 * learn the device's serial number and reports the device; steps then run send/expect scripts on
 * the port. Every step opens the port and closes it again, whatever happens.
 */
export class SerialDriver implements DeviceDriver {
  readonly family = 'serial' as const;
  readonly supportedSteps = SERIAL_STEPS;
  private unsubscribeUsb: (() => void) | null = null;
  private events: DriverEvents | null = null;
  private readonly ports = new Map<string, PortState>();
  private readonly bySerial = new Map<string, PortState>();
  private readonly locator: SerialPortLocator;
  private readonly staticPorts: readonly string[];
  private pollTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SerialDriverOptions) {
    this.locator = opts.locator ?? systemSerialPortLocator();
    this.staticPorts = opts.staticPorts ?? [];
  }

  async start(events: DriverEvents): Promise<void> {
    this.events = events;
    this.unsubscribeUsb =
      this.opts.usbPorts?.subscribe('serial', { attached: (usb) => this.usbAttached(usb), detached: (usb) => this.usbDetached(usb) }) ?? null;
    if (this.staticPorts.length > 0) {
      this.pollStaticPorts();
      this.pollTimer = setInterval(() => this.pollStaticPorts(), this.opts.pollMs ?? 500);
    }
    // Ports present at start are identified before the station restores runs, so they resume; a
    // device that does not answer does not hold up the station for longer than a few seconds.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.ports.values()].flatMap((p) => p.identifying ?? [])),
      new Promise((resolve) => (timer = setTimeout(resolve, 10_000))),
    ]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.unsubscribeUsb?.();
    this.unsubscribeUsb = null;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    const pending = [...this.ports.values()].flatMap((p) => [p.identifying, p.checking]).filter((work) => work !== null);
    for (const port of [...this.ports.values()]) this.removePort(port, false);
    this.events = null;
    await Promise.allSettled(pending);
  }

  /** Devices identified and present, for diagnostics and tests. */
  list(): { serial: string; portPath: string; tty: string | null }[] {
    return [...this.bySerial.values()].map((p) => ({ serial: p.device?.serial ?? '', portPath: p.portPath, tty: p.tty }));
  }

  /**
   * A technician's "new device on this port": asks the port who is there now. Another serial
   * number replaces the device; no answer removes it (and identifying goes on until one answers).
   * False when the driver does not know the port.
   */
  reidentify(portPath: string): boolean {
    const port = this.ports.get(portPath);
    if (!port) return false;
    this.log('info', `identifying the device at ${portPath} again (asked by the technician)`);
    if (port.device) {
      if (!port.checking) port.checking = this.checkPresence(port, true).finally(() => (port.checking = null));
    } else {
      port.retryAttempt = 0;
      this.identifySoon(port, 0);
    }
    return true;
  }

  // ---- presence --------------------------------------------------------------------------------

  private usbAttached(usb: UsbDeviceInfo): void {
    const existing = this.ports.get(usb.portPath);
    if (existing) this.removePort(existing, true);
    const port = this.addPort(usb.portPath, usb, null);
    this.identifySoon(port, 0);
  }

  private usbDetached(usb: UsbDeviceInfo): void {
    const port = this.ports.get(usb.portPath);
    if (port && port.usb?.id === usb.id) this.removePort(port, true);
  }

  private pollStaticPorts(): void {
    for (const tty of this.staticPorts) {
      const node = ttyNode(tty);
      let port = this.ports.get(tty);
      // The port closed and opened again between two polls: whoever is there now is identified anew.
      if (port && node !== port.node) {
        this.removePort(port, true);
        port = undefined;
      }
      if (node && !port) {
        port = this.addPort(tty, null, tty);
        port.node = node;
        this.identifySoon(port, 0);
      }
    }
  }

  private addPort(portPath: string, usb: UsbDeviceInfo | null, tty: string | null): PortState {
    const port: PortState = {
      portPath,
      usb,
      tty,
      device: null,
      present: new AbortController(),
      retryTimer: null,
      retryAttempt: 0,
      identifying: null,
      turn: Promise.resolve(),
      stepsRunning: 0,
      lastUsed: Date.now(),
      presenceTimer: null,
      checking: null,
      misses: 0,
      node: null,
    };
    const every = this.opts.presenceMs ?? 5000;
    if (every > 0) port.presenceTimer = setInterval(() => this.presenceTick(port, every), every);
    this.ports.set(portPath, port);
    return port;
  }

  private presenceTick(port: PortState, every: number): void {
    const device = port.device;
    if (!device?.identifiedByScript || port.checking || port.stepsRunning > 0 || Date.now() - port.lastUsed < every) return;
    port.checking = this.checkPresence(port, false).finally(() => (port.checking = null));
  }

  /** Asks the device on a port who it is; another answer is another device, silence (twice) none. */
  private async checkPresence(port: PortState, asked: boolean): Promise<void> {
    const device = port.device;
    if (!device) return;
    const signal = port.present.signal;
    try {
      const identity = await this.readIdentity(port, signal, false);
      if (signal.aborted || port.device !== device) return;
      port.misses = 0;
      if (identity?.serial === device.serial) return;
      this.log('info', `${identity ? `device ${identity.serial}` : 'a device without serial number'} answers on ${port.portPath}, no longer ${device.serial}`);
      this.deviceGone(port, true);
      if (identity) this.adopt(port, identity);
    } catch (err) {
      if (signal.aborted || port.device !== device) return;
      // Someone else has the port open: that says nothing about the device.
      if (err instanceof SerialOpenError && err.problem === 'busy') return;
      port.misses++;
      if (!asked && port.misses < MISSES_BEFORE_GONE) return;
      this.deviceGone(port, true);
      this.identifyFailed(port, err);
    }
  }

  private removePort(port: PortState, notify: boolean): void {
    if (this.ports.get(port.portPath) !== port) return;
    this.ports.delete(port.portPath);
    port.present.abort();
    if (port.retryTimer) clearTimeout(port.retryTimer);
    port.retryTimer = null;
    if (port.presenceTimer) clearInterval(port.presenceTimer);
    port.presenceTimer = null;
    this.deviceGone(port, notify);
    if (notify) this.events?.noticeCleared?.(port.portPath);
  }

  /** The device on a port stopped being there (its port left, or vanished under a step). */
  private deviceGone(port: PortState, notify: boolean): void {
    const device = port.device;
    if (!device) return;
    port.device = null;
    port.misses = 0;
    device.presence.abort();
    if (this.bySerial.get(device.serial) === port) this.bySerial.delete(device.serial);
    this.log('info', `serial device ${device.serial} left ${port.portPath}`);
    if (notify) this.events?.detached(device.serial);
  }

  // ---- identify --------------------------------------------------------------------------------

  private identifySoon(port: PortState, delay: number): void {
    if (port.retryTimer) clearTimeout(port.retryTimer);
    port.retryTimer = null;
    const run = () => {
      port.retryTimer = null;
      if (port.present.signal.aborted || port.device || port.identifying) return;
      port.identifying = this.identify(port).finally(() => {
        port.identifying = null;
      });
    };
    if (delay <= 0) run();
    else port.retryTimer = setTimeout(run, delay);
  }

  private retryLater(port: PortState): void {
    if (port.present.signal.aborted) return;
    port.retryAttempt += 1;
    this.identifySoon(port, backoffDelay(port.retryAttempt, { baseMs: this.opts.retryMs ?? 2000, maxMs: 60_000 }));
  }

  /** A port's notice tile: English in `message` (what stations before the catalogue showed), the catalogue message in `text`. */
  private notice(port: PortState, kind: Parameters<NonNullable<DriverEvents['notice']>>[0]['kind'], text: Message): void {
    this.events?.notice?.({ portPath: port.portPath, kind, message: formatMessage(text, 'en'), text, usb: port.usb });
  }

  private async identify(port: PortState): Promise<void> {
    const signal = port.present.signal;
    try {
      if (!port.tty) {
        this.notice(port, 'identifying', message('serial.looking-for-port'));
        port.tty = await this.locate(port, signal);
        if (signal.aborted) return;
        if (!port.tty) {
          const ids = port.usb ? formatUsbId(port.usb.vendorId, port.usb.productId) : '';
          this.notice(port, 'no-serial-port', message('serial.no-tty', { usbId: ids }));
          this.retryLater(port);
          return;
        }
      }
      const identity = await this.readIdentity(port, signal, true);
      if (identity && !signal.aborted) this.adopt(port, identity);
    } catch (err) {
      if (signal.aborted) return;
      this.identifyFailed(port, err);
    }
  }

  /** Who the device on the port is: by its identify script, else by its USB iSerial; null (with a notice) when it cannot tell. */
  private async readIdentity(port: PortState, signal: AbortSignal, showProgress: boolean): Promise<Identity | null> {
    const script = this.opts.identifyScript();
    if (script && port.tty) {
      if (showProgress) this.notice(port, 'identifying', message('serial.identifying'));
      const captured = await this.runOnPort(port, script.port, script.script, {}, signal, script.errorPattern);
      const serial = captured.serialNumber?.trim();
      if (!serial) {
        this.notice(port, 'no-serial-number', message('serial.identify-no-serial'));
        return null;
      }
      return {
        serial,
        model: captured.model ?? port.usb?.product ?? 'Serial device',
        osVersion: captured.firmware ?? captured.firmwareVersion ?? captured.osVersion ?? null,
        byScript: true,
      };
    }
    if (port.usb?.serialNumber) return { serial: port.usb.serialNumber, model: port.usb.product ?? 'Serial device', osVersion: null, byScript: false };
    this.notice(port, 'no-serial-number', message('serial.no-own-serial'));
    return null;
  }

  /** The device on a port is known: it is reported, unless another port has its serial number. */
  private adopt(port: PortState, identity: Identity): void {
    const other = this.bySerial.get(identity.serial);
    if (other && other !== port) {
      this.notice(port, 'duplicate', message('serial.duplicate', { serial: identity.serial, port: other.portPath }));
      this.retryLater(port);
      return;
    }
    port.retryAttempt = 0;
    port.misses = 0;
    port.lastUsed = Date.now();
    port.device = { ...identity, identifiedByScript: identity.byScript, presence: new AbortController() };
    this.bySerial.set(identity.serial, port);
    this.events?.noticeCleared?.(port.portPath);
    this.log('info', `serial device ${identity.serial} (${identity.model}) at ${port.portPath}`, { tty: port.tty });
    const attached: AttachedDevice = {
      serial: identity.serial,
      family: 'serial',
      platform: 'serial',
      model: identity.model,
      osVersion: identity.osVersion,
      portPath: port.portPath,
    };
    this.events?.attached(attached);
  }

  /** Identifying failed: the port's tile says why, and it is tried again later. */
  private identifyFailed(port: PortState, err: unknown): void {
    if (err instanceof SerialScriptError || err instanceof SerialOpenError || err instanceof SerialGoneError) {
      const kind = err instanceof SerialOpenError && err.problem === 'permission' ? 'no-access' : 'no-answer';
      this.notice(port, kind, err instanceof SerialScriptError ? message('serial.identify-failed', { reason: err.text }) : err.text);
      this.log('warn', `identifying the serial device at ${port.portPath} failed: ${err.message}`);
    } else {
      this.notice(port, 'no-answer', message('serial.identify-crashed'));
      this.log('error', `identifying the serial device at ${port.portPath} failed: ${(err as Error).stack ?? String(err)}`);
    }
    this.retryLater(port);
  }

  private async locate(port: PortState, signal: AbortSignal): Promise<string | null> {
    if (!port.usb) return null;
    const until = Date.now() + (this.opts.locateTimeoutMs ?? 3000);
    for (;;) {
      const tty = await this.locator.locate(port.usb);
      if (tty || signal.aborted || Date.now() >= until) return tty;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  // ---- steps -----------------------------------------------------------------------------------

  async executeStep(ctx: StepContext): Promise<StepOutcome> {
    const port = this.bySerial.get(ctx.serial);
    const device = port?.device;
    if (!port || !device || !port.tty || device.presence.signal.aborted) throw new DeviceGoneError(ctx.serial);
    const presence = device.presence.signal;
    const signal = AbortSignal.any([ctx.signal, presence]);
    port.stepsRunning++;
    try {
      const runScript: SerialScriptRunner = (settings, script, values, errorPattern) =>
        this.runOnPort(port, settings, script, values, signal, errorPattern, (line) => ctx.log(line));
      return await runSerialStep(
        runScript,
        { portPath: port.portPath, serial: device.serial, model: device.model, osVersion: device.osVersion, identifiedByScript: device.identifiedByScript },
        ctx,
      );
    } catch (err) {
      if (presence.aborted) throw new DeviceGoneError(ctx.serial);
      if (err instanceof SerialGoneError || (err instanceof SerialOpenError && err.problem === 'missing')) {
        // The port vanished under the step: the run is interrupted, and the device resumes when it
        // answers on a port again.
        this.deviceGone(port, true);
        this.retryLater(port);
        throw new DeviceGoneError(ctx.serial);
      }
      if (err instanceof SerialOpenError) throw new StepFailedError(err.text, err.problem === 'busy');
      // A blueprint mistake does not go away by retrying; everything else may.
      if (err instanceof SerialScriptError) throw new StepFailedError(err.text, err.failure !== 'template' && err.failure !== 'slow-pattern');
      throw err;
    } finally {
      port.stepsRunning--;
      port.lastUsed = Date.now();
    }
  }

  /** Opens the port (when it is this caller's turn), runs the script, and closes the port again on every path. */
  private runOnPort(
    port: PortState,
    settings: SerialSettings,
    script: readonly SerialScriptLine[],
    values: Readonly<Record<string, string | null | undefined>>,
    signal: AbortSignal,
    errorPattern: string | false | undefined,
    log?: (message: string) => void,
  ): Promise<Record<string, string>> {
    const work = () => this.runScriptNow(port, settings, script, values, signal, errorPattern, log);
    const run = port.turn.then(work, work);
    port.turn = run.catch(() => undefined);
    return run;
  }

  private async runScriptNow(
    port: PortState,
    settings: SerialSettings,
    script: readonly SerialScriptLine[],
    values: Readonly<Record<string, string | null | undefined>>,
    signal: AbortSignal,
    errorPattern: string | false | undefined,
    log?: (message: string) => void,
  ): Promise<Record<string, string>> {
    if (signal.aborted) throw new StepAbortedError();
    if (!port.tty) throw new SerialOpenError('missing', port.portPath, message('serial.port-unknown', { port: port.portPath }));
    const link = await SerialLink.open(port.tty, settings);
    // Aborting (step timeout, cancel, unplug) closes the port at once, so a stalled device
    // cannot keep it open.
    const onAbort = () => void link.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const errors = errorPattern === false ? null : new RegExp(errorPattern ?? DEFAULT_SERIAL_ERROR_PATTERN);
      return await runSerialScript({ link, script, values, signal, errorPattern: errors, ...(log ? { log } : {}) });
    } catch (err) {
      if (signal.aborted) throw new StepAbortedError();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      await link.close();
    }
  }

  private log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, message, fields);
  }
}

/** The identity of a fixed port's tty node, or null when the path is not there. */
function ttyNode(tty: string): string | null {
  try {
    const link = fs.lstatSync(tty);
    const target = fs.statSync(tty);
    return `${target.rdev}:${target.ino}:${link.ino}`;
  } catch {
    return null;
  }
}
