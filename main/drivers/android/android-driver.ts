// Over 400 lines on purpose: one class owns the tablets' whole life behind the adb server
// (tracking, identifying, the states adb reports, the server dying and coming back, and the steps
// waiting for a usable tablet), and these share one state. What each step does is in steps/.
import { setMaxListeners } from 'node:events';
import type { StepType } from '../../../shared/blueprint/schema.js';
import type { PortNoticeKind } from '../../../shared/contract/station-api.js';
import { message, type Message } from '../../../shared/messages/catalogue.js';
import { formatMessage } from '../../../shared/messages/format.js';
import { backoffDelay } from '../../../shared/backoff.js';
import type { LogLevel } from '../../logging/logger.js';
import type { DeviceDriver, DriverEvents, StepContext, StepOutcome } from '../driver.js';
import { DeviceGoneError, StepAbortedError, sleep, stepFailed } from '../step-errors.js';
import { AdbLinkError, type AdbDeviceLink, type AdbServer } from './adb-client.js';
import type { AdbStartError } from './adb-server-process.js';
import { AdbTracker } from './adb-tracker.js';
import { bootCompleted, readIdentity, untilBooted, type AndroidDevice, type TabletIdentity } from './android-device.js';
import type { AndroidTimings } from './android-timings.js';
import { isNetworkSerial, portPathOf, type AdbDeviceEntry } from './device-list.js';
import { ANDROID_STEPS, NO_DEVICE_STEPS, TABLET_FREE_STEPS } from './steps/index.js';

export interface AndroidDriverOptions {
  server: AdbServer;
  /** `adb start-server` (with --adb PATH); the tracker calls it when no server answers. */
  startServer(): Promise<void>;
  timings: AndroidTimings;
  /** The bench slot of a port path (for "in Steckplatz B3"); null: not in the layout. */
  slotForPort?(portPath: string): string | null;
  log?(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** One transport the adb server lists, by its adb serial. */
interface Transport {
  adbSerial: string;
  entry: AdbDeviceEntry;
  portPath: string;
  /** Open for entry.transportId while the state is `device`. */
  link: AdbDeviceLink | null;
  tablet: Tablet | null;
  identifying: boolean;
  identifyTimer: NodeJS.Timeout | null;
  identifyAttempt: number;
  offlineSince: number | null;
  /** When the server last said something of it (a late poll answer does not undo a newer message). */
  seenAt: number;
  /** A network transport the driver is reconnecting (`adb disconnect` + `connect`) stays until then. */
  reconnectUntil: number;
  /** Aborted when the transport leaves the list. */
  gone: AbortController;
}

/** A tablet reported attached, by its ro.serialno. */
interface Tablet {
  identity: TabletIdentity;
  transport: Transport;
  /** Aborted when the tablet is reported detached: its steps stop. */
  presence: AbortController;
  generation: number;
  /** Whether sys.boot_completed was 1 on the current transport. */
  booted: boolean;
}

/** How often a step runs again after the tablet or the server dropped away under it (steps are idempotent). */
const MAX_STEP_ROUNDS = 5;

/**
 * The Android driver: tablets behind the adb server (the real one; started when none runs).
 * Each transport `device` is identified by getprop and reported with its USB port path (or
 * `adb:SERIAL` for network devices); `unauthorized` and `offline` ones get notice tiles. Steps
 * run through ANDROID_STEPS and wait for a usable tablet when it is offline, unauthorized,
 * booting or the server restarts.
 */
export class AndroidDriver implements DeviceDriver {
  readonly family = 'android' as const;
  readonly supportedSteps: ReadonlySet<StepType> = new Set([...(Object.keys(ANDROID_STEPS) as StepType[]), ...NO_DEVICE_STEPS]);
  private events: DriverEvents | null = null;
  private readonly tracker: AdbTracker;
  private readonly transports = new Map<string, Transport>();
  private readonly tablets = new Map<string, Tablet>();
  private serverUp = false;
  private settleUntil = 0;
  private settleTimer: NodeJS.Timeout | null = null;
  private offlineTimer: NodeJS.Timeout | null = null;
  private offlineAttempt = 0;
  private lastList: AdbDeviceEntry[] = [];
  private lastListAt = 0;
  private readonly redial = new Map<string, { attempt: number; timer: NodeJS.Timeout | null }>();
  private readonly change = new EventTarget();
  private stopped = false;

  constructor(private readonly opts: AndroidDriverOptions) {
    // One listener per step waiting for its tablet: a bench of 32 tablets has more than Node's
    // default of 10 at once, which is no leak.
    setMaxListeners(0, this.change);
    this.tracker = new AdbTracker({
      server: opts.server,
      startServer: () => opts.startServer(),
      retryMs: opts.timings.serverRetryMs,
      retryMaxMs: opts.timings.serverRetryMaxMs,
      listPollMs: opts.timings.listPollMs,
      log: (level, text, fields) => this.log(level, text, fields),
    });
  }

  async start(events: DriverEvents): Promise<void> {
    this.events = events;
    await this.tracker.start({
      list: (devices, asOf) => this.onList(devices, asOf),
      lost: (err) => this.onLost(err),
      back: () => this.onBack(),
      startFailed: (err) => this.onStartFailed(err),
    });
    // Tablets plugged in at start are identified before the station restores runs, so they
    // resume; one that does not answer does not hold the station up for long.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && [...this.transports.values()].some((t) => t.identifying)) await new Promise((r) => setTimeout(r, 20));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.tracker.stop();
    for (const timer of [this.settleTimer, this.offlineTimer]) if (timer) clearTimeout(timer);
    for (const adbSerial of [...this.redial.keys()]) this.stopRedial(adbSerial);
    for (const t of [...this.transports.values()]) this.removeTransport(t, false);
    this.events = null;
  }

  /** Tablets attached now, for diagnostics and tests. */
  list(): { serial: string; adbSerial: string; portPath: string; state: string }[] {
    return [...this.tablets.values()].map((t) => ({
      serial: t.identity.serial,
      adbSerial: t.transport.adbSerial,
      portPath: t.transport.portPath,
      state: t.transport.entry.state,
    }));
  }

  // ---- the adb server ---------------------------------------------------------------------------

  private onList(devices: AdbDeviceEntry[], asOf: number): void {
    this.serverUp = true;
    this.lastList = devices;
    this.lastListAt = asOf;
    const now = Date.now();
    const seen = new Set<string>();
    for (const entry of devices) {
      seen.add(entry.serial);
      let t = this.transports.get(entry.serial);
      if (t && t.seenAt > asOf) continue;
      if (!t) {
        t = {
          adbSerial: entry.serial,
          entry,
          portPath: portPathOf(entry),
          link: null,
          tablet: null,
          identifying: false,
          identifyTimer: null,
          identifyAttempt: 0,
          offlineSince: null,
          seenAt: asOf,
          reconnectUntil: 0,
          gone: new AbortController(),
        };
        this.transports.set(entry.serial, t);
      }
      t.seenAt = asOf;
      this.update(t, entry);
    }
    const settling = now < this.settleUntil;
    for (const t of [...this.transports.values()]) {
      if (seen.has(t.adbSerial) || t.seenAt > asOf) continue;
      // Right after a server restart the USB tablets are still being enumerated again; a network
      // tablet being reconnected is away for a moment.
      if (t.tablet && (settling || now < t.reconnectUntil)) continue;
      this.removeTransport(t, true);
    }
    this.changed();
  }

  private update(t: Transport, entry: AdbDeviceEntry): void {
    const newTransport = t.entry.transportId !== entry.transportId;
    t.entry = entry;
    const portPath = portPathOf(entry);
    if (portPath !== t.portPath) {
      this.events?.noticeCleared?.(t.portPath);
      t.portPath = portPath;
    }
    if (newTransport || entry.state !== 'device') this.dropLink(t);
    if (entry.state === 'device') {
      t.offlineSince = null;
      t.reconnectUntil = 0;
      this.stopRedial(t.adbSerial);
      if (!t.link && !t.identifying) this.identifySoon(t, 0);
      return;
    }
    if (entry.state === 'offline') {
      if (t.offlineSince === null) {
        t.offlineSince = Date.now();
        if (t.tablet) setTimeout(() => this.offlineTooLong(t), this.opts.timings.offlineDetachMs + 5).unref();
      }
      this.reconnectOfflineSoon();
      if (t.tablet && isNetworkSerial(t.adbSerial)) this.redialSoon(t.adbSerial);
    } else t.offlineSince = null;
    // An identified tablet stays attached while unauthorized or offline for a while: its steps
    // wait (with the instruction) instead of failing; a tile appears only for unknown ones.
    if (t.tablet) return;
    const where = this.where(t);
    if (entry.state === 'unauthorized') this.notice(t, 'unauthorized', message('android.unauthorized', { where }));
    // Every tablet is offline for a moment while adb connects: "does not answer" only once it stays so.
    else if (entry.state === 'offline' || entry.state === 'connecting' || entry.state === 'authorizing')
      this.notice(t, 'identifying', message('android.identifying'));
    else this.notice(t, 'no-answer', message('android.other-state', { where, state: entry.state }));
  }

  private offlineTooLong(t: Transport): void {
    if (this.transports.get(t.adbSerial) !== t || t.offlineSince === null || !t.tablet) return;
    if (Date.now() - t.offlineSince < this.opts.timings.offlineDetachMs) return;
    this.log('warn', `Android tablet ${t.tablet.identity.serial} offline for too long: counted as gone`, { adbSerial: t.adbSerial });
    this.detachTablet(t, true);
    this.notice(t, 'no-answer', message('android.offline', { where: this.where(t) }));
  }

  /** USB tablets stuck offline: `adb reconnect offline`, with backoff (one timer for all, the command is server-wide). */
  private reconnectOfflineSoon(): void {
    if (this.offlineTimer || this.stopped) return;
    this.offlineAttempt += 1;
    const delay = backoffDelay(this.offlineAttempt, { baseMs: this.opts.timings.offlineRetryMs, maxMs: this.opts.timings.offlineRetryMaxMs });
    this.offlineTimer = setTimeout(() => {
      this.offlineTimer = null;
      for (const t of this.transports.values()) {
        if (t.entry.state === 'offline' && !t.tablet) this.notice(t, 'no-answer', message('android.offline', { where: this.where(t) }));
      }
      const offline = [...this.transports.values()].filter((t) => t.entry.state === 'offline');
      if (offline.length === 0) {
        this.offlineAttempt = 0;
        return;
      }
      this.log('info', `reconnecting offline Android tablets: ${offline.map((t) => t.adbSerial).join(', ')}`);
      if (offline.some((t) => t.entry.usbPath !== null)) {
        this.opts.server.reconnectOffline().catch((err: unknown) => this.log('warn', `adb reconnect offline failed: ${(err as Error).message}`));
      }
      this.reconnectOfflineSoon();
    }, delay);
  }

  /**
   * A network tablet the station had: adb 29 leaves its transport offline once the tablet dropped
   * the connection (a reboot) and a restarted server forgets it, so the driver asks `adb
   * disconnect` + `adb connect` again, with backoff, until the tablet is back.
   */
  private redialSoon(adbSerial: string): void {
    if (this.stopped) return;
    const r = this.redial.get(adbSerial) ?? { attempt: 0, timer: null };
    this.redial.set(adbSerial, r);
    if (r.timer) return;
    r.attempt += 1;
    const delay = backoffDelay(r.attempt, { baseMs: this.opts.timings.offlineRetryMs, maxMs: this.opts.timings.offlineRetryMaxMs });
    r.timer = setTimeout(() => {
      r.timer = null;
      const t = this.transports.get(adbSerial);
      if (this.stopped || t?.entry.state === 'device') {
        this.redial.delete(adbSerial);
        return;
      }
      if (t) t.reconnectUntil = Math.max(t.reconnectUntil, Date.now() + this.opts.timings.offlineDetachMs);
      const server = this.opts.server;
      void (t ? server.disconnect(adbSerial).catch(() => '') : Promise.resolve(''))
        .then(() => server.connect(adbSerial))
        .then(
          (answer) => this.log('info', `adb connect ${adbSerial}: ${answer}`),
          (err: unknown) => this.log('warn', `adb connect ${adbSerial} failed: ${(err as Error).message}`),
        )
        .finally(() => this.redialSoon(adbSerial));
    }, delay);
  }

  private stopRedial(adbSerial: string): void {
    const r = this.redial.get(adbSerial);
    if (r?.timer) clearTimeout(r.timer);
    this.redial.delete(adbSerial);
  }

  private onLost(err: AdbLinkError): void {
    this.serverUp = false;
    for (const t of this.transports.values()) this.dropLink(t);
    this.log('warn', `adb server lost (${err.message}); tablets stay attached while it restarts`);
    this.changed();
  }

  private onBack(): void {
    this.log('info', 'adb server back: tracking again');
    this.settleUntil = Date.now() + this.opts.timings.settleAfterRestartMs;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      this.settleUntil = 0;
      this.onList(this.lastList, this.lastListAt);
    }, this.opts.timings.settleAfterRestartMs);
    // A new server forgets `adb connect`: network tablets come back only when asked.
    for (const t of this.transports.values()) {
      if (!isNetworkSerial(t.adbSerial)) continue;
      this.opts.server.connect(t.adbSerial).then(
        (answer) => this.log('info', `adb connect ${t.adbSerial}: ${answer}`),
        (e: unknown) => this.log('warn', `adb connect ${t.adbSerial} failed: ${(e as Error).message}`),
      );
      this.redialSoon(t.adbSerial);
    }
  }

  private onStartFailed(err: AdbStartError): void {
    this.serverUp = false;
    const text = err.problem === 'missing' ? message('android.adb-missing', { binary: err.binary }) : message('android.adb-failed', { reason: err.detail });
    this.log('error', formatMessage(text, 'en'));
    this.changed();
  }

  // ---- identify ---------------------------------------------------------------------------------

  private identifySoon(t: Transport, delay: number): void {
    if (t.identifyTimer) clearTimeout(t.identifyTimer);
    t.identifyTimer = null;
    const run = () => {
      t.identifyTimer = null;
      if (t.gone.signal.aborted || t.link || t.identifying || t.entry.state !== 'device') return;
      t.identifying = true;
      void this.identify(t).finally(() => {
        t.identifying = false;
        this.changed();
      });
    };
    if (delay <= 0) run();
    else t.identifyTimer = setTimeout(run, delay);
  }

  private retryIdentify(t: Transport): void {
    t.identifyAttempt += 1;
    this.identifySoon(t, backoffDelay(t.identifyAttempt, { baseMs: this.opts.timings.identifyRetryMs, maxMs: this.opts.timings.identifyRetryMaxMs }));
  }

  private async identify(t: Transport): Promise<void> {
    const transportId = t.entry.transportId;
    const signal = t.gone.signal;
    if (!t.tablet) this.notice(t, 'identifying', message('android.identifying'));
    let link: AdbDeviceLink | null = null;
    try {
      if (transportId === null) throw new AdbLinkError('refused', 'the adb server gives no transport id (adb older than 1.0.41)');
      link = await this.opts.server.open(t.adbSerial, transportId, signal);
      const shellOf = { shell: async (command: string, s: AbortSignal) => (await link!.shell(command, s)).text };
      const identity = await readIdentity(shellOf, isNetworkSerial(t.adbSerial) ? null : t.adbSerial, signal);
      if (signal.aborted || t.entry.transportId !== transportId || t.entry.state !== 'device') {
        link.close();
        return;
      }
      if (!identity) {
        link.close();
        this.notice(t, 'no-serial-number', message('android.no-serial'));
        this.retryIdentify(t);
        return;
      }
      this.adopt(t, link, identity);
    } catch (err) {
      link?.close();
      if (signal.aborted) return;
      const reason = err instanceof Error ? err.message : String(err);
      this.log('warn', `identifying the Android tablet ${t.adbSerial} failed: ${reason}`);
      if (!t.tablet) this.notice(t, 'no-answer', message('android.identify-failed', { reason }));
      this.retryIdentify(t);
    }
  }

  /** A transport in state `device` said who it is: the tablet is attached (or was, and carries on). */
  private adopt(t: Transport, link: AdbDeviceLink, identity: TabletIdentity): void {
    const existing = this.tablets.get(identity.serial);
    if (
      existing &&
      existing.transport !== t &&
      this.transports.get(existing.transport.adbSerial) === existing.transport &&
      existing.transport.entry.state === 'device'
    ) {
      link.close();
      this.notice(t, 'duplicate', message('android.duplicate', { serial: identity.serial, port: existing.transport.portPath }));
      this.retryIdentify(t);
      return;
    }
    t.identifyAttempt = 0;
    t.link = link;
    this.events?.noticeCleared?.(t.portPath);
    if (existing) {
      // The same tablet on a new transport (adb server restarted, a reboot over the network, a
      // quick replug): it stays attached and its run carries on; a new port is reported.
      const movedPort = existing.transport.portPath !== t.portPath;
      if (existing.transport !== t) {
        existing.transport.tablet = null;
        if (!this.transports.has(existing.transport.adbSerial) || existing.transport.entry.state !== 'device') this.removeTransport(existing.transport, false);
      }
      existing.transport = t;
      existing.identity = identity;
      existing.generation += 1;
      existing.booted = false;
      t.tablet = existing;
      this.log('info', `Android tablet ${identity.serial} is back on ${t.adbSerial} (transport ${t.entry.transportId ?? '?'})`);
      if (movedPort) this.reportAttached(existing);
      return;
    }
    const tablet: Tablet = { identity, transport: t, presence: new AbortController(), generation: 1, booted: false };
    t.tablet = tablet;
    this.tablets.set(identity.serial, tablet);
    this.log('info', `Android tablet ${identity.serial} (${identity.manufacturer} ${identity.model}, Android ${identity.osVersion ?? '?'}) at ${t.portPath}`, {
      adbSerial: t.adbSerial,
    });
    this.reportAttached(tablet);
  }

  private reportAttached(tablet: Tablet): void {
    const { identity } = tablet;
    this.events?.attached({
      serial: identity.serial,
      family: 'android',
      platform: 'android',
      model: identity.model || 'Android tablet',
      osVersion: identity.osVersion,
      portPath: tablet.transport.portPath,
    });
  }

  // ---- leaving ----------------------------------------------------------------------------------

  private dropLink(t: Transport): void {
    t.link?.close();
    t.link = null;
    if (t.tablet) t.tablet.booted = false;
  }

  private removeTransport(t: Transport, notify: boolean): void {
    if (this.transports.get(t.adbSerial) === t) this.transports.delete(t.adbSerial);
    // A network tablet the station had may come back (a reboot, a cable between two hops): keep asking.
    if (notify && t.tablet && isNetworkSerial(t.adbSerial)) this.redialSoon(t.adbSerial);
    t.gone.abort();
    if (t.identifyTimer) clearTimeout(t.identifyTimer);
    t.identifyTimer = null;
    this.dropLink(t);
    this.detachTablet(t, notify);
    if (notify) this.events?.noticeCleared?.(t.portPath);
  }

  private detachTablet(t: Transport, notify: boolean): void {
    const tablet = t.tablet;
    if (!tablet) return;
    t.tablet = null;
    if (this.tablets.get(tablet.identity.serial) === tablet) this.tablets.delete(tablet.identity.serial);
    tablet.presence.abort();
    this.log('info', `Android tablet ${tablet.identity.serial} left ${t.portPath}`);
    if (notify) this.events?.detached(tablet.identity.serial);
  }

  // ---- steps ------------------------------------------------------------------------------------

  async executeStep(ctx: StepContext): Promise<StepOutcome> {
    const tablet = this.tablets.get(ctx.serial);
    if (!tablet || tablet.presence.signal.aborted) throw new DeviceGoneError(ctx.serial);
    const presence = tablet.presence.signal;
    const signal = AbortSignal.any([ctx.signal, presence]);
    const stepCtx: StepContext = { ...ctx, signal };
    const runner = ANDROID_STEPS[ctx.step.type];
    if (!runner) {
      if (NO_DEVICE_STEPS.has(ctx.step.type)) return {};
      throw stepFailed('android.unsupported-step', { step: ctx.step.id, type: ctx.step.type }, false);
    }
    const device = this.deviceOf(tablet);
    for (let round = 1; ; round++) {
      try {
        if (!TABLET_FREE_STEPS.has(ctx.step.type)) await device.whenUsable(stepCtx, signal);
        return await runner(stepCtx, device, {
          timings: this.opts.timings,
          log: (level, text, fields) => this.log(level, text, { ...fields, serial: ctx.serial }),
        });
      } catch (err) {
        if (presence.aborted) throw new DeviceGoneError(ctx.serial);
        if (ctx.signal.aborted) throw err instanceof StepAbortedError ? err : new StepAbortedError();
        if (err instanceof AdbLinkError && err.kind !== 'refused' && round < MAX_STEP_ROUNDS) {
          // The server or the transport went away under the step: once the tablet is usable
          // again the step runs again from its start (every step is safe to run again).
          this.log('warn', `step ${ctx.step.id} on ${ctx.serial} lost the tablet (${err.message}); running it again once the tablet is back`);
          await sleep(this.opts.timings.bootPollMs, signal).catch(() => undefined);
          continue;
        }
        if (err instanceof AdbLinkError) throw stepFailed('android.shell-failed', { command: ctx.step.type, reason: err.message });
        throw err;
      }
    }
  }

  /** The steps' view of a tablet, always on its current transport. */
  private deviceOf(tablet: Tablet): AndroidDevice {
    const linkOf = (): AdbDeviceLink => {
      const link = tablet.transport.link;
      if (!link || !this.serverUp) throw new AdbLinkError('device-gone', `tablet ${tablet.identity.serial} is not connected`);
      return link;
    };
    return {
      get identity() {
        return tablet.identity;
      },
      get adbSerial() {
        return tablet.transport.adbSerial;
      },
      get portPath() {
        return tablet.transport.portPath;
      },
      features: () => tablet.transport.link?.features ?? new Set<string>(),
      shell: async (command, signal) => (await linkOf().shell(command, signal)).text,
      streamFile: (service, file, signal, onBytes) => linkOf().streamFile(service, file, signal, onBytes),
      push: (file, remotePath, signal, onBytes) => linkOf().push(file, remotePath, signal, onBytes),
      reboot: (signal) => {
        signal.throwIfAborted();
        return linkOf().reboot();
      },
      generation: () => tablet.generation,
      whenLeft: (generation, signal) =>
        this.until(() => tablet.generation !== generation || !tablet.transport.link || tablet.transport.entry.state !== 'device', signal),
      whenUsable: (ctx, signal) => this.whenUsable(tablet, ctx, signal),
    };
  }

  /** Waits (showing why on the tile) until the tablet takes commands and has booted. */
  private async whenUsable(tablet: Tablet, ctx: StepContext, signal: AbortSignal): Promise<void> {
    for (;;) {
      const t = tablet.transport;
      if (this.serverUp && t.link && t.entry.state === 'device' && !t.identifying) {
        if (tablet.booted) return;
        const link = t.link;
        const shell = { shell: async (command: string, s: AbortSignal) => (await link.shell(command, s)).text };
        if (!(await bootCompleted(shell, signal))) {
          await ctx.waitFor('restart', message('android.booting'), untilBooted(shell, this.opts.timings.bootPollMs, signal));
        }
        if (t.link === link) tablet.booted = true;
        continue;
      }
      const state = t.entry.state;
      const [reason, text]: ['trust' | 'restart', Message] = !this.serverUp
        ? ['restart', message('android.adb-restarting')]
        : state === 'unauthorized'
          ? ['trust', message('android.unauthorized', { where: this.where(t) })]
          : ['restart', message('android.reconnecting')];
      await ctx.waitFor(
        reason,
        text,
        this.until(() => this.isUsable(tablet) || this.waitReasonChanged(tablet, state), signal),
      );
    }
  }

  private isUsable(tablet: Tablet): boolean {
    const t = tablet.transport;
    return this.serverUp && t.link !== null && t.entry.state === 'device' && !t.identifying;
  }

  private waitReasonChanged(tablet: Tablet, state: string): boolean {
    return tablet.transport.entry.state !== state && this.serverUp;
  }

  /** Resolves when `condition` holds (checked after every change), rejects when the signal aborts. */
  private until(condition: () => boolean, signal: AbortSignal): Promise<void> {
    if (condition()) return Promise.resolve();
    if (signal.aborted) return Promise.reject(new StepAbortedError());
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const onAbort = () => {
        cleanup();
        reject(new StepAbortedError());
      };
      const cleanup = () => {
        this.change.removeEventListener('change', check);
        signal.removeEventListener('abort', onAbort);
      };
      this.change.addEventListener('change', check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private changed(): void {
    this.change.dispatchEvent(new Event('change'));
  }

  // ---- tiles and log ----------------------------------------------------------------------------

  /** "in Steckplatz B3" when the layout knows the port, else "mit der Seriennummer R52N…". */
  private where(t: Transport): Message {
    const slot = this.opts.slotForPort?.(t.portPath) ?? null;
    return slot ? message('android.where-slot', { slot }) : message('android.where-serial', { serial: t.adbSerial });
  }

  private notice(t: Transport, kind: PortNoticeKind, text: Message): void {
    this.events?.notice?.({ portPath: t.portPath, kind, message: formatMessage(text, 'en'), text, usb: null });
  }

  private log(level: LogLevel, text: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, text, fields);
  }
}
