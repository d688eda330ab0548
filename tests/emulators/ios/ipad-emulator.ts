import crypto from 'node:crypto';
import type net from 'node:net';
import { EmulatedDevice } from './emulated-device.js';
import type { EmulatedIpadSpec, EmulatedIpadState, EmulatorEnv, ServiceHandler } from './emulated-ipad.js';
import { generateDeviceKeys, type DeviceKeys } from './lockdown/device-keys.js';
import { acceptServiceTls } from './lockdown/device-tls.js';
import { serveLockdown, type LockdownHost } from './lockdown/lockdownd.js';
import { CORE_TIMINGS_MS, scaleMs } from './timings.js';
import { USBMUX_RESULT, UsbmuxdServer, type UsbmuxAttachment, type UsbmuxdBackend, type UsbmuxdListen } from './usbmuxd-server.js';

export { makeIpadSpec, slotLocationId } from './ipad-spec.js';

/**
 * The emulated iPads behind one emulated usbmuxd: devices come and go (plug, unplug, reboot),
 * usbmuxd dies and comes back while the devices stay, pair records live in memory across usbmuxd
 * restarts (real usbmuxd keeps them on disk). DeviceIDs count from 1 again after a usbmuxd restart,
 * as a freshly started usbmuxd numbers the devices it enumerates: clients must list again.
 */

const LOCKDOWN_PORT = 62078;
const APPLE_VENDOR_IPAD_PRODUCT_ID = 0x12ab;
const USB2_HIGH_SPEED = 480_000_000;

export interface IpadEmulatorOptions {
  listen: UsbmuxdListen;
  /** Real-device timings are divided by this (2 = twice as fast). Default 1. */
  speed?: number;
  activationUrl?: string | null;
  devices: EmulatedIpadSpec[];
  /** Service handlers by lockdown service name; StartService of any other name answers InvalidService. */
  services?: Record<string, ServiceHandler>;
  /**
   * 'shared' (default): every device uses one RSA-2048 key pair, generated on first use, so 64
   * devices cost one key generation, not 64 (about 150 ms of CPU each here). 'per-device': each
   * device generates its own on first use, as real devices have their own.
   */
  deviceKeys?: 'shared' | 'per-device';
  /** Where the emulator's log lines go; default: stderr when BENCHLINE_IOS_EMULATOR_LOG is set, else nowhere. */
  log?: (line: string) => void;
}

export class IpadEmulator implements UsbmuxdBackend, LockdownHost {
  readonly speed: number;
  readonly pairRecords = new Map<string, Buffer>();
  readonly systemBuid = crypto.randomUUID().toUpperCase();
  private readonly devices = new Map<string, EmulatedDevice>();
  private readonly services: Record<string, ServiceHandler>;
  private readonly activationUrl: string | null;
  private readonly deviceKeys: 'shared' | 'per-device';
  private sharedKeys: Promise<DeviceKeys> | null = null;
  private readonly usbmuxd: UsbmuxdServer;
  private readonly logLine: (line: string) => void;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly arrivals = new Map<string, NodeJS.Timeout>();
  private readonly attachWaiters = new Map<string, Array<() => void>>();
  /** usbmuxd is up and has enumerated the bus (new arrivals attach at once). */
  private usbmuxdReady = false;
  private enumeration: NodeJS.Timeout | null = null;
  private nextDeviceId = 1;
  private closed = false;

  constructor(options: IpadEmulatorOptions) {
    const speed = options.speed ?? 1;
    if (!Number.isFinite(speed) || speed <= 0) throw new Error(`speed must be a positive number, got ${speed}`);
    this.speed = speed;
    this.services = options.services ?? {};
    this.activationUrl = options.activationUrl ?? null;
    this.deviceKeys = options.deviceKeys ?? 'shared';
    this.logLine = options.log ?? (process.env['BENCHLINE_IOS_EMULATOR_LOG'] ? (line) => process.stderr.write(`[ios-emulator] ${line}\n`) : () => {});
    this.usbmuxd = new UsbmuxdServer(options.listen, this);
  }

  /** USBMUXD_SOCKET_ADDRESS for clients ("UNIX:/path" or "127.0.0.1:port"). */
  get address(): string {
    return this.usbmuxd.address;
  }

  log(message: string): void {
    this.logLine(message);
  }

  /** The device's state; tests read and change it (faults, battery, supervision). */
  device(udid: string): EmulatedIpadState {
    return this.runtime(udid).state;
  }

  /** Every emulated device's UDID, plugged or not, in the order they were added. */
  udids(): string[] {
    return [...this.devices.keys()];
  }

  /** usbmuxd's current DeviceID of the device; null while usbmuxd does not see it. */
  deviceId(udid: string): number | null {
    return this.runtime(udid).deviceId;
  }

  /** Resolves when usbmuxd reports the device attached (at once when it is). */
  whenAttached(udid: string): Promise<void> {
    if (this.runtime(udid).deviceId !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.attachWaiters.get(udid) ?? [];
      waiters.push(resolve);
      this.attachWaiters.set(udid, waiters);
    });
  }

  /** Plugs in a new device; resolves when usbmuxd reports it (after the scaled enumeration time). */
  plug(spec: EmulatedIpadSpec): Promise<EmulatedIpadState> {
    if (this.devices.has(spec.udid)) throw new Error(`device ${spec.udid} is already emulated: use replug()`);
    const device = this.createDevice(spec);
    this.scheduleArrival(device, CORE_TIMINGS_MS.plugToAttached);
    return this.whenAttached(spec.udid).then(() => device.state);
  }

  /** Pulls the cable: usbmuxd reports Detached and every connection to the device closes. */
  unplug(udid: string): void {
    const device = this.runtime(udid);
    device.plugged = false;
    this.cancelArrival(udid);
    this.leaveBus(device);
  }

  /** Plugs the device back in; resolves when usbmuxd reports it again (with a new DeviceID). */
  replug(udid: string): Promise<void> {
    const device = this.runtime(udid);
    if (device.plugged && device.onBus) return this.whenAttached(udid);
    device.plugged = true;
    if (!device.booting) this.scheduleArrival(device, CORE_TIMINGS_MS.plugToAttached);
    return this.whenAttached(udid);
  }

  /** The device leaves the bus now and returns after realMs (scaled) as a new attachment; beforeReturn runs just before. */
  reboot(udid: string, realMs: number, beforeReturn?: () => void): void {
    const device = this.runtime(udid);
    device.booting = true;
    this.cancelArrival(udid);
    this.leaveBus(device);
    this.later(scaleMs(realMs, this.speed), () => {
      device.booting = false;
      try {
        beforeReturn?.();
      } catch (error) {
        this.log(`${udid}: reboot hook failed: ${(error as Error).message}`);
      }
      if (device.plugged) this.arriveOnBus(device);
    });
  }

  /** usbmuxd dies: every client sees EOF, every pipe closes; the devices stay plugged. */
  async stopUsbmuxd(): Promise<void> {
    this.usbmuxdReady = false;
    if (this.enumeration) clearTimeout(this.enumeration);
    this.enumeration = null;
    for (const device of this.devices.values()) device.deviceId = null;
    await this.usbmuxd.stop();
    this.log('usbmuxd stopped');
  }

  /** usbmuxd comes back on the same address and reports the devices on the bus after the scaled enumeration time. */
  async startUsbmuxd(): Promise<void> {
    await this.usbmuxd.start();
    this.nextDeviceId = 1;
    this.log('usbmuxd started');
    this.enumeration = this.later(scaleMs(CORE_TIMINGS_MS.usbmuxdStartToAttached, this.speed), () => this.enumerate());
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.usbmuxdReady = false;
    await this.usbmuxd.stop();
    for (const device of this.devices.values()) device.dropConnections();
  }

  /** Starts usbmuxd with the initial devices already enumerated. */
  async start(specs: EmulatedIpadSpec[]): Promise<void> {
    for (const spec of specs) {
      const device = this.createDevice(spec);
      device.onBus = true;
    }
    await this.usbmuxd.start();
    this.enumerate();
  }

  // ---- usbmuxd backend ----

  attachments(): UsbmuxAttachment[] {
    const attached: UsbmuxAttachment[] = [];
    for (const device of this.devices.values()) {
      if (device.deviceId === null) continue;
      attached.push({
        deviceId: device.deviceId,
        udid: device.udid,
        locationId: device.state.locationId,
        productId: APPLE_VENDOR_IPAD_PRODUCT_ID,
        connectionSpeed: USB2_HIGH_SPEED,
      });
    }
    return attached.sort((a, b) => a.deviceId - b.deviceId);
  }

  connect(deviceId: number, port: number): number | ((socket: net.Socket, leftover: Buffer) => void) {
    const device = [...this.devices.values()].find((candidate) => candidate.deviceId === deviceId);
    if (!device) return USBMUX_RESULT.badDevice;
    if (port === LOCKDOWN_PORT) {
      return (socket, leftover) => {
        this.track(device, socket);
        serveLockdown(socket, leftover, device, this);
      };
    }
    const pending = device.servicePorts.get(port);
    if (!pending) return USBMUX_RESULT.connectionRefused;
    device.servicePorts.delete(port);
    clearTimeout(pending.timer);
    return (socket, leftover) => {
      this.track(device, socket);
      acceptServiceTls(socket, leftover, device, pending.hostId)
        .then((secure) => {
          device.env.log(`service ${pending.service} connected`);
          pending.handler(secure, device.state, device.env);
        })
        .catch((error: unknown) => {
          device.env.log(`service ${pending.service} refused: ${(error as Error).message}`);
          socket.destroy();
        });
    };
  }

  // ---- lockdown host ----

  openServicePort(device: EmulatedDevice, service: string, hostId: string): number | null {
    const handler = this.services[service];
    if (!handler) return null;
    let port = 0;
    do port = 49152 + crypto.randomInt(16383);
    while (port === LOCKDOWN_PORT || device.servicePorts.has(port));
    // Not scaled: a guard against ports nobody connects to, not a behaviour anyone waits for.
    const timer = setTimeout(() => device.servicePorts.delete(port), CORE_TIMINGS_MS.servicePortIdle);
    timer.unref();
    device.servicePorts.set(port, { service, handler, hostId, timer });
    return port;
  }

  // ---- internals ----

  private runtime(udid: string): EmulatedDevice {
    const device = this.devices.get(udid);
    if (!device) throw new Error(`no emulated device ${udid}`);
    return device;
  }

  private createDevice(spec: EmulatedIpadSpec): EmulatedDevice {
    const udid = spec.udid;
    const env: EmulatorEnv = {
      scaled: (realMs) => scaleMs(realMs, this.speed),
      activationUrl: this.activationUrl,
      unplug: () => this.unplug(udid),
      reboot: (realMs, beforeReturn) => this.reboot(udid, realMs, beforeReturn),
      log: (message) => this.log(`${udid}: ${message}`),
    };
    let ownKeys: Promise<DeviceKeys> | null = null;
    const keySource = this.deviceKeys === 'shared' ? () => (this.sharedKeys ??= generateDeviceKeys()) : () => (ownKeys ??= generateDeviceKeys());
    const device = new EmulatedDevice(spec, env, keySource);
    this.devices.set(udid, device);
    return device;
  }

  private later(ms: number, action: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) action();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private scheduleArrival(device: EmulatedDevice, realMs: number): void {
    this.cancelArrival(device.udid);
    const timer = this.later(scaleMs(realMs, this.speed), () => {
      this.arrivals.delete(device.udid);
      if (device.plugged && !device.booting) this.arriveOnBus(device);
    });
    this.arrivals.set(device.udid, timer);
  }

  private cancelArrival(udid: string): void {
    const timer = this.arrivals.get(udid);
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
    this.arrivals.delete(udid);
  }

  private arriveOnBus(device: EmulatedDevice): void {
    device.onBus = true;
    device.chargeUpdatedAt = Date.now();
    if (this.usbmuxdReady) this.attach(device);
  }

  private leaveBus(device: EmulatedDevice): void {
    device.onBus = false;
    device.dropConnections();
    const id = device.deviceId;
    if (id === null) return;
    device.deviceId = null;
    this.usbmuxd.detached(id);
    this.log(`${device.udid}: detached (DeviceID ${id})`);
  }

  private enumerate(): void {
    this.enumeration = null;
    this.usbmuxdReady = true;
    for (const device of this.devices.values()) if (device.onBus && device.deviceId === null) this.attach(device);
  }

  private attach(device: EmulatedDevice): void {
    const inUse = new Set([...this.devices.values()].map((candidate) => candidate.deviceId));
    while (inUse.has(this.nextDeviceId)) this.nextDeviceId += 1;
    device.deviceId = this.nextDeviceId++;
    const attachment = this.attachments().find((entry) => entry.deviceId === device.deviceId);
    if (attachment) this.usbmuxd.attached(attachment);
    this.log(`${device.udid}: attached (DeviceID ${device.deviceId})`);
    const waiters = this.attachWaiters.get(device.udid) ?? [];
    this.attachWaiters.delete(device.udid);
    for (const resolve of waiters) resolve();
  }

  private track(device: EmulatedDevice, socket: net.Socket): void {
    device.connections.add(socket);
    socket.on('close', () => device.connections.delete(socket));
  }
}

export async function startIpadEmulator(options: IpadEmulatorOptions): Promise<IpadEmulator> {
  const emulator = new IpadEmulator(options);
  await emulator.start(options.devices);
  return emulator;
}
