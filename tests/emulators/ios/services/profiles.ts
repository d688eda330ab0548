import forge from 'node-forge';
import type { EmulatedIpadState, InstalledProfile } from '../emulated-ipad.js';
import { decodePlist, isPlistDict, type PlistDict } from './plist-service.js';

/**
 * Configuration profiles as the device reads them: a plist, or a CMS SignedData wrapping one (the
 * signature is not checked: iOS installs profiles signed by anyone and only shows "Not verified"),
 * and GetProfileList's answer in the shape go-ios and pymobiledevice3 read it.
 */

export interface ProfileFacts {
  identifier: string;
  displayName: string;
  description: string | null;
  uuid: string;
  version: number;
  removalDisallowed: boolean;
}

function looksLikePlist(data: Buffer): boolean {
  const head = data.subarray(0, 64).toString('latin1').trimStart();
  return head.startsWith('bplist00') || head.startsWith('<?xml') || head.startsWith('<plist') || head.startsWith('<!DOCTYPE');
}

/** The content of a CMS SignedData (PKCS#7): ContentInfo{signedData, [0]{version, digests, encap{type, [0] OCTET STRING}}}. */
export function signedDataContent(der: Buffer): Buffer | null {
  try {
    const info = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
    const signedData = childAt(childAt(info, 1), 0);
    const encapsulated = childAt(signedData, 2);
    const explicit = childAt(encapsulated, 1);
    const octets = childAt(explicit, 0);
    return Buffer.from(octetBytes(octets), 'binary');
  } catch {
    return null;
  }
}

function childAt(node: forge.asn1.Asn1, index: number): forge.asn1.Asn1 {
  const value = node.value;
  const child = Array.isArray(value) ? value[index] : undefined;
  if (!child) throw new Error(`ASN.1: element ${index} missing`);
  return child;
}

/** An OCTET STRING's bytes, also when BER splits it into constructed parts. */
function octetBytes(node: forge.asn1.Asn1): string {
  return Array.isArray(node.value) ? node.value.map(octetBytes).join('') : node.value;
}

/** Reads a profile; null when it is no readable Configuration profile with an identifier. */
export function readProfile(payload: Buffer): { facts: ProfileFacts; profile: PlistDict } | null {
  const raw = looksLikePlist(payload) ? payload : signedDataContent(payload);
  if (!raw) return null;
  // go-ios prepare's profile starts with a newline before <?xml, which real devices accept and XML parsers do not.
  let start = 0;
  while (start < raw.length && (raw[start] === 0x0a || raw[start] === 0x0d || raw[start] === 0x20 || raw[start] === 0x09)) start++;
  const content = raw.subarray(start);
  let profile;
  try {
    profile = decodePlist(content);
  } catch {
    return null;
  }
  if (!isPlistDict(profile) || profile['PayloadType'] !== 'Configuration') return null;
  const identifier = profile['PayloadIdentifier'];
  if (typeof identifier !== 'string' || identifier.length === 0) return null;
  const text = (key: string): string | null => {
    const v = profile[key];
    return typeof v === 'string' ? v : null;
  };
  const version = profile['PayloadVersion'];
  return {
    profile,
    facts: {
      identifier,
      displayName: text('PayloadDisplayName') ?? identifier,
      description: text('PayloadDescription'),
      uuid: text('PayloadUUID') ?? identifier,
      version: typeof version === 'number' && Number.isInteger(version) && version >= 0 ? version : 1,
      removalDisallowed: profile['PayloadRemovalDisallowed'] === true,
    },
  };
}

export function newInstalledProfile(facts: ProfileFacts, payload: Buffer, approved: boolean, silent: boolean): InstalledProfile {
  return { identifier: facts.identifier, displayName: facts.displayName, payload, approved, silent };
}

/**
 * GetProfileList: OrderedIdentifiers (installation order), ProfileManifest{id: {Description,
 * IsActive}} and ProfileMetadata{id: {PayloadDisplayName, PayloadRemovalDisallowed, PayloadUUID,
 * PayloadVersion, PayloadDescription?}}. A profile waiting for approval in Settings is listed with
 * IsActive false (assumed: it is on the device, but not in force).
 */
export function profileListAnswer(device: EmulatedIpadState): PlistDict {
  const ordered: string[] = [];
  const manifest: PlistDict = {};
  const metadata: PlistDict = {};
  for (const installed of device.profiles.values()) {
    const facts = readProfile(installed.payload)?.facts;
    ordered.push(installed.identifier);
    manifest[installed.identifier] = { Description: facts?.description ?? installed.displayName, IsActive: installed.approved };
    const meta: PlistDict = {
      PayloadDisplayName: installed.displayName,
      PayloadRemovalDisallowed: facts?.removalDisallowed ?? false,
      PayloadUUID: facts?.uuid ?? installed.identifier,
      PayloadVersion: facts?.version ?? 1,
    };
    if (facts?.description) meta['PayloadDescription'] = facts.description;
    metadata[installed.identifier] = meta;
  }
  return { Status: 'Acknowledged', OrderedIdentifiers: ordered, ProfileManifest: manifest, ProfileMetadata: metadata };
}

/** Approves every profile waiting for the user's approval, as a user tapping Install in Settings would. */
export function approveProfiles(device: EmulatedIpadState): number {
  let approved = 0;
  for (const profile of device.profiles.values()) {
    if (!profile.approved) {
      profile.approved = true;
      approved++;
    }
  }
  return approved;
}
