import { execFile } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import { AdbdTransport, type AdbdDevice, type ServiceStarter } from './adbd-transport.js';
import { tabletServices } from './adbd-services.js';
import { EmulatedTablet, makeTabletSpec, type EmulatedTabletSpec } from './emulated-tablet.js';
import { REAL_SECONDS } from './timings.js';

export { makeTabletSpec, EmulatedTablet };
export type { EmulatedTabletSpec };

/**
 * Emulated Android tablets for the real adb server: each tablet's adbd listens on its own loopback
 * TCP port and the server reaches it with `adb connect 127.0.0.1:PORT` (it then shows that address
 * as the serial and no `usb:` path; the real serial is `getprop ro.serialno`).
 */

export type EmulatedDeviceState = 'listening' | 'connected' | 'unauthorized' | 'rebooting' | 'unplugged';

export interface EmulatedDeviceInfo {
  serial: string;
  port: number;
  state: EmulatedDeviceState;
}

const execFileAsync = promisify(execFile);

/** Don't wait for link time below this many milliseconds: it is added to the next chunk instead. */
const MIN_WAIT_MS = 4;

class TabletEndpoint implements AdbdDevice {
  readonly tablet: EmulatedTablet;
  port = 0;
  private server: net.Server | null = null;
  private readonly transports = new Set<AdbdTransport>();
  private away: 'rebooting' | 'unplugged' | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private linkDebtMs = 0;
  private readonly speed: number;
  private readonly logLine: (line: string) => void;
  private readonly services: (service: string) => ServiceStarter | null;

  constructor(tablet: EmulatedTablet, speed: number, log: (line: string) => void) {
    this.tablet = tablet;
    this.speed = speed;
    this.logLine = log;
    this.services = tabletServices(tablet);
    tablet.link = {
      reboot: () => this.reboot(),
      unplug: () => this.unplug(),
      allowDebugging: () => this.allowDebugging(),
    };
  }

  get state(): EmulatedDeviceState {
    if (this.away) return this.away;
    const states = [...this.transports].map((t) => t.state);
    if (states.includes('online')) return 'connected';
    if (states.includes('unauthorized')) return 'unauthorized';
    return 'listening';
  }

  async listen(): Promise<void> {
    const server = net.createServer((socket) => {
      const transport = new AdbdTransport(socket, this);
      this.transports.add(transport);
      socket.on('close', () => this.transports.delete(transport));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Listener and every connection gone: the host sees the device disappear. */
  stopListening(): void {
    this.server?.close();
    this.server = null;
    for (const t of this.transports) t.close();
    this.transports.clear();
  }

  unplug(): void {
    this.log('unplugged');
    this.away = 'unplugged';
    this.stopListening();
  }

  async replug(): Promise<void> {
    if (this.away !== 'unplugged') return;
    this.away = null;
    await this.listen();
    this.log('plugged in');
  }

  reboot(): void {
    const t = this.tablet;
    this.log('rebooting');
    this.away = 'rebooting';
    t.bootCompleted = false;
    t.rebootCount++;
    t.wifi.connectedSsid = null;
    this.stopListening();
    this.later(REAL_SECONDS.rebootAdbdUp, () => {
      if (this.away !== 'rebooting') return;
      this.away = null;
      this.listen().then(
        () => this.log('adbd up'),
        (err: unknown) => this.log(`adbd could not listen again: ${String(err)}`),
      );
    });
    this.later(REAL_SECONDS.rebootBootCompleted, () => {
      t.bootCompleted = true;
      t.wifi.connectedSsid = t.wifi.networks.at(-1)?.ssid ?? null;
      this.log('boot completed');
    });
  }

  allowDebugging(): void {
    for (const transport of this.transports) {
      const key = transport.pendingPublicKey;
      if (transport.state !== 'unauthorized' || !key) continue;
      if (!this.tablet.allowedKeys.some((k) => k.equals(key))) this.tablet.allowedKeys.push(key);
      transport.allow();
    }
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.stopListening();
  }

  // AdbdDevice
  banner(): string {
    return this.tablet.banner();
  }

  usbDebugging(): 'open' | 'keys' {
    return this.tablet.spec.usbDebugging === 'open' ? 'open' : 'keys';
  }

  allowedKeys(): readonly KeyObject[] {
    return this.tablet.allowedKeys;
  }

  promptForKey(): void {
    this.log('showing "Allow USB debugging?"');
    const after = this.tablet.spec.allowDebuggingAfterSeconds;
    if (after !== null) this.later(after, () => this.allowDebugging());
  }

  resolveService(service: string): ServiceStarter | null {
    return this.services(service);
  }

  receiveDelay(bytes: number): Promise<void> | null {
    this.linkDebtMs += (bytes / REAL_SECONDS.usbBytesPerSecond) * (1000 / this.speed);
    if (this.linkDebtMs < MIN_WAIT_MS) return null;
    const wait = this.linkDebtMs;
    this.linkDebtMs = 0;
    return new Promise((resolve) => setTimeout(resolve, wait));
  }

  log(line: string): void {
    this.logLine(`[${this.tablet.spec.serial} :${this.port}] ${line}`);
  }

  private later(realSeconds: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.tablet.scaled(realSeconds));
    this.timers.add(timer);
  }
}

export interface AndroidEmulatorOptions {
  /** Real-device seconds are divided by this. */
  speed: number;
  devices: EmulatedTabletSpec[];
  /** Log lines (services opened, reboots, unplugs); BENCHLINE_ADB_EMULATOR_DEBUG=1 prints them to stderr by default. */
  log?: (line: string) => void;
}

export class AndroidEmulator {
  private readonly endpoints: TabletEndpoint[];

  constructor(endpoints: TabletEndpoint[]) {
    this.endpoints = endpoints;
  }

  devices(): EmulatedDeviceInfo[] {
    return this.endpoints.map((e) => ({ serial: e.tablet.spec.serial, port: e.port, state: e.state }));
  }

  /** The tablet by its serial (ro.serialno) or by the address adb shows ("127.0.0.1:PORT"). */
  device(serial: string): EmulatedTablet {
    return this.endpoint(serial).tablet;
  }

  /** Runs `adb -P SERVERPORT connect 127.0.0.1:PORT` for every tablet; adb's output per tablet. */
  async connectAll(adbServerPort: number, adb = 'adb'): Promise<string[]> {
    const outputs: string[] = [];
    for (const e of this.endpoints) {
      const { stdout } = await execFileAsync(adb, ['-P', String(adbServerPort), 'connect', `127.0.0.1:${e.port}`]);
      outputs.push(stdout.trim());
    }
    return outputs;
  }

  /** The cable is pulled: connections close, the port refuses until replug(). */
  unplug(serial: string): void {
    this.endpoint(serial).unplug();
  }

  replug(serial: string): Promise<void> {
    return this.endpoint(serial).replug();
  }

  async close(): Promise<void> {
    for (const e of this.endpoints) e.close();
  }

  private endpoint(serial: string): TabletEndpoint {
    const found = this.endpoints.find((e) => e.tablet.spec.serial === serial || `127.0.0.1:${e.port}` === serial);
    if (!found) throw new Error(`no emulated tablet ${serial}`);
    return found;
  }
}

export async function startAndroidEmulator(options: AndroidEmulatorOptions): Promise<AndroidEmulator> {
  if (!(options.speed > 0)) throw new Error(`speed must be a positive number, not ${options.speed}`);
  const serials = new Set(options.devices.map((d) => d.serial));
  if (serials.size !== options.devices.length) throw new Error('every emulated tablet needs its own serial');
  const log = options.log ?? (process.env['BENCHLINE_ADB_EMULATOR_DEBUG'] ? (line: string) => process.stderr.write(`${line}\n`) : () => {});
  const endpoints = options.devices.map((spec) => new TabletEndpoint(new EmulatedTablet(spec, options.speed), options.speed, log));
  try {
    for (const e of endpoints) await e.listen();
  } catch (err) {
    for (const e of endpoints) e.close();
    throw err;
  }
  return new AndroidEmulator(endpoints);
}
