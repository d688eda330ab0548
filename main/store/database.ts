import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Opens a SQLite database in WAL mode and brings it to the newest schema.
 * synchronous=FULL: a committed step must survive a power cut, not only a crash of the app;
 * a bench commits a few transactions a second per device, far below what FULL can do.
 */
export function openDatabase(file: string, migrations: readonly string[]): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

export function migrate(db: Db, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new MigrationError(
      `The database is at schema ${current}, newer than this version of Benchline knows (${migrations.length}). Update Benchline on this station.`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    const sql = migrations[version - 1] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
