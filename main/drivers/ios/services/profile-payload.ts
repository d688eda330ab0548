import forge from 'node-forge';
import type { PlistDict } from '../ios-link.js';
import { decodePlistDict, encodePlistXml, plistString } from '../plist-codec.js';
import { uuidFrom } from './cloud-configuration.js';

/** Who a .mobileconfig is: its PayloadIdentifier and PayloadUUID (a plist, or CMS SignedData around one). */
export interface ProfileIdentity {
  identifier: string;
  uuid: string | null;
  displayName: string | null;
}

/** The content of a CMS SignedData (a signed .mobileconfig), or null when the bytes are not one. */
function signedContent(der: Buffer): Buffer | null {
  const message = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(der.toString('binary'))) as { rawCapture?: { content?: forge.asn1.Asn1 } };
  const content = message.rawCapture?.content;
  const octets = content && Array.isArray(content.value) ? content.value[0] : undefined;
  if (!octets) return null;
  const bytes = Array.isArray(octets.value) ? octets.value.map((part) => (typeof part.value === 'string' ? part.value : '')).join('') : octets.value;
  return typeof bytes === 'string' ? Buffer.from(bytes, 'binary') : null;
}

/**
 * Reads a profile the library already accepted (main/library/mobileconfig-reader.ts, which a driver
 * may not import): a plist, or CMS SignedData around one. Null when it cannot be read; the step then
 * knows the profile by its library identifier alone.
 */
export function profileIdentity(payload: Buffer): ProfileIdentity | null {
  try {
    const head = payload.subarray(0, 64).toString('latin1').trimStart();
    const plistLike = head.startsWith('bplist00') || head.startsWith('<?xml') || head.startsWith('<plist') || head.startsWith('\ufeff');
    const content = plistLike ? payload : signedContent(payload);
    if (!content) return null;
    const profile = decodePlistDict(content, 'profile');
    const identifier = plistString(profile, 'PayloadIdentifier');
    return identifier ? { identifier, uuid: plistString(profile, 'PayloadUUID'), displayName: plistString(profile, 'PayloadDisplayName') } : null;
  } catch {
    return null;
  }
}

export type WifiSecurity = 'open' | 'wpa2' | 'wpa3';

export interface WifiNetwork {
  ssid: string;
  security: WifiSecurity;
  /** Absent: the iPad asks for the password when it first joins (Apple's Wi-Fi payload without Password). */
  password: string | null;
}

/** Apple's EncryptionType for the blueprint's security word. */
const ENCRYPTION: Record<WifiSecurity, string> = { open: 'None', wpa2: 'WPA2', wpa3: 'WPA3' };

/** The profile a wifi step installs: one identifier per SSID, so running the step again replaces it rather than adding one. */
export function wifiProfileIdentifier(ssid: string): string {
  const slug = ssid.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'network';
  return `de.benchline.wifi.${slug}.${uuidFrom(`wifi:${ssid}`).slice(0, 8).toLowerCase()}`;
}

/** A com.apple.wifi.managed profile (XML plist) for the network. */
export function wifiProfile(network: WifiNetwork): { payload: Buffer; identity: ProfileIdentity } {
  const identifier = wifiProfileIdentifier(network.ssid);
  const uuid = uuidFrom(`wifi-profile:${network.ssid}`);
  const wifi: PlistDict = {
    PayloadType: 'com.apple.wifi.managed',
    PayloadVersion: 1,
    PayloadIdentifier: `${identifier}.payload`,
    PayloadUUID: uuidFrom(`wifi-payload:${network.ssid}`),
    PayloadDisplayName: `WLAN ${network.ssid}`,
    SSID_STR: network.ssid,
    EncryptionType: ENCRYPTION[network.security],
    AutoJoin: true,
    HIDDEN_NETWORK: false,
    IsHotspot: false,
    ProxyType: 'None',
  };
  if (network.password !== null && network.security !== 'open') wifi['Password'] = network.password;
  const displayName = `WLAN ${network.ssid}`;
  const profile: PlistDict = {
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: uuid,
    PayloadDisplayName: displayName,
    PayloadRemovalDisallowed: false,
    PayloadContent: [wifi],
  };
  return { payload: encodePlistXml(profile), identity: { identifier, uuid, displayName } };
}
