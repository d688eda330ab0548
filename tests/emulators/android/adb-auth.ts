import { constants, createPublicKey, publicDecrypt, type KeyObject } from 'node:crypto';

/**
 * adb's RSA authentication as adbd checks it: the host signs adbd's 20-byte token with its key
 * (~/.android/adbkey; RSA_sign with SHA-1, so PKCS#1 v1.5 over the token as the digest) and, when no
 * key is accepted, sends its public key in Android's form (android_pubkey.c: word count, n0inv,
 * modulus and R^2 little-endian, exponent; base64, then " user@host").
 */

export const TOKEN_SIZE = 20;

/** The public key (base64 part) a host sent with AUTH RSAPUBLICKEY, as Node key; null when malformed. */
export function parseAdbPublicKey(text: string): KeyObject | null {
  const raw = Buffer.from(text.replace(/\0/g, '').trim().split(/\s+/)[0] ?? '', 'base64');
  if (raw.length < 12) return null;
  const words = raw.readUInt32LE(0);
  const size = words * 4;
  if (raw.length < 8 + 2 * size + 4) return null;
  const modulus = Buffer.from(raw.subarray(8, 8 + size)).reverse();
  const exponent = raw.readUInt32LE(8 + 2 * size);
  const e = Buffer.alloc(4);
  e.writeUInt32BE(exponent);
  try {
    return createPublicKey({
      key: { kty: 'RSA', n: modulus.toString('base64url'), e: e.subarray(e.findIndex((b) => b !== 0)).toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return null;
  }
}

/** Whether `signature` is `token` signed by the private half of `key`. */
export function verifyTokenSignature(key: KeyObject, token: Buffer, signature: Buffer): boolean {
  try {
    const digestInfo = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return digestInfo.length >= TOKEN_SIZE && digestInfo.subarray(digestInfo.length - TOKEN_SIZE).equals(token);
  } catch {
    return false;
  }
}
