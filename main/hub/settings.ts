import { str } from './db/rows.js';
import type { SqlDatabase } from './db/sql.js';

/** The hub's few settings (the day's target), shared by every hub instance through the database. */
export class HubSettings {
  constructor(private readonly db: SqlDatabase) {}

  async get(key: string): Promise<string | null> {
    return str((await this.db.get('SELECT value FROM settings WHERE key = $1', [key]))?.value);
  }

  async set(key: string, value: string | null): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (value === null) await tx.run('DELETE FROM settings WHERE key = $1', [key]);
      else await tx.run('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    });
  }

  async dailyTarget(): Promise<number | null> {
    const v = await this.get('daily_target');
    return v === null ? null : Number(v);
  }
}
