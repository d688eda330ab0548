import forge from 'node-forge';
import { IosLinkError, type SupervisorIdentity } from '../ios-link.js';

/** The supervision certificate as the device wants it in SupervisorCertificate: DER bytes. */
export function supervisorCertificateDer(identity: SupervisorIdentity): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(readCertificate(identity))).getBytes(), 'binary');
}

/**
 * A challenge the device set (supervised pairing's PairingChallenge, MCInstall's Escalate),
 * signed by the supervision identity: CMS SignedData with the challenge inside, SHA-256, the
 * signer's certificate included, DER (pymobiledevice3 sends the same).
 */
export function signSupervisorChallenge(challenge: Buffer, identity: SupervisorIdentity, now = new Date()): Buffer {
  const certificate = readCertificate(identity);
  let key: forge.pki.rsa.PrivateKey;
  try {
    key = forge.pki.privateKeyFromPem(identity.privateKeyPem);
  } catch (err) {
    throw new IosLinkError('protocol', `the supervision identity's private key cannot be read (${(err as Error).message})`, 'SupervisorKey');
  }
  const signed = forge.pkcs7.createSignedData();
  signed.content = forge.util.createBuffer(challenge.toString('binary'));
  signed.addCertificate(certificate);
  signed.addSigner({
    key,
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

function readCertificate(identity: SupervisorIdentity): forge.pki.Certificate {
  try {
    return forge.pki.certificateFromPem(identity.certificatePem);
  } catch (err) {
    throw new IosLinkError('protocol', `the supervision identity's certificate cannot be read (${(err as Error).message})`, 'SupervisorCertificate');
  }
}
