import type { KeyObject } from 'node:crypto';
import { REAL_SECONDS } from './timings.js';
import { VirtualFs } from './virtual-fs.js';

/**
 * One emulated Android tablet: what it is (spec), what it holds (packages, files, settings,
 * accounts, device owner, Wi-Fi, battery) and the faults a test switches on. The adbd endpoint
 * (adb-emulator.ts) owns the TCP side; services and commands read and change this state.
 */

export interface PresetPackage {
  packageName: string;
  versionCode: number;
  versionName: string;
}

export interface EmulatedTabletSpec {
  /** ro.serialno (adb shows 127.0.0.1:PORT for a device reached by `adb connect`). */
  serial: string;
  manufacturer: string;
  brand: string;
  model: string;
  /** ro.product.device, the codename. */
  device: string;
  /** ro.product.name. */
  productName: string;
  androidRelease: string;
  sdk: number;
  buildId: string;
  securityPatch: string;
  batteryPercent: number;
  charging: boolean;
  accounts: { name: string; type: string }[];
  /** Users on the device; more than one blocks set-device-owner. */
  users: number;
  systemPackages: PresetPackage[];
  /** Apps installed before the bench (e.g. an older DPC). */
  userPackages: PresetPackage[];
  storageFreeBytes: number;
  /** An older device: no shell_v2, cmd or abb_exec feature and no `cmd` binary (adb falls back to push + pm install). */
  legacy: boolean;
  /** 'open': adbd answers CNXN without AUTH; 'prompt': an unknown host key raises "Allow USB debugging?". */
  usbDebugging: 'open' | 'prompt';
  /** With 'prompt': seconds until the user taps Allow with "Always allow" ticked; null: only allowDebugging() allows. */
  allowDebuggingAfterSeconds: number | null;
  /** A device owner already set, as "pkg/.Receiver"; null on a fresh device. */
  deviceOwner: string | null;
}

/** Faults a test switches on; each fires as its field says. */
export interface AndroidFaults {
  /** Installs fail with INSTALL_FAILED_INSUFFICIENT_STORAGE. */
  insufficientStorage?: boolean;
  /** The cable is pulled once an install upload (streamed, install-write or a push of an .apk) reaches this share (0..1); cleared when it fires. */
  unplugDuringInstallAt?: number;
}

export interface InstalledPackage {
  packageName: string;
  versionCode: number;
  versionName: string;
  minSdk: number;
  system: boolean;
  /** Split names installed with the base (install-multiple), e.g. "config.de". */
  splits: string[];
  codePath: string;
  firstInstallTime: number;
  lastUpdateTime: number;
}

export interface WifiNetwork {
  networkId: number;
  ssid: string;
  security: 'open' | 'owe' | 'wpa2' | 'wpa3';
  passphrase: string | null;
}

/** A `pm install-create` session until install-commit or install-abandon. */
export interface InstallSession {
  id: number;
  allowDowngrade: boolean;
  /** install-write NAME → bytes. */
  files: Map<string, Buffer>;
}

export type SettingsNamespace = 'system' | 'secure' | 'global';

/** What the tablet asks of the endpoint that carries it. */
export interface TabletLink {
  /** adbd goes away (reboot): connections close, the port refuses until it is back. */
  reboot(): void;
  /** The cable is pulled. */
  unplug(): void;
  /** The user taps Allow on "Allow USB debugging?" ("Always allow" ticked). */
  allowDebugging(): void;
}

/** Features of an Android 14 adbd that Debian's adb 29 understands and the emulator serves. */
const FEATURES = ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir', 'apex', 'abb', 'fixed_push_symlink_timestamp', 'abb_exec'];
const LEGACY_FEATURES = ['stat_v2', 'ls_v2', 'fixed_push_mkdir'];

function defaultSettings(spec: EmulatedTabletSpec): Record<SettingsNamespace, Map<string, string>> {
  return {
    system: new Map([
      ['screen_off_timeout', '60000'],
      ['screen_brightness', '102'],
      ['font_scale', '1.0'],
      ['accelerometer_rotation', '1'],
    ]),
    secure: new Map([
      ['android_id', spec.serial.toLowerCase().padStart(16, '0').slice(-16)],
      ['location_mode', '3'],
      ['user_setup_complete', '1'],
      ['install_non_market_apps', '1'],
    ]),
    global: new Map([
      ['adb_enabled', '1'],
      ['development_settings_enabled', '1'],
      ['device_provisioned', '1'],
      ['stay_on_while_plugged_in', '0'],
      ['auto_time', '1'],
      ['auto_time_zone', '1'],
      ['wifi_on', '1'],
      ['airplane_mode_on', '0'],
    ]),
  };
}

export class EmulatedTablet {
  readonly spec: EmulatedTabletSpec;
  readonly packages = new Map<string, InstalledPackage>();
  readonly fs = new VirtualFs();
  readonly settings: Record<SettingsNamespace, Map<string, string>>;
  accounts: { name: string; type: string }[];
  users: number;
  deviceOwner: string | null;
  readonly wifi: { enabled: boolean; networks: WifiNetwork[]; connectedSsid: string | null } = { enabled: true, networks: [], connectedSsid: null };
  /** sys.boot_completed. */
  bootCompleted = true;
  rebootCount = 0;
  faults: AndroidFaults = {};
  /** Every service opened and shell command run, in order ("shell:getprop …", "pm install …"), for tests. */
  readonly history: string[] = [];
  readonly installSessions = new Map<number, InstallSession>();
  /** Host keys the user allowed with "Always allow". */
  readonly allowedKeys: KeyObject[] = [];
  link: TabletLink | null = null;
  private battery: { level: number; charging: boolean; since: number };
  private readonly speed: number;
  private nextSession = 1_000_000 + Math.floor(Math.random() * 1_000_000);

  constructor(spec: EmulatedTabletSpec, speed: number) {
    this.spec = spec;
    this.speed = speed;
    this.settings = defaultSettings(spec);
    this.accounts = spec.accounts.map((a) => ({ ...a }));
    this.users = spec.users;
    this.deviceOwner = spec.deviceOwner;
    this.battery = { level: spec.batteryPercent, charging: spec.charging, since: Date.now() };
    const now = Date.now();
    for (const [list, system] of [
      [spec.systemPackages, true],
      [spec.userPackages, false],
    ] as const) {
      for (const p of list) {
        this.packages.set(p.packageName, {
          ...p,
          minSdk: 23,
          system,
          splits: [],
          codePath: system ? `/system/app/${p.packageName}` : `/data/app/~~preset==/${p.packageName}-1==`,
          firstInstallTime: now,
          lastUpdateTime: now,
        });
      }
    }
  }

  features(): string[] {
    return this.spec.legacy ? LEGACY_FEATURES : FEATURES;
  }

  banner(): string {
    const s = this.spec;
    return `device::ro.product.name=${s.productName};ro.product.model=${s.model};ro.product.device=${s.device};features=${this.features().join(',')}`;
  }

  /** Milliseconds the emulator waits for `realSeconds` of a real device. */
  scaled(realSeconds: number): number {
    return (realSeconds * 1000) / this.speed;
  }

  sleep(realSeconds: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.scaled(realSeconds)));
  }

  /** Battery level now: a charging tablet gains a percent per REAL_SECONDS.chargeSecondsPerPercent. */
  batteryLevel(): number {
    const b = this.battery;
    if (!b.charging) return b.level;
    const realSeconds = ((Date.now() - b.since) / 1000) * this.speed;
    return Math.min(100, b.level + Math.floor(realSeconds / REAL_SECONDS.chargeSecondsPerPercent));
  }

  get charging(): boolean {
    return this.battery.charging;
  }

  setBattery(level: number, charging: boolean): void {
    this.battery = { level, charging, since: Date.now() };
  }

  /** The user allows USB debugging on the prompt (for tablets with usbDebugging 'prompt'). */
  allowDebugging(): void {
    this.link?.allowDebugging();
  }

  newSessionId(): number {
    return this.nextSession++;
  }

  /** Free storage: the spec's figure less what the bench installed. */
  storageFree(): number {
    return this.faults.insufficientStorage ? 0 : this.spec.storageFreeBytes;
  }
}

const MODELS = [
  { manufacturer: 'samsung', brand: 'samsung', model: 'SM-X200', device: 'gta8wifi', productName: 'gta8wifieea' },
  { manufacturer: 'Lenovo', brand: 'Lenovo', model: 'TB-X606F', device: 'X606F', productName: 'LenovoTB-X606F' },
];

const SYSTEM_PACKAGES: PresetPackage[] = [
  { packageName: 'android', versionCode: 34, versionName: '14' },
  { packageName: 'com.android.settings', versionCode: 34, versionName: '14' },
  { packageName: 'com.android.systemui', versionCode: 34, versionName: '14' },
  { packageName: 'com.android.vending', versionCode: 83_921_230, versionName: '39.2.30-31' },
  { packageName: 'com.google.android.gms', versionCode: 241_315_038, versionName: '24.13.15' },
  { packageName: 'com.android.chrome', versionCode: 631_207_833, versionName: '123.0.6312.99' },
];

/** A deterministic spec for tablet `i` (0-based): serials, models and batteries differ per tablet. */
export function makeTabletSpec(i: number, overrides: Partial<EmulatedTabletSpec> = {}): EmulatedTabletSpec {
  const model = MODELS[i % MODELS.length] as (typeof MODELS)[number];
  return {
    serial: `R9BT${String(4100 + i).padStart(7, '0')}`,
    ...model,
    androidRelease: '14',
    sdk: 34,
    buildId: 'UP1A.231005.007',
    securityPatch: '2024-03-01',
    batteryPercent: 60 + ((i * 7) % 35),
    charging: true,
    accounts: [],
    users: 1,
    systemPackages: SYSTEM_PACKAGES,
    userPackages: [],
    storageFreeBytes: 20 * 1024 ** 3,
    legacy: false,
    usbDebugging: 'open',
    allowDebuggingAfterSeconds: null,
    deviceOwner: null,
    ...overrides,
  };
}
