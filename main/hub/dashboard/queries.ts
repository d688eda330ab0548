import type { Dashboard, ParetoEntry, StationTile, Summary } from '../../../shared/contract/hub-api.js';
import { IN_PROGRESS_RUN_STATES, runStatesSql } from '../../../shared/contract/run-state.js';
import { devicesPerHour, finishedDevices, firstPassYield } from '../../../shared/metrics.js';
import { iso, localDate, num, parseMs, str } from '../db/rows.js';
import type { SqlDatabase, SqlValue } from '../db/sql.js';
import { deadLetterCounts } from '../ingest/dead-letters.js';
import { FAILURE_KINDS } from '../ingest/projections.js';
import { causeText } from './floor-figures.js';
import { stalledCounts } from './floor-queries.js';

/** Work in progress: runs without a result yet. */
const WIP_SQL = runStatesSql(IN_PROGRESS_RUN_STATES);
// First pass (shared/metrics.ts isFirstPass): done in one attempt, and ever_failed (set by the
// projections for any failure, retry or skip event) never set.
const FAILURE_KINDS_SQL = `(${FAILURE_KINDS.map((k) => `'${k}'`).join(', ')})`;

export interface DashboardData {
  perHour: { hours: string[]; series: { name: string; counts: number[] }[] };
  cumulative: { day: string; points: { at: string; done: number }[] };
  /** Runs that failed today, by step and reason (each run once per cause). */
  pareto: ParetoEntry[];
  /** Today's automatic retries by step and reason, apart from the failed runs. */
  paretoRetried: ParetoEntry[];
}

export interface LiveWindows {
  /** A station heard from within this window is online. */
  onlineWindowMs: number;
  /** A run unchanged for this long counts as stalled. */
  stallMs: number;
}

/** What the supervisor sees: station tiles, the day's totals, the charts and the orders. Reads only. */
export class DashboardQueries {
  constructor(private readonly db: SqlDatabase) {}

  /** Each station's current shift (the open one, else the last), with the counts the station shows. */
  async stationTiles(now: number, opts: LiveWindows): Promise<StationTile[]> {
    return this.db.read(async (q) => {
      const stations = await q.all('SELECT id, name, station_uuid, last_seen, ack_seq, backlog, clock_offset_ms FROM stations ORDER BY name');
      const shifts = await q.all(`SELECT station_id, shift_id, opened_at, opened_ms, closed_at, operators FROM (
          SELECT s.*, ROW_NUMBER() OVER (PARTITION BY station_id ORDER BY (CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END) DESC, opened_ms DESC) AS rn
          FROM shifts s) t WHERE rn = 1`);
      const current = new Map(shifts.map((s) => [String(s.station_id), s]));
      const missing = stations.filter((s) => !current.has(String(s.id)));
      const fallback = new Map<string, string>();
      if (missing.length > 0) {
        // Stations whose outbox predates shift records: their newest run names the shift.
        const rows = await q.all(`SELECT station_id, shift_id FROM (
            SELECT station_id, shift_id, ROW_NUMBER() OVER (PARTITION BY station_id ORDER BY first_seq DESC) AS rn FROM runs) t WHERE rn = 1`);
        for (const r of rows) fallback.set(String(r.station_id), String(r.shift_id));
      }
      const counts = await q.all(
        `SELECT r.station_id, r.shift_id, r.state, count(*) AS n,
           sum(CASE WHEN r.state = 'done' AND r.ever_failed = 0 AND r.attempts = 1 THEN 1 ELSE 0 END) AS first_pass
         FROM runs r
         JOIN (SELECT station_id, shift_id FROM (
                 SELECT station_id, shift_id, ROW_NUMBER() OVER (PARTITION BY station_id ORDER BY (CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END) DESC, opened_ms DESC) AS rn
                 FROM shifts) t WHERE rn = 1
               UNION ALL
               SELECT station_id, shift_id FROM (
                 SELECT station_id, shift_id, ROW_NUMBER() OVER (PARTITION BY station_id ORDER BY first_seq DESC) AS rn FROM runs) u
               WHERE rn = 1 AND NOT EXISTS (SELECT 1 FROM shifts s2 WHERE s2.station_id = u.station_id)) cur
           ON cur.station_id = r.station_id AND cur.shift_id = r.shift_id
         GROUP BY r.station_id, r.shift_id, r.state`,
      );
      const dead = await deadLetterCounts(q);
      const stalled = await stalledCounts(q, now - opts.stallMs);
      const byStation = new Map<string, { states: Record<string, number>; firstPass: number }>();
      for (const c of counts) {
        const k = String(c.station_id);
        const entry = byStation.get(k) ?? { states: {}, firstPass: 0 };
        entry.states[String(c.state)] = num(c.n);
        entry.firstPass += num(c.first_pass);
        byStation.set(k, entry);
      }
      return stations.map((s) => {
        const k = String(s.id);
        const shift = current.get(k);
        const c = byStation.get(k) ?? { states: {}, firstPass: 0 };
        const done = c.states.done ?? 0;
        const failed = c.states.failed ?? 0;
        const lastSeen = s.last_seen === null ? null : num(s.last_seen);
        const shiftOpen = shift ? shift.closed_at === null : false;
        const openedMs = shift ? num(shift.opened_ms) : null;
        const closedMs = shift?.closed_at ? parseMs(String(shift.closed_at)) + num(s.clock_offset_ms) : now;
        const perHour = openedMs === null ? 0 : devicesPerHour(done, openedMs, closedMs);
        return {
          stationId: str(s.station_uuid),
          name: String(s.name),
          online: lastSeen !== null && now - lastSeen <= opts.onlineWindowMs,
          lastSeen: lastSeen === null ? null : iso(lastSeen),
          shiftId: shift ? String(shift.shift_id) : (fallback.get(k) ?? null),
          wip: IN_PROGRESS_RUN_STATES.reduce((sum, st) => sum + (c.states[st] ?? 0), 0),
          done,
          failed,
          unitsPerHour: perHour,
          firstPassYield: firstPassYield(c.firstPass, finishedDevices(c.states)),
          devicesPerHour: perHour,
          shiftOpenedAt: shift ? String(shift.opened_at) : null,
          shiftOpen,
          operators: shift ? (JSON.parse(String(shift.operators)) as string[]) : [],
          cancelled: c.states.cancelled ?? 0,
          stalled: stalled.get(k) ?? 0,
          ackSeq: num(s.ack_seq),
          backlog: s.backlog === null ? null : num(s.backlog),
          clockOffsetMs: num(s.clock_offset_ms),
          deadLetters: dead.get(k) ?? 0,
        };
      });
    });
  }

  /** Totals over all stations: runs finished (done, failed, cancelled) and started between from and to. */
  async summary(fromMs: number, toMs: number, now: number, opts: LiveWindows): Promise<Summary> {
    return this.db.read(async (q) => {
      const fin = await q.get(
        `SELECT sum(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS done, sum(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed,
           sum(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
           sum(CASE WHEN state = 'done' AND ever_failed = 0 AND attempts = 1 THEN 1 ELSE 0 END) AS first_pass
         FROM runs WHERE finished_ms >= $1 AND finished_ms < $2`,
        [fromMs, toMs],
      );
      const started = await q.get('SELECT count(*) AS n FROM runs WHERE started_ms >= $1 AND started_ms < $2', [fromMs, toMs]);
      const wip = await q.get(`SELECT count(*) AS n FROM runs WHERE state IN ${WIP_SQL}`);
      const stalled = [...(await stalledCounts(q, now - opts.stallMs)).values()].reduce((a, b) => a + b, 0);
      const st = await q.get('SELECT count(*) AS n, sum(CASE WHEN last_seen >= $1 THEN 1 ELSE 0 END) AS online FROM stations', [now - opts.onlineWindowMs]);
      const dead = await q.get('SELECT count(*) AS n FROM dead_letters');
      const done = num(fin?.done);
      const failed = num(fin?.failed);
      const perHour = devicesPerHour(done, fromMs, Math.min(toMs, now));
      return {
        from: iso(fromMs),
        to: iso(toMs),
        stations: num(st?.n),
        online: num(st?.online),
        started: num(started?.n),
        done,
        failed,
        cancelled: num(fin?.cancelled),
        wip: num(wip?.n),
        stalled,
        firstPassYield: firstPassYield(num(fin?.first_pass), done + failed + num(fin?.cancelled)),
        unitsPerHour: perHour,
        devicesPerHour: perHour,
        deadLetters: num(dead?.n),
      };
    });
  }

  /**
   * The dashboard's charts: devices done per hour per station since the earliest open shift began
   * (at most 24 hours back), cumulative done since the day began, and today's failures by step and reason.
   */
  async charts(now: number, dayStartMs: number, tiles: readonly StationTile[]): Promise<DashboardData> {
    return this.db.read(async (q) => {
      const hour = 3_600_000;
      const opened = tiles.filter((t) => t.shiftOpen && t.shiftOpenedAt).map((t) => parseMs(t.shiftOpenedAt as string) + t.clockOffsetMs);
      let from = opened.length > 0 ? Math.min(...opened) : dayStartMs;
      from = Math.max(from, now - 24 * hour);
      from = Math.floor(from / hour) * hour;
      const nHours = Math.max(1, Math.ceil((now - from + 1) / hour));
      const perHourRows = await q.all(
        `SELECT s.name, (r.finished_ms - $1) / ${hour} AS bucket, count(*) AS n FROM runs r JOIN stations s ON s.id = r.station_id
         WHERE r.state = 'done' AND r.finished_ms >= $1 GROUP BY s.name, (r.finished_ms - $1) / ${hour}`,
        [from],
      );
      const series = new Map<string, number[]>(tiles.map((t) => [t.name, new Array<number>(nHours).fill(0)]));
      for (const r of perHourRows) {
        const b = Math.floor(num(r.bucket));
        const counts = series.get(String(r.name)) ?? new Array<number>(nHours).fill(0);
        if (b >= 0 && b < nHours) counts[b] = (counts[b] ?? 0) + num(r.n);
        series.set(String(r.name), counts);
      }
      const dayHours = Math.max(1, Math.ceil((now - dayStartMs + 1) / hour));
      const dayRows = await q.all(
        `SELECT (finished_ms - $1) / ${hour} AS bucket, count(*) AS n FROM runs WHERE state = 'done' AND finished_ms >= $1 GROUP BY (finished_ms - $1) / ${hour}`,
        [dayStartMs],
      );
      const perDayHour = new Array<number>(dayHours).fill(0);
      for (const r of dayRows) {
        const b = Math.floor(num(r.bucket));
        if (b >= 0 && b < dayHours) perDayHour[b] = (perDayHour[b] ?? 0) + num(r.n);
      }
      let total = 0;
      const points = [{ at: iso(dayStartMs), done: 0 }];
      perDayHour.forEach((n, i) => {
        total += n;
        points.push({ at: iso(Math.min(now, dayStartMs + (i + 1) * hour)), done: total });
      });
      // A run that failed counts once per step and reason, however often a person retried it into the same failure.
      const pareto = await q.all(
        `SELECT coalesce(step, '-') AS step, coalesce(reason, '-') AS reason, count(DISTINCT station_id || '|' || run_id) AS n FROM step_events
         WHERE kind IN ${FAILURE_KINDS_SQL} AND coalesce(auto_retry, 0) = 0 AND at_ms >= $1
         GROUP BY coalesce(step, '-'), coalesce(reason, '-') ORDER BY count(DISTINCT station_id || '|' || run_id) DESC, 1, 2 LIMIT 20`,
        [dayStartMs],
      );
      const retried = await q.all(
        `SELECT coalesce(step, '-') AS step, coalesce(reason, '-') AS reason, count(*) AS n FROM step_events
         WHERE kind IN ${FAILURE_KINDS_SQL} AND auto_retry = 1 AND at_ms >= $1
         GROUP BY coalesce(step, '-'), coalesce(reason, '-') ORDER BY count(*) DESC, 1, 2 LIMIT 20`,
        [dayStartMs],
      );
      return {
        perHour: {
          hours: Array.from({ length: nHours }, (_, i) => iso(from + i * hour)),
          series: [...series.entries()].map(([name, counts]) => ({ name, counts })),
        },
        cumulative: { day: iso(dayStartMs), points },
        pareto: pareto.map(paretoEntry),
        paretoRetried: retried.map(paretoEntry),
      };
    });
  }

  /**
   * Orders over all stations (expected: the largest any station expects, the rest added up), with
   * the rate of the last 24 hours and the day the order will be configured at that rate.
   */
  async orders(now: number): Promise<Dashboard['orders']> {
    return this.db.read(async (q) => {
      const rows = await q.all(
        `SELECT order_id, min(customer) AS customer, min(school) AS school, min(deadline) AS deadline, max(expected) AS expected,
           sum(received) AS received, sum(configured) AS configured, sum(packed) AS packed
         FROM order_progress GROUP BY order_id ORDER BY min(deadline), order_id`,
      );
      if (rows.length === 0) return [];
      const day = 86_400_000;
      const perDay = new Map<string, number>();
      for (const r of await q.all("SELECT captured FROM runs WHERE state = 'done' AND finished_ms >= $1", [now - day])) {
        try {
          const orderId = (JSON.parse(String(r.captured)) as { orderId?: unknown }).orderId;
          if (typeof orderId === 'string') perDay.set(orderId, (perDay.get(orderId) ?? 0) + 1);
        } catch {
          // captured is always JSON the station wrote; a broken one counts for nothing
        }
      }
      const today = localDate(now);
      return rows.map((r) => {
        const expected = num(r.expected);
        const configured = num(r.configured);
        const remaining = Math.max(0, expected - configured);
        const rate = perDay.get(String(r.order_id)) ?? 0;
        const deadline = String(r.deadline).slice(0, 10);
        const forecast = remaining === 0 ? today : rate > 0 ? localDate(now + (remaining / rate) * day) : null;
        return {
          orderId: String(r.order_id),
          customer: String(r.customer),
          school: String(r.school),
          deadline,
          expected,
          received: num(r.received),
          configured,
          packed: num(r.packed),
          perDay: rate,
          forecast,
          late: remaining > 0 && (forecast === null ? today > deadline : forecast > deadline),
        };
      });
    });
  }
}

function paretoEntry(row: Record<string, SqlValue>): ParetoEntry {
  const step = String(row.step);
  const reason = String(row.reason);
  const text = causeText(reason, step === '-' ? null : step);
  return { step, reason, count: num(row.n), ...(text ? { text } : {}) };
}
