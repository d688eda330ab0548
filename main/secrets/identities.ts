import crypto from 'node:crypto';
import forge from 'node-forge';
import { message } from '../../shared/messages/catalogue.js';
import { SecretError, type SecretValue } from './secret-types.js';

/**
 * Supervision identities. Node's crypto cannot read PKCS#12 nor build a certificate, so both use
 * node-forge (maintained, pure JavaScript, no native build on the stations); keys are made by
 * Node's crypto and only handed to forge as PEM.
 */
type Identity = Extract<SecretValue, { kind: 'identity' }>;

/** Reads the certificate and private key of a .p12 file; a wrong password or another file type is one clear error. */
export function identityFromP12(file: string, bytes: Buffer, password: string): Identity {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch {
    throw new SecretError(message('secret.p12-unreadable', { file }));
  }
  const bags = (type: string | undefined): forge.pkcs12.Bag[] => (type ? (p12.getBags({ bagType: type })[type] ?? []) : []);
  const certBag = bags(forge.pki.oids.certBag).find((b) => b.cert);
  const keyBag = [...bags(forge.pki.oids.pkcs8ShroudedKeyBag), ...bags(forge.pki.oids.keyBag)].find((b) => b.key);
  if (!certBag?.cert || !keyBag?.key) throw new SecretError(message('secret.p12-incomplete', { file }));
  // Re-encoded as PKCS#8 through Node, so every identity is stored in one form.
  const privateKeyPem = crypto.createPrivateKey(forge.pki.privateKeyToPem(keyBag.key)).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { kind: 'identity', certificatePem: forge.pki.certificateToPem(certBag.cert), privateKeyPem };
}

/** A self-signed supervision identity for an organisation: RSA 2048, SHA-256, CN = the organisation, valid 10 years. */
export function createSupervisionIdentity(organization: string, now = new Date()): Identity {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = `00${crypto.randomBytes(16).toString('hex')}`; // leading 00: always positive
  cert.validity.notBefore = now;
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000);
  const subject = [
    { name: 'commonName', value: organization },
    { name: 'organizationName', value: organization },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  return { kind: 'identity', certificatePem: forge.pki.certificateToPem(cert), privateKeyPem };
}
