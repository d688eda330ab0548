import crypto from 'node:crypto';
import { newToken, tokenHash } from './credentials.js';
import type { SqlDatabase } from './db/sql.js';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';

/** Registered stations and their tokens (shown once, stored only as a hash). */
export class Stations {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Registers a station and answers its token. With rotate, an existing station gets a new token
   * and its old one stops working.
   */
  async register(name: string, opts: { rotate?: boolean; now?: number } = {}): Promise<{ id: string; token: string; rotated: boolean }> {
    const clean = name.trim();
    if (!/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u.test(clean)) {
      throw new AppError('bad_request', message('hub.station-name', { name }));
    }
    const token = newToken('bls');
    const now = opts.now ?? Date.now();
    return this.db.transaction(async (tx) => {
      const existing = await tx.get('SELECT id FROM stations WHERE name = $1', [clean]);
      if (existing) {
        if (!opts.rotate) throw new AppError('conflict', message('hub.station-exists', { name: clean }));
        await tx.run('UPDATE stations SET token_hash = $1 WHERE id = $2', [tokenHash(token), String(existing.id)]);
        return { id: String(existing.id), token, rotated: true };
      }
      const id = crypto.randomUUID();
      await tx.run('INSERT INTO stations (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)', [id, clean, tokenHash(token), now]);
      return { id, token, rotated: false };
    });
  }

  /** Hub id of the station a station's own id is bound to. */
  async keyOf(stationUuid: string): Promise<{ key: string; name: string } | null> {
    const row = await this.db.get('SELECT id, name FROM stations WHERE station_uuid = $1', [stationUuid]);
    return row ? { key: String(row.id), name: String(row.name) } : null;
  }

  /** The station a token belongs to (for station routes besides ingest, e.g. library downloads); null for an unknown token. */
  async nameOfToken(token: string): Promise<string | null> {
    const row = await this.db.get('SELECT name FROM stations WHERE token_hash = $1', [tokenHash(token)]);
    return row ? String(row.name) : null;
  }
}
