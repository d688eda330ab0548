import crypto from 'node:crypto';
import forge from 'node-forge';

/**
 * Verifies a PKCS#7 (CMS) SignedData the way the device checks a supervised-pairing
 * ChallengeResponse or an Escalate SignedRequest: the signed content must be the challenge, and the
 * signature must be by the supervisor certificate's key. node-forge parses PKCS#7 but does not
 * verify it, so the check is done here on its ASN.1: with signed attributes, the messageDigest
 * attribute must match the content and the signature covers the attributes (DER, tagged as a SET);
 * without them, the signature covers the content. Hosts sign with SHA-1 (go-ios through
 * go.mozilla.org/pkcs7) or SHA-256 (pymobiledevice3); both are accepted.
 */

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

type Asn1 = forge.asn1.Asn1;

function children(node: Asn1 | undefined): Asn1[] {
  return node && Array.isArray(node.value) ? node.value : [];
}

function oidOf(node: Asn1 | undefined): string | null {
  if (!node || node.type !== forge.asn1.Type.OID || typeof node.value !== 'string') return null;
  return forge.asn1.derToOid(node.value);
}

/** An OCTET STRING's bytes, also when BER split it into a constructed string. */
function octets(node: Asn1 | undefined): Buffer {
  if (!node) return Buffer.alloc(0);
  if (typeof node.value === 'string') return Buffer.from(node.value, 'binary');
  return Buffer.concat(children(node).map((child) => octets(child)));
}

function isContextTag(node: Asn1 | undefined, tag: number): boolean {
  return !!node && node.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && Number(node.type) === tag;
}

export interface Pkcs7Check {
  ok: boolean;
  /** Why it failed, for the emulator's log. */
  reason: string;
}

/** Whether `signedDataDer` is a SignedData over `content` signed by `signerCertificate`'s key. */
export function verifyPkcs7Signature(signedDataDer: Buffer, content: Buffer, signerCertificate: Buffer): Pkcs7Check {
  let contentInfo: Asn1;
  try {
    contentInfo = forge.asn1.fromDer(forge.util.createBuffer(signedDataDer.toString('binary')), false);
  } catch (error) {
    return { ok: false, reason: `not DER: ${(error as Error).message}` };
  }
  const [typeNode, wrapped] = children(contentInfo);
  if (oidOf(typeNode) !== OID_SIGNED_DATA) return { ok: false, reason: 'not a PKCS#7 SignedData' };
  const signedData = children(wrapped)[0];
  const parts = children(signedData);
  const encapsulated = children(parts[2]);
  const signedContent = isContextTag(encapsulated[1], 0) ? octets(children(encapsulated[1])[0]) : null;
  if (signedContent && !signedContent.equals(content)) return { ok: false, reason: 'signed content is not the challenge' };
  const signerInfos = parts[parts.length - 1];
  const signerInfo = children(signerInfos)[0];
  if (!signerInfo) return { ok: false, reason: 'no SignerInfo' };
  const fields = children(signerInfo);
  const digestName = DIGESTS[oidOf(children(fields[2])[0]) ?? ''];
  if (!digestName) return { ok: false, reason: 'unsupported digest algorithm' };
  let index = 3;
  let signedBytes: Buffer = content;
  if (isContextTag(fields[3], 0)) {
    const attributes = fields[3]!;
    const digest = crypto.createHash(digestName).update(content).digest();
    const messageDigest = children(attributes).find((attribute) => oidOf(children(attribute)[0]) === OID_MESSAGE_DIGEST);
    if (!messageDigest || !octets(children(children(messageDigest)[1])[0]).equals(digest)) {
      return { ok: false, reason: 'messageDigest does not match the challenge' };
    }
    // The signature covers the attributes encoded as a SET (tag 0x31), not as the [0] they are sent in.
    const asSet = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, children(attributes));
    signedBytes = Buffer.from(forge.asn1.toDer(asSet).getBytes(), 'binary');
    index = 4;
  }
  const signature = octets(fields[index + 1]);
  try {
    const publicKey = new crypto.X509Certificate(signerCertificate).publicKey;
    const ok = crypto.verify(digestName, signedBytes, publicKey, signature);
    return { ok, reason: ok ? 'signature valid' : 'signature does not verify with the supervisor certificate' };
  } catch (error) {
    return { ok: false, reason: `signature check failed: ${(error as Error).message}` };
  }
}
