import { backoffDelay } from '../../../../shared/backoff.js';
import type { LogLevel } from '../../../logging/logger.js';
import { IosLinkError } from '../ios-link.js';
import type { UsbmuxClient, UsbmuxDevice, UsbmuxEvent, UsbmuxListenConnection } from './usbmux-client.js';

export interface UsbmuxWatchEvents {
  /** A device arrived (a new attachment: first seen, or back after it left). */
  attached(device: UsbmuxDevice): void;
  /** The device left. */
  detached(device: UsbmuxDevice): void;
}

export interface UsbmuxWatchOptions {
  client: UsbmuxClient;
  /** First delay before reconnecting to usbmuxd; it doubles up to maxMs (with jitter, so stations do not reconnect in step). */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  random?: () => number;
  log?(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/**
 * usbmuxd's Listen, kept up. When the daemon goes away (it restarts, a hub storm kills it) the watch
 * reconnects with backoff and compares ListDevices with what it had: a device still there keeps
 * its attachment (only its DeviceID may change), so runs carry on without a detach; a device gone
 * in the meantime is detached, a new one attached. Only USB devices count: a device usbmuxd also
 * reaches over Wi-Fi has no port, no slot and no business on a bench.
 */
export class UsbmuxWatch {
  private events: UsbmuxWatchEvents | null = null;
  private readonly present = new Map<string, UsbmuxDevice>();
  private listenConnection: UsbmuxListenConnection | null = null;
  private connectedNow = false;
  private lost = 0;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private downSince: number | null = null;
  private lastProblem: IosLinkError | null = null;
  private connectedWaiters = new Set<() => void>();
  private readonly stopping = new AbortController();
  private readonly ignoredNetwork = new Set<string>();

  constructor(private readonly opts: UsbmuxWatchOptions) {}

  /** Connects and reports the devices present; resolves after the first try, reachable or not (it keeps trying). */
  async start(events: UsbmuxWatchEvents): Promise<void> {
    this.events = events;
    await this.connectOnce();
  }

  stop(): void {
    this.events = null;
    this.stopping.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.listenConnection?.close();
    this.listenConnection = null;
    this.wakeWaiters();
  }

  get connected(): boolean {
    return this.connectedNow;
  }

  /** How often the connection to usbmuxd was lost since start: a step compares it before and after. */
  get outages(): number {
    return this.lost;
  }

  /** Why usbmuxd cannot be reached, while it cannot. */
  get problem(): IosLinkError | null {
    return this.connectedNow ? null : this.lastProblem;
  }

  device(udid: string): UsbmuxDevice | undefined {
    return this.present.get(udid);
  }

  /** Resolves once usbmuxd is connected and its devices compared (at once when it is); false when the signal aborts first. */
  whenConnected(signal: AbortSignal): Promise<boolean> {
    if (this.connectedNow) return Promise.resolve(true);
    if (signal.aborted || this.stopping.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        this.connectedWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve(this.connectedNow);
      };
      this.connectedWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private async connectOnce(): Promise<void> {
    const signal = this.stopping.signal;
    let connection: UsbmuxListenConnection | null = null;
    try {
      connection = await this.opts.client.listen(signal);
      this.listenConnection = connection;
      // Listen's own first events may say the same: the comparison and the events agree by UDID.
      const list = await this.opts.client.listDevices(signal);
      if (signal.aborted) return;
      this.reconcile(list);
    } catch (err) {
      connection?.close();
      this.listenConnection = null;
      if (signal.aborted) return;
      this.lastProblem = err instanceof IosLinkError ? err : new IosLinkError('usbmuxd-unreachable', (err as Error).message);
      this.connectionLost();
      return;
    }
    const outage = this.downSince === null ? null : Date.now() - this.downSince;
    this.connectedNow = true;
    this.attempt = 0;
    this.downSince = null;
    this.lastProblem = null;
    this.log(
      outage === null ? 'info' : 'warn',
      outage === null ? `usbmuxd at ${connection.address}: listening` : `usbmuxd at ${connection.address} is back after ${outage} ms`,
      {
        devices: this.present.size,
      },
    );
    this.wakeWaiters();
    void this.readEvents(connection);
  }

  private async readEvents(connection: UsbmuxListenConnection): Promise<void> {
    try {
      for (;;) this.apply(await connection.next());
    } catch (err) {
      if (this.stopping.signal.aborted || this.listenConnection !== connection) return;
      connection.close();
      this.listenConnection = null;
      this.connectedNow = false;
      this.lost++;
      this.lastProblem = err instanceof IosLinkError ? err : new IosLinkError('usbmuxd-unreachable', (err as Error).message);
      this.log('warn', `usbmuxd at ${connection.address} went away (${this.lastProblem.message}); reconnecting, the devices stay until it says otherwise`);
      this.connectionLost();
    }
  }

  private connectionLost(): void {
    this.downSince ??= Date.now();
    this.attempt++;
    const delay = backoffDelay(this.attempt, {
      baseMs: this.opts.reconnectBaseMs ?? 250,
      maxMs: this.opts.reconnectMaxMs ?? 10_000,
      jitter: 'half',
      ...(this.opts.random ? { random: this.opts.random } : {}),
    });
    if (this.attempt === 1 || this.attempt % 10 === 0)
      this.log('warn', `usbmuxd cannot be reached (${this.lastProblem?.deviceReason ?? this.lastProblem?.message}); next try in ${delay} ms`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connectOnce();
    }, delay);
  }

  private apply(event: UsbmuxEvent): void {
    if (event.type === 'attached') this.arrived(event.device);
    else if (event.type === 'detached') {
      const device = [...this.present.values()].find((d) => d.deviceId === event.deviceId);
      if (device) this.left(device);
    } else if (event.type === 'paired') this.log('info', `usbmuxd: device ${event.deviceId} paired`);
  }

  /** Compares usbmuxd's list after a (re)connect with what the watch had. */
  private reconcile(list: readonly UsbmuxDevice[]): void {
    const usb = list.filter((d) => this.isUsb(d));
    const listed = new Set(usb.map((d) => d.udid));
    for (const device of [...this.present.values()]) if (!listed.has(device.udid)) this.left(device);
    for (const device of usb) this.arrived(device);
  }

  private arrived(device: UsbmuxDevice): void {
    if (!this.isUsb(device)) return;
    const known = this.present.get(device.udid);
    if (known && known.locationId === device.locationId) {
      // The same attachment (seen again after a reconnect, or in Listen's first events): at most a new DeviceID.
      if (known.deviceId !== device.deviceId) this.log('info', `usbmuxd renumbered ${device.udid}: ${known.deviceId} -> ${device.deviceId}`);
      this.present.set(device.udid, device);
      return;
    }
    // Moved to another port while usbmuxd was away: it left one port and arrived at another.
    if (known) this.left(known);
    this.present.set(device.udid, device);
    this.events?.attached(device);
  }

  private left(device: UsbmuxDevice): void {
    if (this.present.get(device.udid) !== device) return;
    this.present.delete(device.udid);
    this.events?.detached(device);
  }

  private isUsb(device: UsbmuxDevice): boolean {
    if (device.connectionType === 'USB') return true;
    if (!this.ignoredNetwork.has(device.udid)) {
      this.ignoredNetwork.add(device.udid);
      this.log('info', `usbmuxd also reaches ${device.udid} over ${device.connectionType}: ignored, the bench works over USB only`);
    }
    return false;
  }

  private wakeWaiters(): void {
    for (const wake of [...this.connectedWaiters]) wake();
  }

  private log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, message, fields);
  }
}
