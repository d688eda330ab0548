import { IosLinkError, type LockdownSession, type PlistValue } from './ios-link.js';

/** What lockdownd is asked for: in a session, or (fewer of them) on an unpaired connection. */
export type ValueReader = Pick<LockdownSession, 'getValue'>;

/** Refusals that mean "not without a session" (or "not on this device"): the value stays unknown instead of failing. */
const UNREADABLE: ReadonlySet<string> = new Set(['GetProhibited', 'MissingValue']);

/** A value, or undefined when the device does not give it (here, or before pairing). */
export async function optionalValue(reader: ValueReader, domain: string | null, key: string, signal: AbortSignal): Promise<PlistValue | undefined> {
  try {
    return await reader.getValue(domain, key, signal);
  } catch (err) {
    if (err instanceof IosLinkError && err.kind === 'protocol' && err.deviceReason !== null && UNREADABLE.has(err.deviceReason)) return undefined;
    throw err;
  }
}

const text = (value: PlistValue | undefined): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

export interface DeviceIdentity {
  udid: string | null;
  serialNumber: string | null;
  productType: string | null;
  productVersion: string | null;
}

/** Who the device is: the keys a device answers before pairing as well. */
export async function readIdentity(reader: ValueReader, signal: AbortSignal): Promise<DeviceIdentity> {
  return {
    udid: text(await optionalValue(reader, null, 'UniqueDeviceID', signal)),
    serialNumber: text(await optionalValue(reader, null, 'SerialNumber', signal)),
    productType: text(await optionalValue(reader, null, 'ProductType', signal)),
    productVersion: text(await optionalValue(reader, null, 'ProductVersion', signal)),
  };
}

export async function readActivationState(reader: ValueReader, signal: AbortSignal): Promise<string | null> {
  return text(await optionalValue(reader, null, 'ActivationState', signal));
}

/** Find My's association (Activation Lock); null when the device does not say. Reliable only before an erase. */
export async function readActivationLock(reader: ValueReader, signal: AbortSignal): Promise<boolean | null> {
  const value = await optionalValue(reader, 'com.apple.fmip', 'IsAssociated', signal);
  return typeof value === 'boolean' ? value : null;
}

/** The battery's charge in percent; null when the device does not say. */
export async function readBatteryPercent(reader: ValueReader, signal: AbortSignal): Promise<number | null> {
  const value = await optionalValue(reader, 'com.apple.mobile.battery', 'BatteryCurrentCapacity', signal);
  const n = typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? Math.max(0, Math.min(100, Math.round(n))) : null;
}
