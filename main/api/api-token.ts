import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Reads DATA_DIR/api-token, creating it (mode 0600) on first start (CONTRACT.md). */
export function ensureApiToken(dataDir: string): string {
  const file = path.join(dataDir, 'api-token');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    if (token.length >= 32) return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = crypto.randomBytes(32).toString('base64url');
  // Written to a temporary file and renamed, so a crash never leaves a half-written token.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}

/** Constant-time comparison of a presented bearer token. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
