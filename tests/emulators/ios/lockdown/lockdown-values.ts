import type { EmulatedDevice } from '../emulated-device.js';
import { PlistReal, type PlistOut } from '../plist-wire.js';

/**
 * What lockdownd's GetValue answers, per domain. Key names and value types follow what clients
 * decode: libimobiledevice prints whatever comes, go-ios decodes the global domain into typed fields
 * (ios/lockdown_value.go AllValuesType: reals stay reals, UniqueChipID uint64, SupportedDeviceFamilies
 * []int) and `ios batterycheck` asserts every battery key's type. Values not modelled by the state
 * are fixed, plausible for an iPad 10th generation (Wi-Fi).
 */

/** Keys a device answers before pairing (no session): enough to pair and to say what it is. Assumed from public tool output. */
const PRE_SESSION_KEYS = new Set([
  'BasebandCertId',
  'BasebandKeyHashInformation',
  'BasebandSerialNumber',
  'BasebandVersion',
  'BoardId',
  'BuildVersion',
  'CPUArchitecture',
  'ChipID',
  'DeviceClass',
  'DeviceColor',
  'DeviceName',
  'DevicePublicKey',
  'DieID',
  'HardwareModel',
  'HasSiDP',
  'PartitionType',
  'ProductName',
  'ProductType',
  'ProductVersion',
  'ProductionSOC',
  'ProtocolVersion',
  'SupportedDeviceFamilies',
  'TelephonyCapability',
  'UniqueChipID',
  'UniqueDeviceID',
  'WiFiAddress',
]);

function macFromUdid(udid: string, salt: number): string {
  let hash = salt;
  for (const char of udid) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const bytes = [0xf0, 0x18, 0x98, (hash >>> 16) & 0xff, (hash >>> 8) & 0xff, hash & 0xff];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** The ECID is the udid's second part on current devices ("00008101-001A2B3C4D5E001E"). */
function uniqueChipId(udid: string): bigint {
  const part = udid.split('-')[1];
  return part && /^[0-9a-f]+$/i.test(part) ? BigInt(`0x${part}`) : 0n;
}

export function wifiAddress(device: EmulatedDevice): string {
  return macFromUdid(device.udid, 7);
}

async function globalDomain(device: EmulatedDevice): Promise<Record<string, PlistOut>> {
  const state = device.state;
  const keys = await device.keys();
  const now = Date.now() / 1000;
  return {
    ActivationState: state.activationState,
    ActivationStateAcknowledged: state.activationState === 'Activated',
    BasebandCertId: 0,
    BasebandVersion: '',
    BluetoothAddress: macFromUdid(state.udid, 11),
    BoardId: 8,
    BrickState: false,
    BuildVersion: state.buildVersion,
    CPUArchitecture: 'arm64e',
    ChipID: 0x8101,
    DeviceClass: 'iPad',
    DeviceColor: '1',
    DeviceName: state.deviceName,
    DevicePublicKey: keys.publicKeyPkcs1Pem,
    DieID: 0,
    EthernetAddress: macFromUdid(state.udid, 13),
    FirmwareVersion: 'iBoot-10151.121.1',
    FusingStatus: 3,
    HardwareModel: 'J271AP',
    HardwarePlatform: 't8101',
    HasSiDP: true,
    HostAttached: true,
    HumanReadableProductVersionString: state.productVersion,
    MLBSerialNumber: `C0${state.serialNumber}M`,
    ModelNumber: 'MPQ03',
    PartitionType: 'GUID_partition_scheme',
    PasswordProtected: state.faults.passcode === true,
    ProductName: 'iPhone OS',
    ProductType: state.productType,
    ProductVersion: state.productVersion,
    ProductionSOC: true,
    ProtocolVersion: '2',
    RegionInfo: 'ZD/A',
    SerialNumber: state.serialNumber,
    SupportedDeviceFamilies: [1, 2],
    TelephonyCapability: false,
    TimeIntervalSince1970: new PlistReal(now),
    TimeZone: 'Europe/Berlin',
    TimeZoneOffsetFromUTC: new PlistReal(3600),
    TrustedHostAttached: true,
    UniqueChipID: uniqueChipId(state.udid),
    UniqueDeviceID: state.udid,
    UseRaptorCerts: true,
    Uses24HourClock: true,
    WiFiAddress: wifiAddress(device),
    WirelessBoardSerialNumber: `W${state.serialNumber}`,
  };
}

function diskUsage(device: EmulatedDevice): Record<string, PlistOut> {
  const total = 64_000_000_000;
  let used = 9_500_000_000;
  for (const file of device.state.files.values()) used += file.length;
  used += device.state.apps.size * 50_000_000;
  const available = Math.max(0, total - used);
  return {
    TotalDiskCapacity: total,
    TotalSystemCapacity: 9_000_000_000,
    TotalSystemAvailable: 1_000_000_000,
    TotalDataCapacity: total - 9_000_000_000,
    TotalDataAvailable: available,
    AmountDataAvailable: available,
    AmountDataReserved: 200_000_000,
  };
}

async function domainValues(device: EmulatedDevice, domain: string): Promise<Record<string, PlistOut> | null> {
  const state = device.state;
  switch (domain) {
    case '':
      return globalDomain(device);
    case 'com.apple.mobile.battery': {
      const percent = device.batteryPercentNow();
      return {
        BatteryCurrentCapacity: percent,
        BatteryIsCharging: percent < 100 && state.chargeSecondsPerPercent > 0,
        ExternalChargeCapable: true,
        ExternalConnected: true,
        FullyCharged: percent >= 100,
        GasGaugeCapability: true,
        HasBattery: true,
      };
    }
    case 'com.apple.fmip':
      return { IsAssociated: state.activationLocked };
    case 'com.apple.disk_usage':
    case 'com.apple.disk_usage.factory':
      return diskUsage(device);
    case 'com.apple.PurpleBuddy':
    case 'com.apple.purplebuddy':
      return { SetupDone: state.setupDone };
    case 'com.apple.international':
      return { Language: 'de', Locale: 'de_DE', SupportedLanguages: ['de', 'en'], SupportedLocales: ['de_DE', 'en_US'] };
    default:
      return null;
  }
}

export type GetValueResult = { value: PlistOut } | { error: 'MissingValue' | 'GetProhibited' };

/** GetValue: `key` null = the whole domain (no Value for a domain the device does not know). */
export async function getValue(device: EmulatedDevice, domain: string | null, key: string | null, inSession: boolean): Promise<GetValueResult> {
  const domainName = domain ?? '';
  if (!inSession) {
    // Before a session only the global domain's public keys answer; a whole-domain read gets just those.
    if (domainName !== '') return { error: 'GetProhibited' };
    if (key !== null && !PRE_SESSION_KEYS.has(key)) return { error: 'GetProhibited' };
  }
  const values = await domainValues(device, domainName);
  const overlay = device.valueOverlay.get(domainName);
  const merged: Record<string, PlistOut> | null = values || overlay ? { ...(values ?? {}), ...Object.fromEntries(overlay ?? []) } : null;
  if (key === null) {
    if (!merged) return { value: undefined };
    if (inSession) return { value: merged };
    return { value: Object.fromEntries(Object.entries(merged).filter(([name]) => PRE_SESSION_KEYS.has(name))) };
  }
  const value = merged?.[key];
  return value === undefined ? { error: 'MissingValue' } : { value };
}
