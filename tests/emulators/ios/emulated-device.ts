import type { Duplex } from 'node:stream';
import type { EmulatedIpadSpec, EmulatedIpadState, EmulatorEnv, ServiceHandler } from './emulated-ipad.js';
import type { DeviceKeys } from './lockdown/device-keys.js';
import type { PlistValue } from './plist-wire.js';

/**
 * One emulated iPad at run time: its state (what tests read and change), and what only the
 * emulator's core keeps: where it is on the bus, its usbmuxd DeviceID, its open connections, the
 * service ports lockdownd opened, the Trust prompt, and the device certificates hosts gave it.
 */

/** A port lockdownd opened for StartService: one connection, TLS with the starting host's pair record. */
export interface PendingServicePort {
  service: string;
  handler: ServiceHandler;
  hostId: string;
  timer: NodeJS.Timeout;
}

export class EmulatedDevice {
  readonly state: EmulatedIpadState;
  readonly env: EmulatorEnv;
  /** Physically connected (unplug/replug). */
  plugged = true;
  /** Rebooting (erase, restart): off the bus until the reboot ends. */
  booting = false;
  /** On the bus: usbmuxd can see it (plugged, not booting, enumerated). */
  onBus = false;
  /** usbmuxd's id for the current attachment; null while usbmuxd does not see it. */
  deviceId: number | null = null;
  /** Sockets piped to this device through usbmuxd Connect; all close when it leaves. */
  readonly connections = new Set<Duplex>();
  readonly servicePorts = new Map<number, PendingServicePort>();
  /** DeviceCertificate (PEM) per HostID, from the pair records hosts sent; the TLS server certificate. */
  readonly deviceCertificates = new Map<string, Buffer>();
  /** Values set with SetValue outside what the state models, per domain ('' = global). */
  readonly valueOverlay = new Map<string, Map<string, PlistValue>>();
  /** When the Trust prompt appeared (ms since epoch); null when none is showing. */
  trustPromptSince: number | null = null;
  /** Battery bookkeeping: when the charge was last brought up to date. */
  chargeUpdatedAt = Date.now();
  private readonly keySource: () => Promise<DeviceKeys>;

  /** `keySource` gives the device's key pair: its own, or the one the emulator shares (see IpadEmulatorOptions.deviceKeys). */
  constructor(spec: EmulatedIpadSpec, env: EmulatorEnv, keySource: () => Promise<DeviceKeys>) {
    this.state = {
      ...spec,
      cloudConfiguration: null,
      profiles: new Map(),
      apps: new Map(),
      files: new Map(),
      pairedHosts: new Map(),
      faults: {},
    };
    this.env = env;
    this.keySource = keySource;
  }

  get udid(): string {
    return this.state.udid;
  }

  /** The device's RSA key pair (DevicePublicKey, TLS server key). */
  keys(): Promise<DeviceKeys> {
    return this.keySource();
  }

  /** The battery level now: rises by one percent per (scaled) chargeSecondsPerPercent while connected. */
  batteryPercentNow(): number {
    const perPercentMs = this.env.scaled(this.state.chargeSecondsPerPercent * 1000);
    const now = Date.now();
    if (this.state.chargeSecondsPerPercent <= 0 || perPercentMs <= 0 || this.state.batteryPercent >= 100) {
      this.chargeUpdatedAt = now;
      return Math.min(100, this.state.batteryPercent);
    }
    const gained = Math.floor((now - this.chargeUpdatedAt) / perPercentMs);
    if (gained > 0) {
      this.state.batteryPercent = Math.min(100, this.state.batteryPercent + gained);
      this.chargeUpdatedAt += gained * perPercentMs;
    }
    return this.state.batteryPercent;
  }

  /** Closes every connection and forgets the service ports and the Trust prompt (the device left the bus). */
  dropConnections(): void {
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
    for (const port of this.servicePorts.values()) clearTimeout(port.timer);
    this.servicePorts.clear();
    this.trustPromptSince = null;
  }
}
