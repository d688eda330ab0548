import crypto from 'node:crypto';
import forge from 'node-forge';

/**
 * Self-signed RSA identities: the stand-in server certificate of a device whose host left no
 * DeviceCertificate, and, for tests, host certificates and supervision identities (also as .p12 in
 * the form go-ios reads: 3DES, SHA-1 MAC).
 */

export interface Identity {
  keyPem: string;
  certificatePem: string;
  certificateDer: Buffer;
  key: forge.pki.rsa.PrivateKey;
  certificate: forge.pki.Certificate;
}

/** A self-signed certificate (SHA-256, valid ten years from yesterday) over the key in `keyPem`. */
export function certificateForKey(keyPem: string, commonName: string): Identity {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  certificate.serialNumber = '01';
  certificate.validity.notBefore = new Date(Date.now() - 86_400_000);
  certificate.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  certificate.setSubject([{ name: 'commonName', value: commonName }]);
  certificate.setIssuer([{ name: 'commonName', value: commonName }]);
  certificate.sign(key, forge.md.sha256.create());
  const certificateDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(certificate)).getBytes(), 'binary');
  return { keyPem, certificatePem: forge.pki.certificateToPem(certificate), certificateDer, key, certificate };
}

/** A new RSA-2048 key (Node's native generator: forge's is slow) with a self-signed certificate. */
export function makeIdentity(commonName: string): Identity {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return certificateForKey(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), commonName);
}

/** The identity as PKCS#12 with 3DES and a SHA-1 MAC (go-pkcs12, as go-ios uses it, reads this form). */
export function identityToP12(identity: Identity, password: string): Buffer {
  const p12 = forge.pkcs12.toPkcs12Asn1(identity.key, [identity.certificate], password, { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}
