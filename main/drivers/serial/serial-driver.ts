import fs from 'node:fs';
import { serialPortSettings, type BlueprintStep } from '../../../shared/blueprint/schema.js';
import type { LogLevel } from '../../logging/logger.js';
import type { AttachedDevice, DeviceDriver, DriverEvents, StepContext, StepOutcome } from '../driver.js';
import { DeviceGoneError, StepAbortedError, StepFailedError } from '../step-errors.js';
import { formatUsbId } from '../usb/usb-ids.js';
import type { UsbDeviceInfo } from '../usb/usb-watcher.js';
import { systemSerialPortLocator, type SerialPortLocator } from './port-locator.js';
import { SerialGoneError, SerialLink, SerialOpenError, type SerialSettings } from './serial-link.js';
import { SerialScriptError, runSerialScript, type SerialScriptLine } from './serial-script.js';

/** How a device tells who it is: the identify step of the station's serial blueprint. */
export interface SerialIdentifyScript {
  port: SerialSettings;
  script: readonly SerialScriptLine[];
}

export interface SerialDriverOptions {
  /** Fixed serial ports (RS-232, pseudo-terminals) watched for presence; their tty path is their port path. */
  staticPorts?: readonly string[];
  /** The identify script of the current serial blueprint, or null when it has none. */
  identifyScript(): SerialIdentifyScript | null;
  /** Finds the tty of a USB-serial device; the system's (sysfs, SerialPort.list) by default. */
  locator?: SerialPortLocator;
  /** How often fixed ports are checked for presence. */
  pollMs?: number;
  /** How long to look for the tty of a USB device that just arrived (udev creates it a moment later). */
  locateTimeoutMs?: number;
  /** First delay before identifying a silent device again; doubles up to a minute. */
  retryMs?: number;
  log?: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;
}

const DEFAULT_SETTINGS = serialPortSettings.parse({}) as SerialSettings;
const NO_DEVICE_WORK = new Set<BlueprintStep['type']>(['verify', 'print-label', 'pack']);

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
  retryDelay: number;
  identifying: Promise<void> | null;
}

/**
 * The serial driver: devices behind USB-serial bridges (routed here by the USB watcher) and fixed
 * ports. When a port appears it opens it with the blueprint's settings, runs the identify script to
 * learn the device's serial number and reports the device; steps then run send/expect scripts on
 * the port. Every step opens the port and closes it again, whatever happens.
 */
export class SerialDriver implements DeviceDriver {
  readonly family = 'serial' as const;
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
    if (this.staticPorts.length > 0) {
      this.pollStaticPorts();
      this.pollTimer = setInterval(() => this.pollStaticPorts(), this.opts.pollMs ?? 500);
    }
    // Ports present at start are identified before the station restores runs, so they resume; a
    // device that does not answer does not hold up the station for longer than a few seconds.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.ports.values()].map((p) => p.identifying)),
      new Promise((resolve) => (timer = setTimeout(resolve, 10_000))),
    ]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    const pending = [...this.ports.values()].map((p) => p.identifying);
    for (const port of [...this.ports.values()]) this.removePort(port, false);
    this.events = null;
    await Promise.allSettled(pending);
  }

  /** Devices identified and present, for diagnostics and tests. */
  list(): { serial: string; portPath: string; tty: string | null }[] {
    return [...this.bySerial.values()].map((p) => ({ serial: p.device?.serial ?? '', portPath: p.portPath, tty: p.tty }));
  }

  // ---- presence --------------------------------------------------------------------------------

  usbAttached(usb: UsbDeviceInfo): void {
    const existing = this.ports.get(usb.portPath);
    if (existing) this.removePort(existing, true);
    const port = this.addPort(usb.portPath, usb, null);
    this.identifySoon(port, 0);
  }

  usbDetached(usb: UsbDeviceInfo): void {
    const port = this.ports.get(usb.portPath);
    if (port && port.usb?.id === usb.id) this.removePort(port, true);
  }

  private pollStaticPorts(): void {
    for (const tty of this.staticPorts) {
      const exists = fs.existsSync(tty);
      const port = this.ports.get(tty);
      if (exists && !port) this.identifySoon(this.addPort(tty, null, tty), 0);
      else if (!exists && port) this.removePort(port, true);
    }
  }

  private addPort(portPath: string, usb: UsbDeviceInfo | null, tty: string | null): PortState {
    const port: PortState = { portPath, usb, tty, device: null, present: new AbortController(), retryTimer: null, retryDelay: this.opts.retryMs ?? 2000, identifying: null };
    this.ports.set(portPath, port);
    return port;
  }

  private removePort(port: PortState, notify: boolean): void {
    if (this.ports.get(port.portPath) !== port) return;
    this.ports.delete(port.portPath);
    port.present.abort();
    if (port.retryTimer) clearTimeout(port.retryTimer);
    port.retryTimer = null;
    this.deviceGone(port, notify);
    if (notify) this.events?.noticeCleared?.(port.portPath);
  }

  /** The device on a port stopped being there (its port left, or vanished under a step). */
  private deviceGone(port: PortState, notify: boolean): void {
    const device = port.device;
    if (!device) return;
    port.device = null;
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
    const delay = port.retryDelay;
    port.retryDelay = Math.min(delay * 2, 60_000);
    this.identifySoon(port, delay);
  }

  private notice(port: PortState, kind: Parameters<NonNullable<DriverEvents['notice']>>[0]['kind'], message: string): void {
    this.events?.notice?.({ portPath: port.portPath, kind, message, usb: port.usb });
  }

  private async identify(port: PortState): Promise<void> {
    const signal = port.present.signal;
    try {
      if (!port.tty) {
        this.notice(port, 'identifying', 'Looking for the serial port of this device…');
        port.tty = await this.locate(port, signal);
        if (signal.aborted) return;
        if (!port.tty) {
          const ids = port.usb ? formatUsbId(port.usb.vendorId, port.usb.productId) : '';
          this.notice(port, 'no-serial-port', `USB-serial device ${ids} has no serial port (tty): is its kernel driver loaded? Plug it in again.`);
          this.retryLater(port);
          return;
        }
      }
      const script = this.opts.identifyScript();
      let identity: { serial: string; model: string; osVersion: string | null; byScript: boolean };
      if (script) {
        this.notice(port, 'identifying', 'Identifying the device…');
        const captured = await this.runOnPort(port.tty, script.port, script.script, {}, signal);
        const serial = captured.serialNumber?.trim();
        if (!serial) {
          this.notice(port, 'no-serial-number', 'The device answered its identify script without a serial number: check the blueprint.');
          return;
        }
        identity = {
          serial,
          model: captured.model ?? port.usb?.product ?? 'Serial device',
          osVersion: captured.firmware ?? captured.firmwareVersion ?? captured.osVersion ?? null,
          byScript: true,
        };
      } else if (port.usb?.serialNumber) {
        identity = { serial: port.usb.serialNumber, model: port.usb.product ?? 'Serial device', osVersion: null, byScript: false };
      } else {
        this.notice(port, 'no-serial-number', 'This serial device has no serial number of its own: the serial blueprint needs an identify script that reads it.');
        return;
      }
      if (signal.aborted) return;
      const other = this.bySerial.get(identity.serial);
      if (other && other !== port) {
        this.notice(port, 'duplicate', `A device with serial number ${identity.serial} is already plugged in at ${other.portPath}: two devices cannot share a serial number.`);
        this.retryLater(port);
        return;
      }
      port.retryDelay = this.opts.retryMs ?? 2000;
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
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof SerialScriptError || err instanceof SerialOpenError || err instanceof SerialGoneError) {
        const kind = err instanceof SerialOpenError && err.problem === 'permission' ? 'no-access' : 'no-answer';
        this.notice(port, kind, err instanceof SerialScriptError ? `Cannot identify the device: ${err.message}` : err.message);
        this.log('warn', `identifying the serial device at ${port.portPath} failed: ${err.message}`);
      } else {
        this.notice(port, 'no-answer', 'Cannot identify the device; the station log has the details. Plug it in again.');
        this.log('error', `identifying the serial device at ${port.portPath} failed: ${(err as Error).stack ?? String(err)}`);
      }
      this.retryLater(port);
    }
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
    try {
      return await this.runStep(port, port.tty, device, ctx, signal);
    } catch (err) {
      if (presence.aborted) throw new DeviceGoneError(ctx.serial);
      if (err instanceof SerialGoneError || (err instanceof SerialOpenError && err.problem === 'missing')) {
        // The port vanished under the step: the run is interrupted, and the device resumes when it
        // answers on a port again.
        this.deviceGone(port, true);
        this.retryLater(port);
        throw new DeviceGoneError(ctx.serial);
      }
      if (err instanceof SerialOpenError) throw new StepFailedError(`serial.open-${err.problem}`, err.message, err.problem === 'busy');
      if (err instanceof SerialScriptError) throw new StepFailedError(`serial.${err.failure}`, err.message, err.failure !== 'template');
      throw err;
    }
  }

  private async runStep(port: PortState, tty: string, device: SerialDevice, ctx: StepContext, signal: AbortSignal): Promise<StepOutcome> {
    const step = ctx.step;
    const values = { ...ctx.captured, serial: ctx.serial, deviceName: ctx.deviceName ?? ctx.captured.deviceName };
    switch (step.type) {
      case 'identify': {
        if (!step.params.script) {
          return { captured: { serialNumber: device.serial, model: device.model, ...(device.osVersion ? { firmware: device.osVersion } : {}) } };
        }
        const captured = await this.runOnPort(tty, (step.params.port as SerialSettings | undefined) ?? DEFAULT_SETTINGS, step.params.script, values, signal, ctx.log);
        if (device.identifiedByScript && captured.serialNumber !== undefined && captured.serialNumber.trim() !== device.serial) {
          throw new StepFailedError(
            'serial.other-device',
            `Another device answers on ${port.portPath} (serial number ${captured.serialNumber}, this run is for ${device.serial}): plug ${device.serial} back in.`,
            false,
          );
        }
        return { captured };
      }
      case 'serial-script': {
        const captured = await this.runOnPort(tty, step.params.port as SerialSettings, step.params.script, values, signal, ctx.log);
        return { captured };
      }
      case 'serial-verify': {
        const captured = await this.runOnPort(tty, step.params.port as SerialSettings, step.params.script, values, signal, ctx.log);
        const all = { ...values, ...captured };
        const wrong: string[] = [];
        for (const [key, template] of Object.entries(step.params.expectCaptured)) {
          const expected = template.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (_m, k: string) => all[k as keyof typeof all] ?? '');
          const actual = captured[key];
          if (actual === undefined) wrong.push(`${key} was not read back (the script has no (?<${key}>…) capture)`);
          else if (actual !== expected) wrong.push(`${key} is "${actual}", expected "${expected}"`);
        }
        if (wrong.length > 0) {
          throw new StepFailedError(
            'serial.verify-mismatch',
            `The device did not keep its settings: ${wrong.join('; ')}. Retry checks again; if it stays wrong, cancel the run and plug the device in again to configure it from the start.`,
            true,
          );
        }
        return { captured, message: `verified ${Object.keys(step.params.expectCaptured).join(', ') || 'script'}` };
      }
      case 'rename':
        return ctx.deviceName ? { captured: { deviceName: ctx.deviceName } } : {};
      case 'manual-check': {
        const prompt = typeof step.params.prompt === 'string' ? step.params.prompt : step.params.prompt.en;
        await ctx.confirmByTechnician(prompt);
        return {};
      }
      default:
        if (NO_DEVICE_WORK.has(step.type)) return {};
        throw new StepFailedError('serial.unsupported-step', `"${step.id}" (${step.type}) cannot run on a serial device: remove it from the blueprint.`, false);
    }
  }

  /** Opens the port, runs the script, and closes the port again on every path. */
  private async runOnPort(
    tty: string,
    settings: SerialSettings,
    script: readonly SerialScriptLine[],
    values: Readonly<Record<string, string | null | undefined>>,
    signal: AbortSignal,
    log?: (message: string) => void,
  ): Promise<Record<string, string>> {
    if (signal.aborted) throw new StepAbortedError();
    const link = await SerialLink.open(tty, settings);
    // Aborting (step timeout, cancel, unplug) closes the port at once, so a stalled device
    // cannot keep it open.
    const onAbort = () => void link.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await runSerialScript({ link, script, values, signal, ...(log ? { log } : {}) });
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
