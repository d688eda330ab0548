import crypto from 'node:crypto';
import forge from 'node-forge';
import { IosLinkError, type SupervisorIdentity } from '../ios-link.js';

/** The supervision certificate as the device wants it in SupervisorCertificate: DER bytes. */
export function supervisorCertificateDer(identity: SupervisorIdentity): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(readSigner(identity).certificate)).getBytes(), 'binary');
}

/**
 * A challenge the device set (supervised pairing's PairingChallenge, MCInstall's Escalate),
 * signed by the supervision identity: CMS SignedData with the challenge inside, SHA-256, the
 * signer's certificate included, DER (pymobiledevice3 sends the same).
 *
 * forge builds the SignedData; Node makes the RSA signature. forge's own RSA is plain JavaScript:
 * about 50 ms of blocked event loop per signature, four or five per iPad (supervised pairing, every
 * silent profile), which held up every other device's progress on a bench of 64 (npm run bench:ios).
 */
export function signSupervisorChallenge(challenge: Buffer, identity: SupervisorIdentity, now = new Date()): Buffer {
  const { certificate, key } = readSigner(identity);
  const signed = forge.pkcs7.createSignedData();
  signed.content = forge.util.createBuffer(challenge.toString('binary'));
  signed.addCertificate(certificate);
  signed.addSigner({
    key: nodeSigner(key) as unknown as forge.pki.rsa.PrivateKey,
    certificate,
    digestAlgorithm: forge.pki.oids.sha256!,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType!, value: forge.pki.oids.data! },
      { type: forge.pki.oids.messageDigest! },
      { type: forge.pki.oids.signingTime!, value: now.toISOString() },
    ],
  });
  signed.sign();
  return Buffer.from(forge.asn1.toDer(signed.toAsn1()).getBytes(), 'binary');
}

/**
 * What forge's PKCS#7 signer calls on its key: sign(md) for RSASSA-PKCS1-v1_5, i.e. the DigestInfo
 * of the digest forge computed, padded (block type 1) and raised to the private exponent: what
 * privateEncrypt with PKCS#1 padding does natively.
 */
function nodeSigner(key: crypto.KeyObject): { sign(md: forge.md.MessageDigest): string } {
  return {
    sign(md) {
      const asn1 = forge.asn1;
      const digestInfo = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
          asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(forge.pki.oids[md.algorithm]!).getBytes()),
          asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
        ]),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, md.digest().getBytes()),
      ]);
      const der = Buffer.from(asn1.toDer(digestInfo).getBytes(), 'binary');
      return crypto.privateEncrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, der).toString('binary');
    },
  };
}

interface Signer {
  certificate: forge.pki.Certificate;
  key: crypto.KeyObject;
}

/** The last identity read: a station signs with one identity for every device, so it is parsed once. */
let lastSigner: { certificatePem: string; privateKeyPem: string; signer: Signer } | null = null;

function readSigner(identity: SupervisorIdentity): Signer {
  if (lastSigner && lastSigner.certificatePem === identity.certificatePem && lastSigner.privateKeyPem === identity.privateKeyPem) return lastSigner.signer;
  let certificate: forge.pki.Certificate;
  try {
    certificate = forge.pki.certificateFromPem(identity.certificatePem);
  } catch (err) {
    throw new IosLinkError('protocol', `the supervision identity's certificate cannot be read (${(err as Error).message})`, 'SupervisorCertificate');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(identity.privateKeyPem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`${key.asymmetricKeyType ?? 'unknown'} key, not RSA`);
  } catch (err) {
    throw new IosLinkError('protocol', `the supervision identity's private key cannot be read (${(err as Error).message})`, 'SupervisorKey');
  }
  const signer = { certificate, key };
  lastSigner = { certificatePem: identity.certificatePem, privateKeyPem: identity.privateKeyPem, signer };
  return signer;
}
