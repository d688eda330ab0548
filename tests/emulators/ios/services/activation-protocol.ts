import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { dictFromBytes, encodeXmlPlist, stringField, type PlistDict } from './plist-service.js';

/**
 * What the emulated mobileactivationd and the activation stub (../activation-server.ts) agree on, in
 * place of Apple's FairPlay and signing: the stub answers the device's handshake message with a
 * digest the device checks, and signs the activation record's AccountToken with a key only the stub
 * and the emulated devices hold (Apple's CA in real life); the device verifies it and matches the
 * token against its UDID and the randomness of the activation info it handed out. A client that
 * skips a step, replays an old record or makes one up does not activate the device.
 * Field names follow pymobiledevice3's mobile_activation.py and libideviceactivation; the values are
 * ours.
 */

/** Stands in for Apple's signing identity; a client never sees it, so it cannot sign a record itself. */
const RECORD_KEY = 'benchline-emulated-albert-signing-key';

function tokenSignature(token: Buffer): Buffer {
  return createHmac('sha256', RECORD_KEY).update(token).digest();
}

export function handshakeResponseFor(handshakeRequest: Buffer): Buffer {
  return createHash('sha256').update('benchline-drm-handshake\0').update(handshakeRequest).digest();
}

export function fairPlaySignatureOf(activationInfoXml: Buffer): Buffer {
  return createHash('sha256').update('benchline-fairplay\0').update(activationInfoXml).digest();
}

export interface ActivationFacts {
  udid: string;
  serialNumber: string;
  productType: string;
  randomness: string;
}

/** The AccountToken: an old-style plist ("Key" = "Value";) as Apple's records carry it. */
function accountToken(facts: ActivationFacts): Buffer {
  const lines = [
    ['ActivationRandomness', facts.randomness],
    ['ProductType', facts.productType],
    ['SerialNumber', facts.serialNumber],
    ['UniqueDeviceID', facts.udid],
  ].map(([k, v]) => `\t"${k}" = "${v}";`);
  return Buffer.from(`{\n${lines.join('\n')}\n}`);
}

function readAccountToken(token: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of token.toString('utf8').matchAll(/"([^"]+)"\s*=\s*"([^"]*)";/g)) fields[m[1] as string] = m[2] as string;
  return fields;
}

/** The deviceActivation answer's plist: {ActivationRecord: {...}} (the session flow's shape, libideviceactivation reads it). */
export function activationRecordFor(facts: ActivationFacts): PlistDict {
  const token = accountToken(facts);
  return {
    ActivationRecord: {
      unbrick: true,
      AccountToken: token,
      AccountTokenSignature: tokenSignature(token),
      AccountTokenCertificate: Buffer.from('-----BEGIN CERTIFICATE-----\nbenchline activation stub\n-----END CERTIFICATE-----\n'),
      DeviceCertificate: Buffer.from(`device certificate for ${facts.udid}`),
      FairPlayKeyData: createHash('sha256').update(`fairplay ${facts.udid}`).digest(),
    },
  };
}

/** Checks a record handed to the device; null when it activates `udid` for the activation info with `randomness`. */
export function activationRecordProblem(record: PlistDict, udid: string, randomness: string | null): string | null {
  const inner = record['ActivationRecord'];
  const fields = inner && typeof inner === 'object' && !Buffer.isBuffer(inner) && !Array.isArray(inner) && !(inner instanceof Date) ? inner : null;
  const token = fields?.['AccountToken'];
  const signature = fields?.['AccountTokenSignature'];
  if (!Buffer.isBuffer(token) || !Buffer.isBuffer(signature)) return 'the activation record is incomplete';
  const expected = tokenSignature(token);
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return 'the activation record signature does not verify';
  const claims = readAccountToken(token);
  if (claims['UniqueDeviceID'] !== udid) return 'the activation record is for another device';
  if (randomness === null || claims['ActivationRandomness'] !== randomness) return 'the activation record does not answer this device’s activation info';
  return null;
}

/** The activation info's inner ActivationInfoXML (a plist the device writes and the server reads). */
export function activationInfoXml(facts: ActivationFacts & { productVersion: string; activationState: string }): Buffer {
  return encodeXmlPlist({
    ActivationRandomness: facts.randomness,
    ActivationState: facts.activationState,
    DeviceClass: 'iPad',
    ProductType: facts.productType,
    ProductVersion: facts.productVersion,
    SerialNumber: facts.serialNumber,
    UniqueDeviceID: facts.udid,
  });
}

/** Reads the `activation-info` a client posts (full XML plist, or a bare <dict> as libideviceactivation strips it). */
export function readActivationInfo(text: string): ActivationFacts | string {
  const trimmed = text.trim();
  const wrapped = trimmed.startsWith('<dict') ? `<plist version="1.0">${trimmed}</plist>` : trimmed;
  const info = dictFromBytes(Buffer.from(wrapped, 'utf8'));
  const xml = info?.['ActivationInfoXML'];
  const signature = info?.['FairPlaySignature'];
  if (!info || !Buffer.isBuffer(xml) || !Buffer.isBuffer(signature)) return 'activation-info is not an activation info';
  if (!fairPlaySignatureOf(xml).equals(signature)) return 'the activation info signature does not verify';
  const inner = dictFromBytes(xml);
  const udid = inner && stringField(inner, 'UniqueDeviceID');
  const serialNumber = inner && stringField(inner, 'SerialNumber');
  const productType = inner && stringField(inner, 'ProductType');
  const randomness = inner && stringField(inner, 'ActivationRandomness');
  if (!udid || !serialNumber || !productType || !randomness) return 'the activation info lacks the device identity';
  return { udid, serialNumber, productType, randomness };
}
