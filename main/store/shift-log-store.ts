import type { Statement } from 'better-sqlite3';
import { NOT_FIRST_PASS_EVENT_KINDS } from '../../shared/metrics.js';
import type { Db } from './database.js';
import { DeadLetterStore } from './dead-letter-store.js';

/** One run of a shift joined with its blueprint, device and packing unit: what the export maps. */
export interface ShiftLogRunRow {
  rowid: number;
  id: string;
  shift_id: string;
  slot: string | null;
  serial: string;
  operator: string | null;
  state: string;
  attempts_total: number;
  failed_step: string | null;
  error_code: string | null;
  error_message: string | null;
  captured: string;
  started_at: string;
  finished_at: string | null;
  blueprint: string;
  blueprint_version: number;
  /** The resolved blueprint's content hash; null in the hub for runs of stations older than issue 10. */
  blueprint_hash: string | null;
  family: string | null;
  model: string | null;
  os_version: string | null;
  unit_id: string | null;
}

export interface ShiftLogEventRow {
  id: number;
  run_id: string;
  step: string | null;
  kind: string;
  attempt: number;
  at: string;
  message: string | null;
}

/**
 * Reads a shift's log in pages, each page a complete query, so an export can stream for minutes
 * while the pipeline keeps committing on the same connection.
 */
export class ShiftLogStore {
  private readonly s: Record<string, Statement>;
  /** The events the hub refused: the shift export lists those of its time window. */
  readonly deadLetters: DeadLetterStore;

  constructor(db: Db) {
    this.deadLetters = new DeadLetterStore(db);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      page: p(`SELECT r.rowid AS rowid, r.id, r.shift_id, r.slot, r.serial, r.operator, r.state, r.attempts_total, r.failed_step,
          r.error_code, r.error_message, r.captured, r.started_at, r.finished_at, b.name AS blueprint, b.version AS blueprint_version, b.hash AS blueprint_hash,
          d.family, d.model, d.os_version,
          (SELECT u.unit_id FROM unit_items u WHERE u.run_id = r.id AND u.removed_at IS NULL) AS unit_id
        FROM runs r JOIN blueprints b ON b.id = r.blueprint_id LEFT JOIN devices d ON d.serial = r.serial
        WHERE r.shift_id = @shift AND (r.started_at > @after OR (r.started_at = @after AND r.rowid > @rowid))
        ORDER BY r.started_at, r.rowid LIMIT @limit`),
      events: p(`SELECT id, run_id, step, kind, attempt, at, message FROM step_events
        WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY id`),
      // First pass as shared/metrics.ts defines it: done in one attempt, and no failure, retry or skip among the run's events.
      counts: p(`SELECT state, count(*) AS n, sum(CASE WHEN state = 'done' AND attempts_total = 1 AND NOT EXISTS (
            SELECT 1 FROM step_events e WHERE e.run_id = runs.id AND e.kind IN (${NOT_FIRST_PASS_EVENT_KINDS.map((k) => `'${k}'`).join(', ')})
          ) THEN 1 ELSE 0 END) AS first_pass
        FROM runs WHERE shift_id = ? GROUP BY state`),
      perHour: p(`SELECT substr(finished_at, 1, 13) AS hour, count(*) AS n FROM runs
        WHERE shift_id = ? AND state = 'done' AND finished_at IS NOT NULL GROUP BY hour ORDER BY hour`),
      failures: p(`SELECT coalesce(e.step, '?') AS step, coalesce(e.message, e.kind) AS reason, count(*) AS n FROM step_events e
        WHERE e.run_id IN (SELECT id FROM runs WHERE shift_id = ?) AND e.kind IN ('fail', 'timeout')
        GROUP BY 1, 2 ORDER BY n DESC, step LIMIT ?`),
      lastFailure: p(`SELECT coalesce(message, kind) AS reason FROM step_events
        WHERE run_id = ? AND kind IN ('fail', 'timeout') ORDER BY id DESC LIMIT 1`),
      blueprints: p(`SELECT name, version, definition FROM blueprints
        WHERE id IN (SELECT DISTINCT blueprint_id FROM runs WHERE shift_id = ?) ORDER BY name, version`),
    };
  }

  /** Runs of a shift in start order, `pageSize` at a time. */
  *runs(shiftId: string, pageSize = 500): Generator<ShiftLogRunRow> {
    let after = '';
    let rowid = -1;
    for (;;) {
      const page = this.s.page!.all({ shift: shiftId, after, rowid, limit: pageSize }) as ShiftLogRunRow[];
      yield* page;
      if (page.length < pageSize) return;
      const last = page[page.length - 1]!;
      after = last.started_at;
      rowid = last.rowid;
    }
  }

  /** The step events of the given runs, in commit order. */
  eventsOf(runIds: readonly string[]): ShiftLogEventRow[] {
    if (runIds.length === 0) return [];
    return this.s.events!.all(JSON.stringify(runIds)) as ShiftLogEventRow[];
  }

  counts(shiftId: string): { byState: Record<string, number>; firstPass: number } {
    const byState: Record<string, number> = {};
    let firstPass = 0;
    for (const r of this.s.counts!.all(shiftId) as { state: string; n: number; first_pass: number }[]) {
      byState[r.state] = r.n;
      firstPass += r.first_pass;
    }
    return { byState, firstPass };
  }

  /** Devices done per UTC hour ("2026-03-02T08"). */
  donePerHour(shiftId: string): { hour: string; n: number }[] {
    return this.s.perHour!.all(shiftId) as { hour: string; n: number }[];
  }

  failures(shiftId: string, limit = 30): { step: string; reason: string; n: number }[] {
    return this.s.failures!.all(shiftId, limit) as { step: string; reason: string; n: number }[];
  }

  /** A run's last step failure as stored (a catalogue message's JSON, prose, or the event's kind); null when none. */
  lastFailure(runId: string): string | null {
    return (this.s.lastFailure!.get(runId) as { reason: string } | undefined)?.reason ?? null;
  }

  /** The stored definitions of the blueprints a shift's runs executed (the PDF names steps by their labels). */
  blueprintsOf(shiftId: string): { name: string; version: number; definition: string }[] {
    return this.s.blueprints!.all(shiftId) as { name: string; version: number; definition: string }[];
  }
}
