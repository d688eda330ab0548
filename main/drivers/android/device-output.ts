/**
 * What Android's shell tools print, read as data. Success and failure are always read from the
 * text: `pm`, `dpm` and `cmd` exit 0 after printing an exception on many Android versions.
 * The formats are AOSP's (PackageManagerShellCommand, DevicePolicyManagerServiceShellCommand,
 * SettingsService, WifiShellCommand, BatteryService.dumpInternal) as Android 14 prints them.
 */

/** `getprop KEY`: the value on one line, empty when unset. */
export function propValue(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** The line that says what went wrong (an exception's message, an "Error:" or "Failure" line), for `reason`. */
export function deviceReason(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^at\s/.test(l) && !/^Exception occurred while executing/.test(l));
  const hit = lines.find((l) => /^[\w.$]*(?:Exception|Error):/.test(l) || /^(?:Error|Failure)\b/.test(l)) ?? lines[0] ?? '';
  const m = /^[\w.$]*(?:Exception|Error):\s*(.+)$/.exec(hit);
  return (m?.[1] ?? hit).slice(0, 500);
}

export interface BatteryState {
  /** 0..100, from level and scale. */
  percent: number;
  /** Whether a charger (AC, USB, wireless, dock) powers the device. */
  charging: boolean;
}

/** `dumpsys battery`: "  level: 85", "  scale: 100", "  AC powered: false", "  USB powered: true". */
export function parseBattery(text: string): BatteryState | null {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(\\S+)`, 'mi').exec(text)?.[1];
  const level = Number(field('level'));
  const scale = Number(field('scale') ?? 100);
  if (!Number.isFinite(level) || !Number.isFinite(scale) || scale <= 0) return null;
  const charging = ['AC powered', 'USB powered', 'Wireless powered', 'Dock powered'].some((n) => field(n) === 'true');
  return { percent: Math.max(0, Math.min(100, Math.round((level * 100) / scale))), charging };
}

export interface InstalledVersion {
  versionCode: number;
  versionName: string | null;
}

/** `pm list packages --show-versioncode PKG`: "package:PKG versionCode:123" (the filter matches substrings: only PKG counts). */
export function parsePackageList(text: string, pkg: string): { listed: boolean; versionCode: number | null } {
  for (const line of text.split('\n')) {
    const m = /^package:(\S+)(?:\s+versionCode:(\d+))?/.exec(line.trim());
    if (m?.[1] === pkg) return { listed: true, versionCode: m[2] === undefined ? null : Number(m[2]) };
  }
  return { listed: false, versionCode: null };
}

/** `dumpsys package PKG`: the "Package [PKG] (...)" block's versionCode= and versionName=; null when it has none. */
export function parseDumpsysPackage(text: string, pkg: string): InstalledVersion | null {
  const start = text.indexOf(`Package [${pkg}]`);
  if (start < 0) return null;
  const next = text.indexOf('\n  Package [', start + 1);
  const block = text.slice(start, next < 0 ? undefined : next);
  const code = /versionCode=(\d+)/.exec(block)?.[1];
  if (code === undefined) return null;
  return { versionCode: Number(code), versionName: /versionName=(\S+)/.exec(block)?.[1] ?? null };
}

export type InstallResult = { ok: true } | { ok: false; code: string | null; reason: string };

/** What `pm install`, `cmd package install(-commit)` and `abb_exec` answered: "Success", or "Failure [INSTALL_FAILED_...: ...]". */
export function parseInstallOutput(text: string): InstallResult {
  const lines = text.split('\n').map((l) => l.trim());
  const failure = lines.find((l) => /^Failure\b/.test(l) || /^Error:/.test(l) || /Exception/.test(l));
  if (failure) {
    const code = /\[?(INSTALL_[A-Z_]+|DELETE_[A-Z_]+)/.exec(failure)?.[1] ?? null;
    return { ok: false, code, reason: failure.slice(0, 500) };
  }
  if (lines.some((l) => /^Success\b/.test(l))) return { ok: true };
  return { ok: false, code: null, reason: deviceReason(text) || 'no answer' };
}

/** The install session id `install-create` printed: "Success: created install session [1234]". */
export function parseInstallSession(text: string): number | null {
  const m = /created install session \[(\d+)\]/.exec(text);
  return m ? Number(m[1]) : null;
}

export type InstallFailureKind = 'storage' | 'incompatible' | 'downgrade' | 'old-android' | 'other';

/** Which action helps with an INSTALL_FAILED_* code. */
export function installFailureKind(code: string | null): InstallFailureKind {
  switch (code) {
    case 'INSTALL_FAILED_INSUFFICIENT_STORAGE':
      return 'storage';
    case 'INSTALL_FAILED_UPDATE_INCOMPATIBLE':
    case 'INSTALL_FAILED_SHARED_USER_INCOMPATIBLE':
    case 'INSTALL_FAILED_DUPLICATE_PERMISSION':
    case 'INSTALL_PARSE_FAILED_INCONSISTENT_CERTIFICATES':
      return 'incompatible';
    case 'INSTALL_FAILED_VERSION_DOWNGRADE':
      return 'downgrade';
    case 'INSTALL_FAILED_OLDER_SDK':
    case 'INSTALL_FAILED_NO_MATCHING_ABIS':
    case 'INSTALL_FAILED_MISSING_FEATURE':
      return 'old-android';
    default:
      return 'other';
  }
}

/** "pkg/.Receiver" and "pkg/pkg.Receiver" name the same component; ComponentInfo{...} wraps it. */
export function normalizeComponent(component: string): string {
  const inner = /ComponentInfo\{([^}]+)\}/.exec(component)?.[1] ?? component.replace(/^\{|\}$/g, '');
  const [pkg, cls] = inner.trim().split('/');
  if (!pkg || !cls) return inner.trim();
  return `${pkg}/${cls.startsWith('.') ? pkg + cls : cls}`;
}

export type DeviceOwnerResult =
  | { kind: 'set' }
  | { kind: 'already-owner' }
  | { kind: 'other-owner'; current: string; reason: string }
  | { kind: 'accounts' | 'users' | 'provisioned' | 'unknown-admin' | 'failed'; reason: string };

/** `dpm set-device-owner COMPONENT`: "Success: Device owner set to package ..." or the exception it printed. */
export function parseSetDeviceOwner(text: string, component: string): DeviceOwnerResult {
  if (/^Success:/m.test(text) && !/Exception/.test(text)) return { kind: 'set' };
  const reason = deviceReason(text) || 'no answer';
  const already = /device owner \((?:ComponentInfo)?\{?([^)}]+)\}?\) is already set/i.exec(text);
  if (already) {
    const current = normalizeComponent(already[1]!);
    return current === normalizeComponent(component) ? { kind: 'already-owner' } : { kind: 'other-owner', current, reason };
  }
  if (/already some accounts on the device/i.test(text)) return { kind: 'accounts', reason };
  if (/several users on the device|already (?:several|multiple) users/i.test(text)) return { kind: 'users', reason };
  if (/already (?:been )?provisioned|already set up/i.test(text)) return { kind: 'provisioned', reason };
  if (/Unknown admin/i.test(text)) return { kind: 'unknown-admin', reason };
  return { kind: 'failed', reason };
}

/**
 * The device owner from `dpm list-owners` ("User 0: admin=pkg/.R,DeviceOwner,Affiliated") or from
 * `dumpsys device_policy` ("Device Owner:" then "admin=ComponentInfo{pkg/pkg.R}"); null: none set;
 * undefined: the text says neither (an older Android without list-owners).
 */
export function parseDeviceOwner(text: string): string | null | undefined {
  const listed = /admin=([^,\s]+)[^\n]*DeviceOwner/.exec(text);
  if (listed) return normalizeComponent(listed[1]!);
  if (/^no owners/im.test(text)) return null;
  const dumpsys = /Device Owner:\s*\n\s*admin=(ComponentInfo\{[^}]+\})/.exec(text);
  if (dumpsys) return normalizeComponent(dumpsys[1]!);
  if (/Device Owner|Profile Owner|owners?:/i.test(text) && !/Unknown command|Error:/i.test(text)) return null;
  return undefined;
}

/** `settings get NS KEY`: the value, null for "null" (unset). */
export function parseSettingValue(text: string): string | null {
  const value = text.replace(/\n$/, '');
  return value === 'null' ? null : value;
}

/** `cmd wifi list-networks`: the saved networks' SSIDs ("Network Id  SSID  Security type" table); null: no such command. */
export function parseSavedNetworks(text: string): string[] | null {
  if (/Unknown command|Can't find service|not found/i.test(text)) return null;
  const ssids: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*Network Id\b/i.test(line) || /No networks/i.test(line)) continue;
    const m = /^\s*(-?\d+)\s+(.*?)\s+(\S+)\s*$/.exec(line);
    if (m) ssids.push(m[2]!.replace(/^"|"$/g, ''));
  }
  return ssids;
}

/** Quotes an argument for the device's shell (`sh -c`) when it holds anything but plain characters. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
