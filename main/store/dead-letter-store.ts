import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/** An outbox event the hub refused for good, with the hub's reason. */
export interface DeadLetterRecord {
  seq: number;
  kind: string;
  /** The event's payload as it was sent (JSON text). */
  payload: string;
  /** When the station wrote the event. */
  createdAt: string;
  code: string;
  message: string;
  rejectedAt: string;
  /** 'hub': the hub keeps it as its dead letter too; 'station': refused alone, so the hub has a gap at this seq. */
  source: 'hub' | 'station';
}

/**
 * Dead letters (migration 003). Recording them and acknowledging the outbox is one transaction,
 * so a crash between the two never loses an event nor files it twice.
 */
export class DeadLetterStore {
  private readonly s: Record<'insert' | 'deleteOutbox' | 'count' | 'all' | 'between', Statement>;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    const columns = 'seq, kind, payload, created_at AS createdAt, code, message, rejected_at AS rejectedAt, source';
    this.s = {
      // A repeated answer for the same seq keeps the first record.
      insert: p(`INSERT OR IGNORE INTO dead_letters (seq, kind, payload, created_at, code, message, rejected_at, source)
        VALUES (@seq, @kind, @payload, @createdAt, @code, @message, @rejectedAt, @source)`),
      deleteOutbox: p('DELETE FROM outbox WHERE seq <= ?'),
      count: p('SELECT count(*) AS n FROM dead_letters'),
      all: p(`SELECT ${columns} FROM dead_letters ORDER BY seq`),
      between: p(`SELECT ${columns} FROM dead_letters WHERE created_at >= ? AND created_at < ? ORDER BY seq`),
    };
  }

  /** Files the refused events and removes the outbox up to `ackUpTo` (0: nothing), together. */
  record(letters: readonly DeadLetterRecord[], ackUpTo: number): void {
    this.db.transaction(() => {
      for (const l of letters) this.s.insert.run(l);
      if (ackUpTo > 0) this.s.deleteOutbox.run(ackUpTo);
    })();
  }

  count(): number {
    return (this.s.count.get() as { n: number }).n;
  }

  /** Every dead letter, or those of events written in [from, to) (ISO times; to null: until now). */
  list(window?: { from: string; to: string | null }): DeadLetterRecord[] {
    if (!window) return this.s.all.all() as DeadLetterRecord[];
    return this.s.between.all(window.from, window.to ?? '9999-12-31T23:59:59.999Z') as DeadLetterRecord[];
  }
}
