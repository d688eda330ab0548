import type { StalledRun, StationShift, StationSlots, SlotRun } from '../../../shared/contract/hub-api.js';
import { OPEN_RUN_STATES, runStatesSql } from '../../../shared/contract/run-state.js';
import { compareSlotLabels } from '../../../shared/slot-label.js';
import { iso, num, str } from '../db/rows.js';
import type { SqlClient, SqlDatabase } from '../db/sql.js';
import { causeText } from './floor-figures.js';

/**
 * Runs the station still holds: in progress, or failed and waiting for a person (run-state.ts, one
 * taxonomy with the station). Any of them unmoved for the stall time is stuck: failed or waiting
 * for a person who does not come, or running, queued, interrupted with nothing happening.
 */
const OPEN_SQL = runStatesSql(OPEN_RUN_STATES);
/** The stalled list on the dashboard is for reading, not for paging: the longest-waiting ones. */
const STALLED_LIST_MAX = 100;

/**
 * Stalled runs ("Hängen fest"): every open run that has not moved for the stall time, failed ones
 * left untouched included, in whatever shift it began (a failed device left on the bench stays
 * failed across shifts, on the station as here).
 */
export async function stalledCounts(q: SqlClient, stalledBefore: number): Promise<Map<string, number>> {
  const rows = await q.all(`SELECT station_id, count(*) AS n FROM runs WHERE state IN ${OPEN_SQL} AND updated_ms < $1 GROUP BY station_id`, [stalledBefore]);
  return new Map(rows.map((r) => [String(r.station_id), num(r.n)]));
}

/** What the supervisor reads about a station and its runs beyond the tiles: stalled runs, a station's slots and its shifts. */
export class FloorQueries {
  constructor(private readonly db: SqlDatabase) {}

  /** The stalled runs of all stations, longest-waiting first, with station and slot. */
  async stalledRuns(now: number, opts: { stallMs: number; onlineWindowMs: number }): Promise<StalledRun[]> {
    return this.db.read(async (q) => {
      const rows = await q.all(
        `SELECT s.name, s.station_uuid, s.last_seen, r.run_id, r.slot, r.serial, r.state, r.step, r.failed_step, r.error_code, r.error_message,
           r.operator, r.updated_ms
         FROM runs r JOIN stations s ON s.id = r.station_id
         WHERE r.state IN ${OPEN_SQL} AND r.updated_ms < $1
         ORDER BY r.updated_ms, s.name, r.slot LIMIT ${STALLED_LIST_MAX}`,
        [now - opts.stallMs],
      );
      return rows.map((r) => {
        const step = str(r.failed_step) ?? str(r.step);
        const text = causeText(str(r.error_code), step);
        return {
          stationId: str(r.station_uuid),
          station: String(r.name),
          online: r.last_seen !== null && now - num(r.last_seen) <= opts.onlineWindowMs,
          slot: str(r.slot),
          serial: String(r.serial),
          runId: String(r.run_id),
          state: String(r.state),
          step,
          errorCode: str(r.error_code),
          errorMessage: str(r.error_message),
          ...(text ? { text } : {}),
          operator: str(r.operator),
          since: iso(num(r.updated_ms)),
        };
      });
    });
  }

  /**
   * A station's slots, read-only: per slot the newest run among those still open (in progress, or
   * failed and waiting for a person) and those of the station's current shift. Null for an unknown station.
   */
  async stationSlots(stationUuid: string, now: number, onlineWindowMs: number): Promise<StationSlots | null> {
    return this.db.read(async (q) => {
      const st = await q.get('SELECT id, name, last_seen FROM stations WHERE station_uuid = $1', [stationUuid]);
      if (!st) return null;
      const key = String(st.id);
      const shift = await q.get(
        `SELECT shift_id FROM shifts WHERE station_id = $1 ORDER BY (CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END) DESC, opened_ms DESC LIMIT 1`,
        [key],
      );
      const rows = await q.all(
        `SELECT r.run_id, r.slot, r.serial, r.state, r.step, r.step_index, r.attempts, r.error_code, r.error_message, r.failed_step, r.operator,
           r.shift_id, r.started_at, r.updated_ms, r.last_seq, r.captured, d.model
         FROM runs r LEFT JOIN devices d ON d.station_id = r.station_id AND d.serial = r.serial
         WHERE r.station_id = $1 AND (r.state IN ${OPEN_SQL} OR r.shift_id = $2)
         ORDER BY r.last_seq DESC`,
        [key, shift ? String(shift.shift_id) : null],
      );
      // Newest first: the first run seen for a slot (or, without a slot, for a serial) is the one in it now.
      const bySlot = new Map<string, SlotRun>();
      for (const r of rows) {
        const slot = str(r.slot);
        const k = slot ?? `serial:${String(r.serial)}`;
        if (bySlot.has(k)) continue;
        const step = str(r.failed_step) ?? str(r.step);
        const text = causeText(str(r.error_code), step);
        bySlot.set(k, {
          slot,
          runId: String(r.run_id),
          serial: String(r.serial),
          model: str(r.model),
          deviceName: capturedField(r.captured, 'deviceName'),
          state: String(r.state),
          step: str(r.step),
          stepIndex: num(r.step_index),
          attempts: num(r.attempts),
          errorCode: str(r.error_code),
          errorMessage: str(r.error_message),
          ...(text ? { text } : {}),
          failedStep: str(r.failed_step),
          operator: str(r.operator),
          shiftId: String(r.shift_id),
          startedAt: String(r.started_at),
          since: iso(num(r.updated_ms)),
        });
      }
      const lastSeen = st.last_seen === null ? null : num(st.last_seen);
      return {
        stationId: stationUuid,
        name: String(st.name),
        online: lastSeen !== null && now - lastSeen <= onlineWindowMs,
        lastSeen: lastSeen === null ? null : iso(lastSeen),
        serverTime: iso(now),
        slots: [...bySlot.values()].sort((a, b) => compareSlotLabels(a.slot, b.slot) || (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0)),
      };
    });
  }

  /** A station's shifts, newest first (at most `limit`), with their run counts: what can be exported. Null for an unknown station. */
  async stationShifts(stationUuid: string, limit = 30): Promise<StationShift[] | null> {
    return this.db.read(async (q) => {
      const st = await q.get('SELECT id FROM stations WHERE station_uuid = $1', [stationUuid]);
      if (!st) return null;
      const rows = await q.all(
        `SELECT s.shift_id, s.opened_at, s.closed_at, s.operators, (SELECT count(*) FROM runs r WHERE r.station_id = s.station_id AND r.shift_id = s.shift_id) AS runs
         FROM shifts s WHERE s.station_id = $1 ORDER BY s.opened_ms DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
        [String(st.id)],
      );
      return rows.map((r) => ({
        shiftId: String(r.shift_id),
        openedAt: String(r.opened_at),
        closedAt: str(r.closed_at),
        operators: JSON.parse(String(r.operators)) as string[],
        runs: num(r.runs),
      }));
    });
  }
}

function capturedField(captured: unknown, field: string): string | null {
  try {
    const value = (JSON.parse(String(captured)) as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : null;
  } catch {
    // captured is always JSON the station wrote; a broken one names nothing
    return null;
  }
}
