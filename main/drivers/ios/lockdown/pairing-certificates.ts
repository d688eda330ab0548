import crypto from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { IosLinkError } from '../ios-link.js';

/**
 * The certificates of one pairing, as libimobiledevice makes them (and pymobiledevice3 after it):
 * a self-signed root CA, a host certificate and a device certificate over the device's own public
 * key, all signed by the root with SHA-256, empty names, serial 1, valid ten years. The record
 * usbmuxd stores is all a station needs later, so nothing is kept on the station.
 *
 * The root and host keys (RSA-2048) are made once per station process, not per pairing as
 * libimobiledevice does: two key generations per pairing queued up in libuv's four threads on a
 * bench of 64 iPads (an erased iPad pairs again) and held every Trust step for seconds, and the file
 * reads of app uploads waited behind them (npm run bench:ios). Each pairing still has its own
 * certificates and HostID; the device checks the host by those, and anyone who can read one pair
 * record on the station (root) can read them all, so a shared key exposes nothing more.
 *
 * forge builds the certificate structure; Node signs it and makes the keys, off the event loop
 * (forge's RSA is plain JavaScript and would stall the station for every device paired).
 */
export interface PairingCertificates {
  rootCertificatePem: string;
  rootPrivateKeyPem: string;
  hostCertificatePem: string;
  hostPrivateKeyPem: string;
  deviceCertificatePem: string;
}

const generateKeyPair = promisify(crypto.generateKeyPair);
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export async function createPairingCertificates(devicePublicKeyPem: string, now = new Date()): Promise<PairingCertificates> {
  let devicePublicKey: forge.pki.PublicKey;
  try {
    devicePublicKey = forge.pki.publicKeyFromPem(devicePublicKeyPem);
  } catch (err) {
    throw new IosLinkError('protocol', `the device's DevicePublicKey is not an RSA public key (${(err as Error).message})`, 'DevicePublicKey');
  }
  const { root, host } = await stationKeys();
  const rootCertificatePem = certificatePem({ publicKey: root.forgePublicKey, signer: root.privateKey, kind: 'root', now });
  const hostCertificatePem = certificatePem({ publicKey: host.forgePublicKey, signer: root.privateKey, kind: 'host', now });
  const deviceCertificatePem = certificatePem({ publicKey: devicePublicKey, signer: root.privateKey, kind: 'device', now });
  return { rootCertificatePem, rootPrivateKeyPem: root.privateKeyPem, hostCertificatePem, hostPrivateKeyPem: host.privateKeyPem, deviceCertificatePem };
}

/** forge's TBSCertificate builder, which its type declarations leave out. */
function tbsCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 {
  const pki = forge.pki as typeof forge.pki & { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 };
  return pki.getTBSCertificate(cert);
}

interface StationKey {
  privateKey: crypto.KeyObject;
  privateKeyPem: string;
  forgePublicKey: forge.pki.PublicKey;
}

let keys: Promise<{ root: StationKey; host: StationKey }> | null = null;

/** The station's root and host keys, made on the first pairing (a failure is tried again on the next). */
function stationKeys(): Promise<{ root: StationKey; host: StationKey }> {
  if (!keys) {
    const made = Promise.all([rsaKeyPair(), rsaKeyPair()]).then(([root, host]) => ({ root, host }));
    made.catch(() => {
      if (keys === made) keys = null;
    });
    keys = made;
  }
  return keys;
}

async function rsaKeyPair(): Promise<StationKey> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    // PKCS#1, as libimobiledevice writes the keys of its records.
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    forgePublicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}

function certificatePem(spec: { publicKey: forge.pki.PublicKey; signer: crypto.KeyObject; kind: 'root' | 'host' | 'device'; now: Date }): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = spec.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(spec.now.getTime() - 60_000);
  cert.validity.notAfter = new Date(spec.now.getTime() + TEN_YEARS_MS);
  cert.setSubject([]);
  cert.setIssuer([]);
  cert.setExtensions(
    spec.kind === 'root'
      ? [{ name: 'basicConstraints', cA: true, critical: true }]
      : [
          { name: 'basicConstraints', cA: false, critical: true },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          ...(spec.kind === 'device' ? [{ name: 'subjectKeyIdentifier' }] : []),
        ],
  );
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  const tbs = forge.asn1.toDer(tbsCertificate(cert)).getBytes();
  cert.signature = crypto.sign('sha256', Buffer.from(tbs, 'binary'), spec.signer).toString('binary');
  // forge writes CRLF; libimobiledevice and the devices' own records use LF.
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}
