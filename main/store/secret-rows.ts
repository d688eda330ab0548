import type { Db } from './database.js';

/** One stored secret: its ciphertext, never its value. */
export interface SecretRow {
  name: string;
  kind: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  createdAt: string;
  updatedAt: string;
}

/** The secrets table (migration 004); encryption is main/secrets/'s job, this only stores bytes. */
export class SecretRows {
  private readonly upsertStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT INTO secrets (name, kind, nonce, ciphertext, tag, created_at, updated_at) VALUES (@name, @kind, @nonce, @ciphertext, @tag, @createdAt, @updatedAt)
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, nonce = excluded.nonce, ciphertext = excluded.ciphertext, tag = excluded.tag, updated_at = excluded.updated_at`,
    );
    const columns = 'name, kind, nonce, ciphertext, tag, created_at AS createdAt, updated_at AS updatedAt';
    this.getStmt = db.prepare(`SELECT ${columns} FROM secrets WHERE name = ?`);
    this.listStmt = db.prepare(`SELECT ${columns} FROM secrets ORDER BY name`);
    this.deleteStmt = db.prepare('DELETE FROM secrets WHERE name = ?');
  }

  upsert(row: SecretRow): void {
    this.upsertStmt.run(row);
  }

  get(name: string): SecretRow | null {
    return (this.getStmt.get(name) as SecretRow | undefined) ?? null;
  }

  list(): SecretRow[] {
    return this.listStmt.all() as SecretRow[];
  }

  delete(name: string): boolean {
    return this.deleteStmt.run(name).changes > 0;
  }
}
