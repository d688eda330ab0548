import type { UserRole } from '../../../shared/contract/hub-api.js';
import { burnPasswordCheck, hashPassword, newToken, tokenHash, verifyPassword } from '../credentials.js';
import type { SqlDatabase } from '../db/sql.js';

export const SESSION_HOURS = 12;

/**
 * Supervisors and admins, their Argon2id passwords, and their sessions. Sessions live in the
 * database, so every hub instance behind a load balancer knows them.
 */
export class Sessions {
  constructor(private readonly db: SqlDatabase) {}

  /** Adds a supervisor or admin, or sets the password and role of an existing one (ending their sessions). */
  async upsertUser(username: string, password: string, role: UserRole, now = Date.now()): Promise<'added' | 'updated'> {
    const hash = await hashPassword(password);
    return this.db.transaction(async (tx) => {
      const existing = await tx.get('SELECT username FROM users WHERE username = $1', [username]);
      if (existing) {
        await tx.run('UPDATE users SET password_hash = $1, role = $2 WHERE username = $3', [hash, role, username]);
        await tx.run('DELETE FROM sessions WHERE username = $1', [username]);
        return 'updated' as const;
      }
      await tx.run('INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)', [username, hash, role, now]);
      return 'added' as const;
    });
  }

  /** A new session for a correct name and password; null otherwise (the caller does not learn which was wrong). */
  async login(username: string, password: string, now = Date.now()): Promise<{ token: string; role: UserRole; expiresAt: number } | null> {
    const user = await this.db.get('SELECT password_hash, role FROM users WHERE username = $1', [username]);
    if (!user) {
      await burnPasswordCheck(password);
      return null;
    }
    if (!(await verifyPassword(String(user.password_hash), password))) return null;
    const token = newToken('blu');
    const expiresAt = now + SESSION_HOURS * 3_600_000;
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM sessions WHERE expires_at < $1', [now]);
      await tx.run('INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash(token), username, now, expiresAt]);
    });
    return { token, role: user.role as UserRole, expiresAt };
  }

  async session(token: string | undefined, now = Date.now()): Promise<{ username: string; role: UserRole } | null> {
    if (!token) return null;
    const row = await this.db.get(
      'SELECT u.username, u.role FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = $1 AND s.expires_at > $2',
      [tokenHash(token), now],
    );
    return row ? { username: String(row.username), role: row.role as UserRole } : null;
  }

  async logout(token: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE token_hash = $1', [tokenHash(token)]);
  }
}
