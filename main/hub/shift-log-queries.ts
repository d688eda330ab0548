import type { ShiftLogEventRow, ShiftLogRunRow } from '../store/shift-log-store.js';
import { num, str } from './db/rows.js';
import type { SqlDatabase } from './db/sql.js';

/** A station's shift as the hub holds it, in the shapes the station's export reads from its own store. */
export interface HubShiftLog {
  stationId: string;
  stationName: string;
  shift: { id: string; openedAt: string; closedAt: string | null; operators: string[] };
  carriedOut: { runId: string; serial: string; toShift: string; state: string }[];
  carriedIn: { runId: string; serial: string; fromShift: string; state: string }[];
  runs: ShiftLogRunRow[];
  events: ShiftLogEventRow[];
}

/** A station's shifts as the hub holds them: their counts and the log their export is written from. */
export class ShiftLogQueries {
  constructor(private readonly db: SqlDatabase) {}

  /** Run counts of one of a station's shifts, by state: what the station's own shift counts say. */
  async shiftCounts(stationUuid: string, shiftId: string): Promise<Record<string, number>> {
    return this.db.read(async (q) => {
      const rows = await q.all(
        'SELECT r.state, count(*) AS n FROM runs r JOIN stations s ON s.id = r.station_id WHERE s.station_uuid = $1 AND r.shift_id = $2 GROUP BY r.state',
        [stationUuid, shiftId],
      );
      return Object.fromEntries(rows.map((r) => [String(r.state), num(r.n)]));
    });
  }

  /**
   * A shift's runs (joined with the devices the station reported) and their step events, in the
   * station's own order, with the station's own times: what its shift export reads.
   */
  async shiftLog(stationUuid: string, shiftId: string): Promise<HubShiftLog | null> {
    return this.db.read(async (q) => {
      const st = await q.get('SELECT id, name, reported_name FROM stations WHERE station_uuid = $1', [stationUuid]);
      if (!st) return null;
      const key = String(st.id);
      const shift = await q.get('SELECT opened_at, closed_at, operators FROM shifts WHERE station_id = $1 AND shift_id = $2', [key, shiftId]);
      const runs = await q.all(
        `SELECT r.first_seq, r.run_id, r.shift_id, r.slot, r.serial, r.operator, r.state, r.attempts, r.failed_step, r.error_code, r.error_message,
           r.captured, r.started_at, r.finished_at, r.blueprint, r.blueprint_version, r.blueprint_hash, d.family, d.model, d.os_version,
           (SELECT min(u.unit_id) FROM unit_items u WHERE u.station_id = r.station_id AND u.run_id = r.run_id AND u.removed = 0) AS unit_id
         FROM runs r LEFT JOIN devices d ON d.station_id = r.station_id AND d.serial = r.serial
         WHERE r.station_id = $1 AND r.shift_id = $2 ORDER BY r.started_at, r.first_seq`,
        [key, shiftId],
      );
      if (!shift && runs.length === 0) return null;
      const events: ShiftLogEventRow[] = [];
      const ids = runs.map((r) => String(r.run_id));
      for (let i = 0; i < ids.length; i += 200) {
        const chunk = ids.slice(i, i + 200);
        const rows = await q.all(
          `SELECT seq, idx, run_id, step, kind, attempt, at, message FROM step_events WHERE station_id = $1 AND run_id IN (${chunk.map((_, j) => `$${j + 2}`).join(', ')})`,
          [key, ...chunk],
        );
        for (const e of rows) {
          events.push({
            id: num(e.seq) * 10_000 + num(e.idx),
            run_id: String(e.run_id),
            step: str(e.step),
            kind: String(e.kind),
            attempt: num(e.attempt),
            at: String(e.at),
            message: str(e.message),
          });
        }
      }
      events.sort((a, b) => a.id - b.id);
      const carried = (column: 'from_shift' | 'to_shift') =>
        q.all(
          `SELECT c.run_id, r.serial, c.from_shift, c.to_shift, c.state FROM carryovers c JOIN runs r ON r.station_id = c.station_id AND r.run_id = c.run_id
           WHERE c.station_id = $1 AND c.${column} = $2 ORDER BY c.at, r.serial`,
          [key, shiftId],
        );
      const carriedOut = (await carried('from_shift')).map((c) => ({
        runId: String(c.run_id),
        serial: String(c.serial),
        toShift: String(c.to_shift),
        state: String(c.state),
      }));
      const carriedIn = (await carried('to_shift')).map((c) => ({
        runId: String(c.run_id),
        serial: String(c.serial),
        fromShift: String(c.from_shift),
        state: String(c.state),
      }));
      return {
        stationId: stationUuid,
        stationName: str(st.reported_name) ?? String(st.name),
        shift: {
          id: shiftId,
          openedAt: shift ? String(shift.opened_at) : String(runs[0]?.started_at),
          closedAt: shift ? str(shift.closed_at) : null,
          operators: shift ? (JSON.parse(String(shift.operators)) as string[]) : [],
        },
        carriedOut,
        carriedIn,
        runs: runs.map((r, i) => ({
          rowid: i + 1,
          id: String(r.run_id),
          shift_id: String(r.shift_id),
          slot: str(r.slot),
          serial: String(r.serial),
          operator: str(r.operator),
          state: String(r.state),
          attempts_total: num(r.attempts),
          failed_step: str(r.failed_step),
          error_code: str(r.error_code),
          error_message: str(r.error_message),
          captured: String(r.captured),
          started_at: String(r.started_at),
          finished_at: str(r.finished_at),
          blueprint: String(r.blueprint),
          blueprint_version: num(r.blueprint_version),
          blueprint_hash: r.blueprint_hash === null || r.blueprint_hash === undefined ? null : String(r.blueprint_hash),
          family: str(r.family),
          model: str(r.model),
          os_version: str(r.os_version),
          unit_id: str(r.unit_id),
        })),
        events,
      };
    });
  }

  /** Number of events stored for a station (tests and the bench compare it with the station's outbox). */
  async eventCount(stationUuid: string): Promise<number> {
    return this.db.read(async (q) => {
      const row = await q.get('SELECT count(*) AS n FROM events e JOIN stations s ON s.id = e.station_id WHERE s.station_uuid = $1', [stationUuid]);
      return num(row?.n);
    });
  }
}
