import { DEFAULT_TARGET_HOURS, TARGET_HOURS_PATTERN } from '../../shared/contract/hub-api.js';
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

  /** The working hours the daily target is spread over ("06:00-22:00"). */
  async targetHours(): Promise<string> {
    const v = await this.get('target_hours');
    return v !== null && TARGET_HOURS_PATTERN.test(v) ? v : DEFAULT_TARGET_HOURS;
  }
}
