import crypto from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';

/**
 * Station tokens and session tokens are 256 random bits: a plain SHA-256 of them is what the
 * database keeps (a slow KDF adds nothing against guessing 256 bits, and ingest runs hundreds of
 * times a second). Passwords are chosen by people, so they get Argon2id.
 */
export function newToken(prefix: 'bls' | 'blu'): string {
  return `${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

// OWASP's first Argon2id profile: 19 MiB, 2 iterations, 1 lane.
const ARGON = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argonHash(password, ARGON);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await argonVerify(stored, password);
  } catch {
    return false;
  }
}

/** Verified when a user is unknown, so a wrong name takes as long as a wrong password. */
let dummyHash: Promise<string> | null = null;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= argonHash('benchline-no-such-user', ARGON);
  await verifyPassword(await dummyHash, password);
}

export const MIN_PASSWORD_LENGTH = 10;
