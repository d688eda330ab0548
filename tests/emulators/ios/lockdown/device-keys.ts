import crypto from 'node:crypto';

/**
 * The device's own RSA-2048 key pair (lockdownd's identity). Real devices send their public key as
 * `DevicePublicKey`: PKCS#1 PEM ("BEGIN RSA PUBLIC KEY") as <data>; libimobiledevice reads it with
 * PEM_read_bio_RSAPublicKey and go-ios asn1-unmarshals it into rsa.PublicKey, so no other form works.
 * Generated asynchronously (libuv thread pool) on first use, so 64 devices cost nothing until asked.
 */
export interface DeviceKeys {
  privateKey: crypto.KeyObject;
  privateKeyPem: string;
  /** PKCS#1 PEM, as DevicePublicKey. */
  publicKeyPkcs1Pem: Buffer;
  /** SubjectPublicKeyInfo DER, to compare with the key in a host-made DeviceCertificate. */
  publicKeySpkiDer: Buffer;
}

export function generateDeviceKeys(): Promise<DeviceKeys> {
  return new Promise((resolve, reject) => {
    crypto.generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, (error, publicKey, privateKey) => {
      if (error) {
        reject(error);
        return;
      }
      resolve({
        privateKey,
        privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
        publicKeyPkcs1Pem: Buffer.from(publicKey.export({ type: 'pkcs1', format: 'pem' })),
        publicKeySpkiDer: publicKey.export({ type: 'spki', format: 'der' }),
      });
    });
  });
}

/** Whether a PEM certificate carries this device's public key (a DeviceCertificate made for this device). */
export function certificateHasKey(certificatePem: Buffer | string, keys: DeviceKeys): boolean {
  try {
    const certificate = new crypto.X509Certificate(certificatePem);
    return certificate.publicKey.export({ type: 'spki', format: 'der' }).equals(keys.publicKeySpkiDer);
  } catch {
    return false;
  }
}

/** DER of the first certificate in a PEM or DER buffer; null when it is no certificate. */
export function certificateDer(certificate: Buffer | string): Buffer | null {
  try {
    return new crypto.X509Certificate(certificate).raw;
  } catch {
    return null;
  }
}
