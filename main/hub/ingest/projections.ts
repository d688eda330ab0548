import type { Dialect, SqlClient, SqlValue } from '../db/sql.js';
import { multiRow, parseMs } from '../db/rows.js';
import { NOT_FIRST_PASS_EVENT_KINDS } from '../../../shared/metrics.js';
import type { ParsedEvent } from './event-validation.js';

/** Failure events the Pareto counts: a step that failed or ran out of time. */
export const FAILURE_KINDS = ['fail', 'timeout'] as const;

type StepEventPayload = Extract<ParsedEvent, { known: 'run' }>['payload']['events'][number];

function isFailure(kind: string): boolean {
  return (FAILURE_KINDS as readonly string[]).includes(kind);
}

/**
 * Whether the failure at `index` was retried by the pipeline on its own: the next failure-or-retry
 * event of the same transition is the scheduled retry (the run machine journals both in one step).
 * Otherwise the run went to failed and waits for a person.
 */
export function retriedAutomatically(events: readonly StepEventPayload[], index: number): boolean {
  for (const ev of events.slice(index + 1)) {
    if (ev.kind === 'retry-scheduled') return true;
    if (isFailure(ev.kind)) return false;
  }
  return false;
}

/**
 * Projections of the event stream: shifts, runs, step events, hand-overs and packed units. Every row
 * is guarded by the seq that last wrote it, so events applied out of order, twice, or one at a time
 * leave the same result as one batch in order. Station times are moved onto the hub's clock.
 */
export async function projectEvents(tx: SqlClient, dialect: Dialect, batches: { key: string; events: ParsedEvent[]; offset: number }[]): Promise<void> {
  const runRows: SqlValue[][] = [];
  const moves: SqlValue[][] = [];
  const failedRuns: [string, string][] = [];
  const stepRows: SqlValue[][] = [];
  for (const { key, events, offset } of batches) {
    const latestRun = new Map<string, Extract<ParsedEvent, { known: 'run' }>>();
    const failed = new Set<string>();
    for (const e of events) {
      if (e.known === 'shift') {
        const s = e.payload.shift;
        await tx.run(
          `INSERT INTO shifts (station_id, shift_id, opened_at, opened_ms, closed_at, operators, last_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (station_id, shift_id) DO UPDATE SET opened_at = excluded.opened_at, opened_ms = excluded.opened_ms,
             closed_at = excluded.closed_at, operators = excluded.operators, last_seq = excluded.last_seq
           WHERE shifts.last_seq < excluded.last_seq`,
          [key, s.id, s.openedAt, parseMs(s.openedAt) + offset, s.closedAt, JSON.stringify(s.operators), e.seq],
        );
      } else if (e.known === 'unit') {
        const u = e.payload;
        await tx.run(
          `INSERT INTO unit_items (station_id, unit_id, serial, run_id, removed, last_seq) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (station_id, unit_id, serial) DO UPDATE SET run_id = coalesce(excluded.run_id, unit_items.run_id),
             removed = excluded.removed, last_seq = excluded.last_seq
           WHERE unit_items.last_seq < excluded.last_seq`,
          [key, u.unitId, u.serial, u.runId, u.packed ? 0 : 1, e.seq],
        );
      } else if (e.known === 'moved') {
        const m = e.payload;
        await tx.run(
          `INSERT INTO carryovers (station_id, run_id, from_shift, to_shift, state, at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (station_id, run_id, from_shift) DO NOTHING`,
          [key, m.runId, m.fromShift, m.toShift, m.state, m.at],
        );
        moves.push([m.toShift, m.operator, e.seq, key, m.runId]);
      } else if (e.known === 'run') {
        const run = e.payload.run;
        const prev = latestRun.get(run.id);
        if (!prev || prev.seq < e.seq) latestRun.set(run.id, e);
        const atMs = parseMs(e.payload.at) + offset;
        e.payload.events.forEach((ev, idx) => {
          const failure = isFailure(ev.kind);
          // ever_failed: the run is no first-pass device (shared/metrics.ts).
          if ((NOT_FIRST_PASS_EVENT_KINDS as readonly string[]).includes(ev.kind)) failed.add(run.id);
          stepRows.push([
            key,
            e.seq,
            idx,
            run.id,
            run.shiftId,
            ev.stepIndex,
            ev.step,
            ev.kind,
            ev.attempt,
            e.payload.at,
            atMs,
            ev.message,
            failure ? (run.errorCode ?? ev.message) : null,
            failure ? (retriedAutomatically(e.payload.events, idx) ? 1 : 0) : null,
          ]);
        });
        if (run.state === 'failed') failed.add(run.id);
      }
    }
    for (const e of latestRun.values()) {
      const r = e.payload.run;
      runRows.push([
        key,
        r.id,
        r.shiftId,
        r.serial,
        r.slot,
        r.operator,
        r.blueprint,
        r.blueprintVersion,
        r.blueprintHash ?? null,
        r.state,
        r.step,
        r.stepIndex,
        r.attempts,
        r.errorCode,
        r.errorMessage,
        r.failedStep,
        JSON.stringify(r.captured),
        r.startedAt,
        parseMs(r.startedAt) + offset,
        r.finishedAt,
        r.finishedAt === null ? null : parseMs(r.finishedAt) + offset,
        e.payload.at,
        parseMs(e.payload.at) + offset,
        0,
        e.seq,
        e.seq,
      ]);
    }
    for (const runId of failed) failedRuns.push([key, runId]);
  }
  for (let i = 0; i < runRows.length; i += 100) {
    await multiRow(
      tx,
      dialect,
      `INSERT INTO runs (station_id, run_id, shift_id, serial, slot, operator, blueprint, blueprint_version, blueprint_hash, state, step, step_index,
         attempts, error_code, error_message, failed_step, captured, started_at, started_ms, finished_at, finished_ms, updated_at, updated_ms,
         ever_failed, first_seq, last_seq) VALUES`,
      runRows.slice(i, i + 100),
      `ON CONFLICT (station_id, run_id) DO UPDATE SET shift_id = excluded.shift_id, serial = excluded.serial, slot = excluded.slot,
         operator = excluded.operator, blueprint = excluded.blueprint, blueprint_version = excluded.blueprint_version, blueprint_hash = excluded.blueprint_hash, state = excluded.state,
         step = excluded.step, step_index = excluded.step_index, attempts = excluded.attempts, error_code = excluded.error_code,
         error_message = excluded.error_message, failed_step = excluded.failed_step, captured = excluded.captured,
         started_at = excluded.started_at, started_ms = excluded.started_ms, finished_at = excluded.finished_at,
         finished_ms = excluded.finished_ms, updated_at = excluded.updated_at, updated_ms = excluded.updated_ms, last_seq = excluded.last_seq
       WHERE runs.last_seq < excluded.last_seq`,
    );
  }
  // A hand-over moves the run to its new shift unless a later transition already did.
  for (const m of moves) {
    await tx.run('UPDATE runs SET shift_id = $1, operator = coalesce($2, operator), last_seq = $3 WHERE station_id = $4 AND run_id = $5 AND last_seq < $3', m);
  }
  for (const [key, runId] of failedRuns) {
    await tx.run('UPDATE runs SET ever_failed = 1 WHERE station_id = $1 AND run_id = $2 AND ever_failed = 0', [key, runId]);
  }
  for (let i = 0; i < stepRows.length; i += 200) {
    await multiRow(
      tx,
      dialect,
      'INSERT INTO step_events (station_id, seq, idx, run_id, shift_id, step_index, step, kind, attempt, at, at_ms, message, reason, auto_retry) VALUES',
      stepRows.slice(i, i + 200),
      'ON CONFLICT (station_id, seq, idx) DO NOTHING',
    );
  }
}
