import type { Duplex } from 'node:stream';

/**
 * What the iOS steps use of a device: a paired lockdown session and the services it starts. The
 * transport (usbmux/, lockdown/) implements it; the steps (steps/) and service clients (services/)
 * only see these interfaces, so they are tested against the emulator without knowing usbmuxd.
 */

/** A plist value as lockdown and the services send it (XML or binary plists both decode to this). */
export type PlistValue = string | number | bigint | boolean | Date | Buffer | PlistValue[] | { [key: string]: PlistValue };
export type PlistDict = { [key: string]: PlistValue };

/** A service's plist channel: 4-byte big-endian length + plist (XML out; XML or binary in). */
export interface PlistChannel {
  send(message: PlistDict): Promise<void>;
  /** The next message; rejects with IosLinkError('device-gone') when the connection closes, StepAbortedError on abort. */
  receive(signal?: AbortSignal): Promise<PlistDict>;
  close(): void;
}

/** A started service: its (TLS-wrapped when the device asked) byte stream, and a plist channel over it. */
export interface ServiceConnection {
  readonly name: string;
  /** The raw stream, for services that are not plist-framed (AFC). */
  readonly stream: Duplex;
  /** The plist framing over `stream` (installation_proxy, MCInstall, mobileactivationd, diagnostics_relay). */
  readonly plist: PlistChannel;
  close(): void;
}

/** A lockdown session on one device: paired, StartSession done, TLS on. */
export interface LockdownSession {
  /** GetValue; domain null = the global domain; key null = the whole domain as a dict. */
  getValue(domain: string | null, key: string | null, signal?: AbortSignal): Promise<PlistValue | undefined>;
  setValue(domain: string | null, key: string, value: PlistValue, signal?: AbortSignal): Promise<void>;
  /** StartService, then a new usbmuxd Connect to its port, wrapped in TLS when EnableServiceSSL. */
  startService(service: string, signal?: AbortSignal): Promise<ServiceConnection>;
  close(): void;
}

/** The supervision identity a station supervises with (a station secret of kind identity). */
export interface SupervisorIdentity {
  certificatePem: string;
  privateKeyPem: string;
}

export interface PairOptions {
  signal: AbortSignal;
  /** Called (once) when the device shows the Trust prompt (PairingDialogResponsePending). */
  onTrustPrompt(): void;
  /** When given, pairs without the Trust tap on a device this identity supervises (MCChallengeRequired flow). */
  supervisor?: SupervisorIdentity;
}

/** One attached iOS device as the steps see it. */
export interface IosDevice {
  readonly udid: string;
  /** usbmuxd's DeviceID for the current attachment (changes after every reattach). */
  readonly deviceId: number;
  /** Whether usbmuxd holds a pair record that the device still accepts (ValidatePair/StartSession works). */
  isPaired(signal: AbortSignal): Promise<boolean>;
  /** Pairs (host-generated records saved through usbmuxd SavePairRecord); resolves when the device accepts. */
  pair(options: PairOptions): Promise<void>;
  /** A lockdown session (pairs first when needed is NOT done here: fails with IosLinkError('not-paired')). */
  session(signal: AbortSignal): Promise<LockdownSession>;
  /** An unpaired lockdown connection for QueryType and the GetValue keys a device answers before pairing. */
  preflight(signal: AbortSignal): Promise<Pick<LockdownSession, 'getValue' | 'close'>>;
}

export type IosLinkErrorKind =
  | 'device-gone'
  | 'usbmuxd-unreachable'
  | 'not-paired'
  | 'pairing-denied'
  | 'pairing-pending'
  | 'password-protected'
  | 'invalid-host-id'
  | 'tls-failed'
  | 'service-refused'
  | 'protocol';

/** Transport failures; the steps map them to catalogue codes (ios-errors.ts). `deviceReason` is what the device said. */
export class IosLinkError extends Error {
  override name = 'IosLinkError';
  constructor(
    readonly kind: IosLinkErrorKind,
    message: string,
    readonly deviceReason: string | null = null,
  ) {
    super(message);
  }
}
