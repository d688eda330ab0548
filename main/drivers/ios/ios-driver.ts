import os from 'node:os';
import { backoffDelay } from '../../../shared/backoff.js';
import type { StepType } from '../../../shared/blueprint/schema.js';
import { message, type Message } from '../../../shared/messages/catalogue.js';
import { formatMessage } from '../../../shared/messages/format.js';
import type { LogLevel } from '../../logging/logger.js';
import type { DeviceDriver, DriverEvents, PortNotice, StepContext, StepOutcome } from '../driver.js';
import { DeviceGoneError, stepFailed } from '../step-errors.js';
import type { UsbPortFeed } from '../usb/usb-port-feed.js';
import type { UsbDeviceInfo } from '../usb/usb-watcher.js';
import { readIdentity } from './device-facts.js';
import { UsbmuxIosDevice } from './ios-device.js';
import { IosLinkError, type IosDevice } from './ios-link.js';
import { marketingName } from './ios-models.js';
import { runIosStep } from './ios-step-runner.js';
import { decodeLocationId, portPathOfPorts, portPathOfUnknown } from './usbmux/location-id.js';
import { UsbAddressPorts } from './usbmux/usb-address-ports.js';
import type { UsbmuxClient, UsbmuxDevice } from './usbmux/usbmux-client.js';
import { UsbmuxWatch } from './usbmux/usbmux-watch.js';
import { IOS_STEPS } from './steps/index.js';

export interface IosDriverOptions {
  client: UsbmuxClient;
  /** The bench's USB watcher: maps Linux usbmuxd's bus/address to ports, and sees iPads usbmuxd does not report. */
  usbPorts: UsbPortFeed | null;
  /** --ios-activation-url; null: Apple's activation service. */
  activationUrl: string | null;
  log?(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /** Linux's sysfs USB tree for bus/address -> port when the watcher does not run; null: none (the default off Linux). */
  sysfsRoot?: string | null;
  /** How long the watcher may take to report a device usbmuxd already has. */
  usbWaitMs?: number;
  /** First delay before asking a silent device again who it is; doubles up to a minute. */
  identifyRetryMs?: number;
  /** How often waiting steps ask the device again (battery). */
  pollMs?: number;
  /** How often Pair is asked again while the Trust prompt shows. */
  pendingPollMs?: number;
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** An iPad on the USB bus that usbmuxd has not reported after this long gets a notice. */
  usbmuxdSilentMs?: number;
}

/** Failed attempts at identifying a device before its tile says it does not answer (it may still be starting). */
const QUIET_ATTEMPTS = 3;
/** How long start() waits for the devices present to be identified, so restored runs find them. */
const START_WAIT_MS = 10_000;

/** One usbmuxd attachment of one device: from Attached until Detached. */
interface Attachment {
  device: UsbmuxDevice;
  gone: AbortController;
  link: UsbmuxIosDevice;
  portPath: string | null;
  /** The serial the station knows the device by, once identified and reported. */
  serial: string | null;
  identifying: Promise<void> | null;
  retryTimer: NodeJS.Timeout | null;
  attempts: number;
  notice: boolean;
}

/**
 * The iOS driver: finds iPads and iPhones through usbmuxd (Listen, kept up across daemon restarts),
 * learns each one's port from its LocationID, identifies it over an unpaired lockdownd connection
 * and reports it; steps run on it through IOS_STEPS with the device's IosDevice.
 */
export class IosDriver implements DeviceDriver {
  readonly family = 'ios' as const;
  readonly supportedSteps: ReadonlySet<StepType> = new Set(Object.keys(IOS_STEPS) as StepType[]);
  private events: DriverEvents | null = null;
  private readonly watch: UsbmuxWatch;
  private readonly addressPorts: UsbAddressPorts;
  private readonly byUdid = new Map<string, Attachment>();
  private readonly bySerial = new Map<string, Attachment>();
  private readonly silentUsb = new Map<string, { timer: NodeJS.Timeout; shown: boolean }>();

  constructor(private readonly opts: IosDriverOptions) {
    this.watch = new UsbmuxWatch({
      client: opts.client,
      ...(opts.reconnectBaseMs !== undefined ? { reconnectBaseMs: opts.reconnectBaseMs } : {}),
      ...(opts.reconnectMaxMs !== undefined ? { reconnectMaxMs: opts.reconnectMaxMs } : {}),
      log: (level, text, fields) => this.log(level, text, fields),
    });
    this.addressPorts = new UsbAddressPorts({
      feed: opts.usbPorts,
      sysfsRoot: opts.sysfsRoot === undefined ? (process.platform === 'linux' ? '/sys/bus/usb/devices' : null) : opts.sysfsRoot,
      waitMs: opts.usbWaitMs ?? 3000,
      onUsbDevice: (device, present) => this.usbDevice(device, present),
    });
  }

  async start(events: DriverEvents): Promise<void> {
    this.events = events;
    this.addressPorts.start();
    await this.watch.start({ attached: (d) => this.attached(d), detached: (d) => this.detached(d) });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.byUdid.values()].flatMap((a) => a.identifying ?? [])),
      new Promise((resolve) => (timer = setTimeout(resolve, START_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.events = null;
    this.watch.stop();
    this.addressPorts.stop();
    const pending = [...this.byUdid.values()].flatMap((a) => a.identifying ?? []);
    for (const attachment of this.byUdid.values()) this.end(attachment);
    this.byUdid.clear();
    this.bySerial.clear();
    for (const { timer } of this.silentUsb.values()) clearTimeout(timer);
    this.silentUsb.clear();
    await Promise.allSettled(pending);
  }

  /** Devices identified and present, for diagnostics and tests. */
  list(): { serial: string; udid: string; portPath: string | null; deviceId: number }[] {
    return [...this.bySerial.values()].map((a) => ({ serial: a.serial ?? '', udid: a.device.udid, portPath: a.portPath, deviceId: a.link.deviceId }));
  }

  /** The device steps get for a serial, while it is present. */
  device(serial: string): IosDevice | null {
    const attachment = this.bySerial.get(serial);
    return attachment && !attachment.gone.signal.aborted ? attachment.link : null;
  }

  executeStep(ctx: StepContext): Promise<StepOutcome> {
    const attachment = this.bySerial.get(ctx.serial);
    if (!attachment || attachment.gone.signal.aborted) return Promise.reject(new DeviceGoneError(ctx.serial));
    const runner = IOS_STEPS[ctx.step.type];
    if (!runner) return Promise.reject(stepFailed('step.failed', { step: ctx.step.id }, false));
    return runIosStep({
      ctx,
      runner,
      device: attachment.link,
      gone: attachment.gone.signal,
      watch: this.watch,
      usbmuxdAddress: this.opts.client.address,
      deps: {
        activationUrl: this.opts.activationUrl,
        ...(this.opts.pollMs !== undefined ? { pollMs: this.opts.pollMs } : {}),
        log: (level, text, fields) => this.log(level, text, { serial: ctx.serial, step: ctx.step.id, ...fields }),
      },
    });
  }

  // ---- presence -----------------------------------------------------------------------------------

  private attached(device: UsbmuxDevice): void {
    const previous = this.byUdid.get(device.udid);
    if (previous) this.detached(previous.device);
    const gone = new AbortController();
    const attachment: Attachment = {
      device,
      gone,
      link: new UsbmuxIosDevice({
        client: this.opts.client,
        udid: device.udid,
        deviceId: () => this.watch.device(device.udid)?.deviceId ?? device.deviceId,
        gone: gone.signal,
        label: 'benchline',
        hostName: os.hostname(),
        pendingPollMs: this.opts.pendingPollMs ?? 1000,
        log: (level, text, fields) => this.log(level, text, { udid: device.udid, ...fields }),
      }),
      portPath: null,
      serial: null,
      identifying: null,
      retryTimer: null,
      attempts: 0,
      notice: false,
    };
    this.byUdid.set(device.udid, attachment);
    this.identifySoon(attachment, 0);
  }

  private detached(device: UsbmuxDevice): void {
    const attachment = this.byUdid.get(device.udid);
    if (!attachment) return;
    this.byUdid.delete(device.udid);
    this.end(attachment);
    this.log('info', `iOS device ${attachment.serial ?? device.udid} left ${attachment.portPath ?? 'its port'}`);
    if (attachment.serial !== null && this.bySerial.get(attachment.serial) === attachment) {
      this.bySerial.delete(attachment.serial);
      this.events?.detached(attachment.serial);
    }
    if (attachment.notice && attachment.portPath) this.events?.noticeCleared?.(attachment.portPath);
  }

  /** Ends an attachment: its calls fail as device-gone and its connections close. */
  private end(attachment: Attachment): void {
    attachment.gone.abort();
    if (attachment.retryTimer) clearTimeout(attachment.retryTimer);
    attachment.retryTimer = null;
  }

  // ---- identifying --------------------------------------------------------------------------------

  private identifySoon(attachment: Attachment, delay: number): void {
    const run = () => {
      attachment.retryTimer = null;
      if (attachment.gone.signal.aborted || attachment.identifying || attachment.serial !== null) return;
      attachment.identifying = this.identify(attachment).finally(() => (attachment.identifying = null));
    };
    if (delay <= 0) run();
    else attachment.retryTimer = setTimeout(run, delay);
  }

  private async identify(attachment: Attachment): Promise<void> {
    const { device } = attachment;
    const signal = attachment.gone.signal;
    try {
      attachment.portPath ??= await this.portPathOf(device, signal);
      this.clearSilent(attachment.portPath);
      if (attachment.attempts === 0) this.notice(attachment, 'identifying', message('ios.identifying'));
      const lockdown = await attachment.link.preflight(signal);
      let identity;
      try {
        identity = await readIdentity(lockdown, signal);
      } finally {
        lockdown.close();
      }
      if (signal.aborted) return;
      if (identity.udid && identity.udid !== device.udid) this.log('warn', `usbmuxd's ${device.udid} says it is ${identity.udid}; keeping usbmuxd's`);
      // The UDID, not the serial number: an unpaired device does not tell its serial number, and the
      // key must be the same before and after pairing, after an erase and after a station restart,
      // or the run would lose its device. identify and wait-for-trust capture the serial number.
      const serial = device.udid;
      attachment.serial = serial;
      attachment.attempts = 0;
      this.bySerial.set(serial, attachment);
      if (attachment.notice) this.events?.noticeCleared?.(attachment.portPath);
      attachment.notice = false;
      const model = marketingName(identity.productType);
      this.log('info', `iOS device ${serial} (${model}, iOS ${identity.productVersion ?? '?'}) at ${attachment.portPath}`, { udid: device.udid });
      this.events?.attached({ serial, family: 'ios', platform: 'ios', model, osVersion: identity.productVersion, portPath: attachment.portPath });
    } catch (err) {
      if (signal.aborted) return;
      attachment.attempts++;
      const reason = err instanceof IosLinkError ? (err.deviceReason ?? err.message) : (err as Error).message;
      this.log(attachment.attempts === QUIET_ATTEMPTS ? 'warn' : 'info', `identifying ${device.udid} failed (attempt ${attachment.attempts}): ${reason}`);
      if (attachment.attempts >= QUIET_ATTEMPTS && attachment.portPath) this.notice(attachment, 'no-answer', message('ios.no-answer', { reason }));
      this.identifySoon(attachment, backoffDelay(attachment.attempts, { baseMs: this.opts.identifyRetryMs ?? 2000, maxMs: 60_000 }));
    }
  }

  /** The port path of an attachment from its LocationID (see location-id.ts for both forms). */
  private async portPathOf(device: UsbmuxDevice, signal: AbortSignal): Promise<string> {
    const location = decodeLocationId(device.locationId);
    if (location?.form === 'ports') return portPathOfPorts(location.bus, location.ports);
    if (location?.form === 'address') return this.addressPorts.portPathFor(location.bus, location.address, signal);
    this.log('warn', `usbmuxd gives ${device.udid} a LocationID nobody can read (${device.locationId ?? 'none'}): its slot follows the device, not the port`);
    return portPathOfUnknown(device.locationId, device.udid);
  }

  private notice(attachment: Attachment, kind: PortNotice['kind'], text: Message): void {
    if (!attachment.portPath) return;
    attachment.notice = true;
    this.events?.notice?.({ portPath: attachment.portPath, kind, message: formatMessage(text, 'en'), text, usb: null });
  }

  // ---- iPads the USB watcher sees and usbmuxd does not ---------------------------------------------

  private usbDevice(device: UsbDeviceInfo, present: boolean): void {
    this.clearSilent(device.portPath);
    if (!present) return;
    const timer = setTimeout(() => {
      const entry = this.silentUsb.get(device.portPath);
      if (!entry) return;
      if ([...this.byUdid.values()].some((a) => a.portPath === device.portPath)) {
        this.silentUsb.delete(device.portPath);
        return;
      }
      entry.shown = true;
      const text = message('ios.usbmuxd-silent', { address: this.opts.client.address });
      this.log('warn', formatMessage(text, 'en'), { portPath: device.portPath });
      this.events?.notice?.({
        portPath: device.portPath,
        kind: 'no-answer',
        message: formatMessage(text, 'en'),
        text,
        usb: {
          vendorId: device.vendorId,
          productId: device.productId,
          serialNumber: device.serialNumber,
          manufacturer: device.manufacturer,
          product: device.product,
        },
      });
    }, this.opts.usbmuxdSilentMs ?? 15_000);
    this.silentUsb.set(device.portPath, { timer, shown: false });
  }

  private clearSilent(portPath: string): void {
    const entry = this.silentUsb.get(portPath);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.silentUsb.delete(portPath);
    if (entry.shown) this.events?.noticeCleared?.(portPath);
  }

  private log(level: LogLevel, text: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, text, fields);
  }
}
