import forge from 'node-forge';
import { childAt, octetBytes } from './profiles.ts';

/**
 * Checks a supervisor's answer to a challenge (MCInstall EscalateResponse{SignedRequest}, and the
 * same shape for lockdown's supervised pairing): a CMS SignedData (PKCS#7) whose content is the
 * challenge, signed with the supervision identity's RSA key. go-ios signs with SHA-1 and signed
 * attributes (go.mozilla.org/pkcs7), pymobiledevice3 and openssl with SHA-256 and signed attributes,
 * node-forge may sign without them: all are accepted. node-forge can parse SignedData but not verify
 * it, so the SignerInfo is walked here and the RSA signature checked with the certificate's key.
 * EC supervision keys are not supported (node-forge has no ECDSA).
 */

const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const DIGESTS: Record<string, () => forge.md.MessageDigest> = {
  '1.3.14.3.2.26': () => forge.md.sha1.create(),
  '2.16.840.1.101.3.4.2.1': () => forge.md.sha256.create(),
  '2.16.840.1.101.3.4.2.2': () => forge.md.sha384.create(),
  '2.16.840.1.101.3.4.2.3': () => forge.md.sha512.create(),
};

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

function digestOf(oid: string, bytes: string): string | null {
  const make = DIGESTS[oid];
  if (!make) return null;
  const md = make();
  md.update(bytes);
  return md.digest().bytes();
}

function oidOf(node: forge.asn1.Asn1): string {
  if (typeof node.value !== 'string') throw new Error('ASN.1: OID expected');
  return forge.asn1.derToOid(node.value);
}

function serialHex(bytes: string): string {
  return forge.util.bytesToHex(bytes).replace(/^(00)+(?=.)/, '').toLowerCase();
}

/** Verifies `signedDer` as the signature of `challenge` by the holder of `certificateDer`'s key. */
export function verifySignedChallenge(signedDer: Buffer, challenge: Buffer, certificateDer: Buffer): SignatureVerdict {
  let certificate: forge.pki.Certificate;
  try {
    certificate = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(certificateDer.toString('binary'))));
  } catch (err) {
    return { ok: false, reason: `the supervisor certificate is unreadable (${(err as Error).message})` };
  }
  const publicKey = certificate.publicKey as forge.pki.rsa.PublicKey;
  if (typeof publicKey.verify !== 'function') return { ok: false, reason: 'the supervisor key is not an RSA key' };

  try {
    const info = forge.asn1.fromDer(forge.util.createBuffer(signedDer.toString('binary')));
    if (oidOf(childAt(info, 0)) !== forge.pki.oids['signedData']) return { ok: false, reason: 'not a CMS SignedData' };
    const signedData = childAt(childAt(info, 1), 0);
    const encapsulated = childAt(signedData, 2);
    const content = octetBytes(childAt(childAt(encapsulated, 1), 0));
    if (content !== challenge.toString('binary')) return { ok: false, reason: 'the signed content is not the challenge' };

    const signerInfos = (signedData.value as forge.asn1.Asn1[]).at(-1);
    const signerInfo = signerInfos ? childAt(signerInfos, 0) : null;
    if (!signerInfo) return { ok: false, reason: 'no SignerInfo' };
    const parts = signerInfo.value as forge.asn1.Asn1[];
    // SignerInfo: version, issuerAndSerialNumber, digestAlgorithm, [0] signedAttrs?, signatureAlgorithm, signature, [1]?
    const serial = childAt(childAt(signerInfo, 1), 1);
    if (typeof serial.value !== 'string' || serialHex(serial.value) !== serialHex(forge.util.hexToBytes(certificate.serialNumber))) {
      return { ok: false, reason: 'signed by another certificate than the supervisor certificate' };
    }
    const digestOid = oidOf(childAt(childAt(signerInfo, 2), 0));
    const contentDigest = digestOf(digestOid, content);
    if (contentDigest === null) return { ok: false, reason: `unsupported digest ${digestOid}` };

    const attributes = parts.find((p) => p.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && p.type === 0);
    const signature = parts.filter((p) => p.tagClass === forge.asn1.Class.UNIVERSAL && p.type === forge.asn1.Type.OCTETSTRING).at(-1);
    if (!signature || typeof signature.value !== 'string') return { ok: false, reason: 'no signature' };

    let signedDigest = contentDigest;
    if (attributes) {
      const list = attributes.value as forge.asn1.Asn1[];
      const messageDigest = list.find((attr) => oidOf(childAt(attr, 0)) === OID_MESSAGE_DIGEST);
      const value = messageDigest ? childAt(childAt(messageDigest, 1), 0).value : null;
      if (value !== contentDigest) return { ok: false, reason: 'the messageDigest attribute does not match the challenge' };
      // The signature covers the attributes DER-encoded as a SET OF (tag 0x31), not as the [0] they are sent in.
      const set = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, list);
      const attributesDigest = digestOf(digestOid, forge.asn1.toDer(set).getBytes());
      if (attributesDigest === null) return { ok: false, reason: `unsupported digest ${digestOid}` };
      signedDigest = attributesDigest;
    }
    let verified = false;
    try {
      verified = publicKey.verify(signedDigest, signature.value);
    } catch {
      // forge throws on a signature block that decrypts to garbage: that is a wrong key, not a format error.
    }
    return verified ? { ok: true } : { ok: false, reason: 'the signature does not verify with the supervisor certificate' };
  } catch (err) {
    return { ok: false, reason: `unreadable signature (${(err as Error).message})` };
  }
}
