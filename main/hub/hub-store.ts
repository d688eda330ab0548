import crypto from 'node:crypto';
import path from 'node:path';
import {
  runMovedPayloadSchema,
  unitItemPayloadSchema,
  runTransitionPayloadSchema,
  shiftPayloadSchema,
  SHIFT_EVENT_TYPES,
  type Dashboard,
  type IngestBody,
  type RunMovedPayload,
  type UnitItemPayload,
  type RunTransitionPayload,
  type ShiftPayload,
  type StationTile,
  type Summary,
  type UserRole,
} from '../../shared/contract/hub-api.js';
import type { ShiftLogEventRow, ShiftLogRunRow } from '../store/shift-log-store.js';
import { burnPasswordCheck, hashPassword, newToken, tokenHash, verifyPassword } from './credentials.js';
import { migrateHub } from './db/migrations.js';
import { openPostgres, openSqlite, type Dialect, type SqlClient, type SqlDatabase, type SqlValue } from './db/sql.js';
import { HubError } from './hub-errors.js';

/** Runs that still need the device or the technician (the station's "in progress"). */
export const WIP_STATES = ['queued', 'running', 'waiting', 'interrupted'] as const;
const WIP_SQL = `('queued', 'running', 'waiting', 'interrupted')`;
/** Failure events the Pareto counts: a step that failed or ran out of time. */
const FAILURE_KINDS_SQL = `('fail', 'timeout')`;

export const SESSION_HOURS = 12;

export interface IngestResult {
  ackSeq: number;
  /** The hub's id of the station that sent. */
  stationKey: string;
  stationName: string;
  stored: number;
  duplicates: number;
  /** Set when the station reports acknowledged events this database never had. */
  warning: string | null;
}

interface PendingIngest {
  hash: string;
  body: IngestBody;
  events: ParsedEvent[];
  offset: number | null;
  now: number;
  resolve: (r: IngestResult) => void;
  reject: (err: unknown) => void;
}

/** A batch of a group that passed the token checks, with what writing it found out. */
interface Accepted {
  item: PendingIngest;
  key: string;
  name: string;
  createdAt: number;
  ack: number;
  maxSeq: number;
  offset: number;
  warning: string | null;
  fresh: ParsedEvent[];
}

/**
 * Runs `head`, one ($n, ...) per row, then `tail`: on PostgreSQL one multi-row statement (one round
 * trip); on SQLite, which has no round trips, one cached single-row statement per row (a statement
 * text that changes with the row count would be compiled again every time).
 */
async function multiRow(tx: SqlClient, dialect: Dialect, head: string, rows: readonly (readonly SqlValue[])[], tail: string): Promise<Record<string, SqlValue>[]> {
  if (rows.length === 0) return [];
  if (dialect === 'sqlite') {
    const first = rows[0]!;
    const sql = `${head} (${first.map((_, j) => `$${j + 1}`).join(', ')}) ${tail}`;
    const out: Record<string, SqlValue>[] = [];
    for (const row of rows) out.push(...(await tx.all(sql, row)));
    return out;
  }
  const params: SqlValue[] = [];
  const values = rows.map((row) => {
    const b = params.length;
    params.push(...row);
    return `(${row.map((_, j) => `$${b + j + 1}`).join(', ')})`;
  });
  return tx.all(`${head} ${values.join(', ')} ${tail}`, params);
}

/** Projections need only the station's hub id and the events that were newly stored. */
type ParsedEvent =
  | { seq: number; kind: string; at: string; raw: string; known: 'run'; payload: RunTransitionPayload }
  | { seq: number; kind: string; at: string; raw: string; known: 'shift'; payload: ShiftPayload }
  | { seq: number; kind: string; at: string; raw: string; known: 'moved'; payload: RunMovedPayload }
  | { seq: number; kind: string; at: string; raw: string; known: 'unit'; payload: UnitItemPayload }
  | { seq: number; kind: string; at: string; raw: string; known: null };

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

export interface DashboardData {
  perHour: { hours: string[]; series: { name: string; counts: number[] }[] };
  cumulative: { day: string; points: { at: string; done: number }[] };
  pareto: { step: string; reason: string; count: number }[];
}

export interface HubStoreOptions {
  /** postgres://... or nothing for SQLite in dataDir/hub.db */
  db?: string | undefined;
  dataDir: string;
  /** Connections per hub instance (PostgreSQL). */
  poolSize?: number;
}

/** Something that tells every hub instance a station's numbers changed. */
export type ChangeListener = (stationKey: string) => void;

function parseMs(iso: string): number {
  return Date.parse(iso);
}

function num(v: SqlValue | undefined): number {
  return v === null || v === undefined ? 0 : Number(v);
}

function str(v: SqlValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** YYYY-MM-DD in the hub's time zone. */
function localDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Devices per hour the way the station computes it: short shifts count as at least 15 minutes. */
export function unitsPerHour(done: number, fromMs: number, toMs: number): number {
  const hours = Math.max(0.25, (toMs - fromMs) / 3_600_000);
  return Math.round((done / hours) * 10) / 10;
}

/** Share of finished runs (done or failed) that were done without a single failed try. */
export function firstPassYield(firstPass: number, done: number, failed: number): number | null {
  const finished = done + failed;
  return finished === 0 ? null : Math.round((firstPass / finished) * 1000) / 1000;
}

/**
 * The hub's database: stations and their tokens, supervisors and sessions, the event stream every
 * station sent, and the projections the dashboard reads. One implementation for SQLite and
 * PostgreSQL; every write is one transaction.
 */
export class HubStore {
  private readonly listeners = new Set<ChangeListener>();

  private constructor(readonly db: SqlDatabase) {}

  static async open(opts: HubStoreOptions): Promise<HubStore> {
    const db = opts.db ? openPostgres(opts.db, opts.poolSize) : openSqlite(path.join(opts.dataDir, 'hub.db'));
    try {
      await migrateHub(db);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    return new HubStore(db);
  }

  static async fromDatabase(db: SqlDatabase): Promise<HubStore> {
    await migrateHub(db);
    return new HubStore(db);
  }

  get dialect(): SqlDatabase['dialect'] {
    return this.db.dialect;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Called after a commit that changed a station's numbers (this instance only; see LiveFeed for the others). */
  onCommitted(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- settings -----------------------------------------------------------------------------

  async getSetting(key: string): Promise<string | null> {
    return str((await this.db.get('SELECT value FROM settings WHERE key = $1', [key]))?.value);
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (value === null) await tx.run('DELETE FROM settings WHERE key = $1', [key]);
      else await tx.run('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    });
  }

  async dailyTarget(): Promise<number | null> {
    const v = await this.getSetting('daily_target');
    return v === null ? null : Number(v);
  }

  // ---- stations -----------------------------------------------------------------------------

  /**
   * Registers a station and answers its token, which is shown once and stored only as a hash.
   * With rotate, an existing station gets a new token and its old one stops working.
   */
  async registerStation(name: string, opts: { rotate?: boolean; now?: number } = {}): Promise<{ id: string; token: string; rotated: boolean }> {
    const clean = name.trim();
    if (!/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u.test(clean)) {
      throw new HubError('bad_request', `Station name "${name}" is not usable: 1-64 letters, digits, spaces, dots, dashes or underscores.`);
    }
    const token = newToken('bls');
    const now = opts.now ?? Date.now();
    return this.db.transaction(async (tx) => {
      const existing = await tx.get('SELECT id FROM stations WHERE name = $1', [clean]);
      if (existing) {
        if (!opts.rotate) throw new HubError('conflict', `Station "${clean}" is already registered. To issue it a new token, add --new-token (its old token stops working).`);
        await tx.run('UPDATE stations SET token_hash = $1 WHERE id = $2', [tokenHash(token), String(existing.id)]);
        return { id: String(existing.id), token, rotated: true };
      }
      const id = crypto.randomUUID();
      await tx.run('INSERT INTO stations (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)', [id, clean, tokenHash(token), now]);
      return { id, token, rotated: false };
    });
  }

  /** Hub id of the station a station's own id is bound to. */
  async stationKeyOf(stationUuid: string): Promise<{ key: string; name: string } | null> {
    const row = await this.db.get('SELECT id, name FROM stations WHERE station_uuid = $1', [stationUuid]);
    return row ? { key: String(row.id), name: String(row.name) } : null;
  }

  // ---- ingest -------------------------------------------------------------------------------

  /** Validates every event before anything is written: a bad batch changes nothing. */
  private parseEvents(body: IngestBody): ParsedEvent[] {
    const seen = new Set<number>();
    return body.events.map((e, i) => {
      if (seen.has(e.seq)) throw new HubError('bad_request', `events[${i}]: seq ${e.seq} appears twice in this batch.`);
      seen.add(e.seq);
      const raw = JSON.stringify(e.payload);
      const claimed = e.payload.stationId;
      if (claimed !== undefined && claimed !== body.stationId) {
        throw new HubError('forbidden', `events[${i}] (seq ${e.seq}) belongs to station ${String(claimed)}, not to ${body.stationId} that sent it. Nothing was stored.`);
      }
      if (e.kind === 'run.transition') {
        const parsed = runTransitionPayloadSchema.safeParse(e.payload);
        if (!parsed.success) throw new HubError('bad_request', `events[${i}] (seq ${e.seq}, run.transition): ${issues(parsed.error.issues)}`);
        return { seq: e.seq, kind: e.kind, at: e.at, raw, known: 'run' as const, payload: parsed.data };
      }
      if (e.kind === 'unit.item') {
        const parsed = unitItemPayloadSchema.safeParse(e.payload);
        if (!parsed.success) throw new HubError('bad_request', `events[${i}] (seq ${e.seq}, unit.item): ${issues(parsed.error.issues)}`);
        return { seq: e.seq, kind: e.kind, at: e.at, raw, known: 'unit' as const, payload: parsed.data };
      }
      if (e.kind === 'run.moved') {
        const parsed = runMovedPayloadSchema.safeParse(e.payload);
        if (!parsed.success) throw new HubError('bad_request', `events[${i}] (seq ${e.seq}, run.moved): ${issues(parsed.error.issues)}`);
        return { seq: e.seq, kind: e.kind, at: e.at, raw, known: 'moved' as const, payload: parsed.data };
      }
      if ((SHIFT_EVENT_TYPES as readonly string[]).includes(e.kind)) {
        const parsed = shiftPayloadSchema.safeParse(e.payload);
        if (!parsed.success) throw new HubError('bad_request', `events[${i}] (seq ${e.seq}, ${e.kind}): ${issues(parsed.error.issues)}`);
        return { seq: e.seq, kind: e.kind, at: e.at, raw, known: 'shift' as const, payload: parsed.data };
      }
      return { seq: e.seq, kind: e.kind, at: e.at, raw, known: null };
    });
  }

  /**
   * Stores a station's batch idempotently by (station, seq) and answers the highest seq stored
   * without a gap. Replays and overlaps are ignored; events after a gap are kept and counted once
   * the gap is filled (projections are guarded by seq, so order does not matter).
   *
   * Batches that arrive together are written together: one transaction and a handful of
   * multi-row statements for a whole group of stations, so hundreds of stations reporting every
   * second cost a few dozen transactions a second. A station is never in two groups at once.
   */
  ingest(token: string | undefined, body: IngestBody, now = Date.now()): Promise<IngestResult> {
    if (!token) {
      return Promise.reject(new HubError('unauthorized', 'Missing station token: send "Authorization: Bearer <token from benchline hub register-station>".'));
    }
    let events: ParsedEvent[];
    try {
      events = this.parseEvents(body);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise<IngestResult>((resolve, reject) => {
      this.pending.push({ hash: tokenHash(token), body, events, offset: body.sentAt ? now - parseMs(body.sentAt) : null, now, resolve, reject });
      this.pump();
    });
  }

  private readonly pending: PendingIngest[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private pumpScheduled = false;

  /** Starts groups of waiting batches, as many as may run at once (one on SQLite, a few on PostgreSQL). */
  private pump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      const maxGroups = this.db.dialect === 'postgres' ? 4 : 1;
      while (this.inFlight < maxGroups && this.pending.length > 0) {
        const group: PendingIngest[] = [];
        const inGroup = new Set<string>();
        for (let i = 0; i < this.pending.length && group.length < 200; ) {
          const item = this.pending[i]!;
          if (this.busy.has(item.hash) || inGroup.has(item.hash)) {
            i += 1;
            continue;
          }
          inGroup.add(item.hash);
          group.push(item);
          this.pending.splice(i, 1);
        }
        if (group.length === 0) return;
        for (const h of inGroup) this.busy.add(h);
        this.inFlight += 1;
        void this.ingestGroup(group).finally(() => {
          for (const h of inGroup) this.busy.delete(h);
          this.inFlight -= 1;
          if (this.pending.length > 0) this.pump();
        });
      }
    });
  }

  private async ingestGroup(group: PendingIngest[]): Promise<void> {
    const outcome = new Map<PendingIngest, IngestResult | Error>();
    try {
      await this.db.transaction(async (tx) => {
        outcome.clear();
        await this.writeGroup(tx, group, outcome);
      });
    } catch (err) {
      for (const item of group) item.reject(err);
      return;
    }
    for (const item of group) {
      const o = outcome.get(item);
      if (o instanceof Error || o === undefined) {
        item.reject(o ?? new Error('ingest: no outcome'));
      } else {
        item.resolve(o);
        for (const l of this.listeners) l(o.stationKey);
      }
    }
  }

  private async writeGroup(tx: SqlClient, group: PendingIngest[], outcome: Map<PendingIngest, IngestResult | Error>): Promise<void> {
    const hashes = [...new Set(group.map((g) => g.hash))];
    const columns = 'id, name, token_hash, station_uuid, ack_seq, max_seq, clock_offset_ms, created_at';
    const rows =
      this.db.dialect === 'postgres'
        ? await tx.all(`SELECT ${columns} FROM stations WHERE token_hash = ANY($1::text[]) FOR UPDATE`, [hashes])
        : (await Promise.all(hashes.map((h) => tx.get(`SELECT ${columns} FROM stations WHERE token_hash = $1`, [h])))).filter((r) => r !== undefined);
    const byHash = new Map(rows.map((r) => [String(r.token_hash), r]));
    const accepted: Accepted[] = [];
    for (const item of group) {
      const st = byHash.get(item.hash);
      if (!st) {
        outcome.set(item, new HubError('unauthorized', 'Unknown station token: register the station with "benchline hub register-station NAME" and start it with the token printed there.'));
        continue;
      }
      const key = String(st.id);
      const name = String(st.name);
      const uuid = item.body.stationId;
      if (st.station_uuid === null) {
        const other = await tx.get('SELECT name FROM stations WHERE station_uuid = $1', [uuid]);
        if (other) {
          outcome.set(item, new HubError('conflict', `Station ${uuid} already reports as "${String(other.name)}"; it cannot also use the token of "${name}".`));
          continue;
        }
        await tx.run('UPDATE stations SET station_uuid = $1 WHERE id = $2', [uuid, key]);
      } else if (st.station_uuid !== uuid) {
        outcome.set(
          item,
          new HubError('forbidden', `This token belongs to station "${name}" (${String(st.station_uuid)}), but station ${uuid} sent with it. Register each station with its own token.`),
        );
        continue;
      }
      let ack = num(st.ack_seq);
      let warning: string | null = null;
      const acked = item.body.acked;
      if (acked !== undefined && acked > ack) {
        warning = `Station "${name}" had events up to seq ${acked} acknowledged before, but this hub holds them only up to ${ack}; seq ${ack + 1}..${acked} are not in this hub's database and cannot be sent again.`;
        ack = acked;
      }
      accepted.push({ item, key, name, createdAt: num(st.created_at), ack, maxSeq: num(st.max_seq), offset: item.offset ?? num(st.clock_offset_ms), warning, fresh: [] });
    }
    if (accepted.length === 0) return;

    // Events, once: what the insert returns is what was new.
    const candidates = accepted.flatMap((a) => a.item.events.filter((e) => e.seq > a.ack).map((e) => ({ a, e })));
    const stored = new Set<string>();
    for (let i = 0; i < candidates.length; i += 200) {
      const chunk = candidates.slice(i, i + 200);
      const inserted = await multiRow(
        tx,
        this.db.dialect,
        'INSERT INTO events (station_id, seq, kind, at, received_at, payload) VALUES',
        chunk.map(({ a, e }) => [a.key, e.seq, e.kind, e.at, a.item.now, e.raw]),
        'ON CONFLICT (station_id, seq) DO NOTHING RETURNING station_id, seq',
      );
      for (const r of inserted) stored.add(`${String(r.station_id)}|${num(r.seq)}`);
    }
    for (const { a, e } of candidates) if (stored.has(`${a.key}|${e.seq}`)) a.fresh.push(e);
    await this.project(
      tx,
      accepted.map((a) => ({ key: a.key, events: a.fresh, offset: a.offset })),
    );

    for (const a of accepted) {
      const seqs = a.fresh.map((e) => e.seq).sort((x, y) => x - y);
      const contiguous = a.maxSeq <= a.ack && seqs.every((seq, i) => seq === a.ack + i + 1);
      a.maxSeq = Math.max(a.maxSeq, seqs.at(-1) ?? 0);
      // Nothing was stored beyond the old ack but this contiguous run: no need to look.
      a.ack = contiguous ? a.ack + seqs.length : await this.advanceAck(tx, a.key, a.ack);
    }

    const devices = new Map<string, SqlValue[]>();
    for (const a of accepted) for (const d of a.item.body.devices ?? []) devices.set(`${a.key}|${d.serial}`, [a.key, d.serial, d.family, d.model, d.osVersion]);
    const deviceRows = [...devices.values()];
    for (let i = 0; i < deviceRows.length; i += 200) {
      await multiRow(
        tx,
        this.db.dialect,
        'INSERT INTO devices (station_id, serial, family, model, os_version) VALUES',
        deviceRows.slice(i, i + 200),
        'ON CONFLICT (station_id, serial) DO UPDATE SET family = excluded.family, model = excluded.model, os_version = excluded.os_version',
      );
    }

    for (const a of accepted) {
      const orders = a.item.body.orders;
      if (orders === undefined) continue;
      // A snapshot replaces the station's previous one: orders it no longer has disappear.
      await tx.run('DELETE FROM order_progress WHERE station_id = $1', [a.key]);
      for (let i = 0; i < orders.length; i += 200) {
        await multiRow(
          tx,
          this.db.dialect,
          'INSERT INTO order_progress (station_id, order_id, customer, school, blueprint, deadline, expected, received, configured, packed, updated_at) VALUES',
          orders.slice(i, i + 200).map((o) => [a.key, o.id, o.customer, o.school, o.blueprint, o.deadline, o.expected, o.received, o.configured, o.packed, a.item.now]),
          '',
        );
      }
    }

    // Every station's new state in one statement (the rows exist, so the upsert only updates). On
    // PostgreSQL it also tells every hub instance, delivered at commit.
    const notify = this.db.dialect === 'postgres' ? `, pg_notify('${HUB_CHANNEL}', id)` : '';
    for (let i = 0; i < accepted.length; i += 200) {
      await multiRow(
        tx,
        this.db.dialect,
        'INSERT INTO stations (id, name, token_hash, created_at, last_seen, ack_seq, max_seq, clock_offset_ms, backlog, version, reported_name) VALUES',
        accepted
          .slice(i, i + 200)
          .map((a) => [a.key, a.name, a.item.hash, a.createdAt, a.item.now, a.ack, a.maxSeq, a.offset, a.item.body.backlog ?? null, a.item.body.version ?? null, a.item.body.name ?? null]),
        `ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, ack_seq = excluded.ack_seq, max_seq = excluded.max_seq,
           clock_offset_ms = excluded.clock_offset_ms, backlog = excluded.backlog, version = coalesce(excluded.version, stations.version),
           reported_name = coalesce(excluded.reported_name, stations.reported_name)
         RETURNING id${notify}`,
      );
    }
    for (const a of accepted) {
      outcome.set(a.item, { ackSeq: a.ack, stationKey: a.key, stationName: a.name, stored: a.fresh.length, duplicates: a.item.events.length - a.fresh.length, warning: a.warning });
    }
  }

  /** The highest seq from `from` on with no gap below it. */
  private async advanceAck(tx: SqlClient, key: string, from: number): Promise<number> {
    let ack = from;
    for (;;) {
      const rows = await tx.all<{ seq: number }>('SELECT seq FROM events WHERE station_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000', [key, ack]);
      let advanced = 0;
      for (const r of rows) {
        if (Number(r.seq) !== ack + 1) return ack;
        ack += 1;
        advanced += 1;
      }
      if (advanced < 1000) return ack;
    }
  }

  /** Applies newly stored events to the projections; station times are moved onto the hub's clock. */
  private async project(tx: SqlClient, batches: { key: string; events: ParsedEvent[]; offset: number }[]): Promise<void> {
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
            const failure = ev.kind === 'fail' || ev.kind === 'timeout';
            if (failure) failed.add(run.id);
            stepRows.push([key, e.seq, idx, run.id, run.shiftId, ev.stepIndex, ev.step, ev.kind, ev.attempt, e.payload.at, atMs, ev.message, failure ? (run.errorCode ?? ev.message) : null]);
          });
          if (run.state === 'failed') failed.add(run.id);
        }
      }
      for (const e of latestRun.values()) {
        const r = e.payload.run;
        runRows.push([
          key, r.id, r.shiftId, r.serial, r.slot, r.operator, r.blueprint, r.blueprintVersion, r.state, r.step, r.stepIndex,
          r.attempts, r.errorCode, r.errorMessage, r.failedStep, JSON.stringify(r.captured), r.startedAt, parseMs(r.startedAt) + offset,
          r.finishedAt, r.finishedAt === null ? null : parseMs(r.finishedAt) + offset, e.payload.at, parseMs(e.payload.at) + offset, 0, e.seq, e.seq,
        ]);
      }
      for (const runId of failed) failedRuns.push([key, runId]);
    }
    for (let i = 0; i < runRows.length; i += 100) {
      await multiRow(
        tx,
        this.db.dialect,
        `INSERT INTO runs (station_id, run_id, shift_id, serial, slot, operator, blueprint, blueprint_version, state, step, step_index,
           attempts, error_code, error_message, failed_step, captured, started_at, started_ms, finished_at, finished_ms, updated_at, updated_ms,
           ever_failed, first_seq, last_seq) VALUES`,
        runRows.slice(i, i + 100),
        `ON CONFLICT (station_id, run_id) DO UPDATE SET shift_id = excluded.shift_id, serial = excluded.serial, slot = excluded.slot,
           operator = excluded.operator, blueprint = excluded.blueprint, blueprint_version = excluded.blueprint_version, state = excluded.state,
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
        this.db.dialect,
        'INSERT INTO step_events (station_id, seq, idx, run_id, shift_id, step_index, step, kind, attempt, at, at_ms, message, reason) VALUES',
        stepRows.slice(i, i + 200),
        'ON CONFLICT (station_id, seq, idx) DO NOTHING',
      );
    }
  }

  // ---- users and sessions -------------------------------------------------------------------

  /** Adds a supervisor or admin, or sets the password and role of an existing one. */
  async upsertUser(username: string, password: string, role: UserRole, now = Date.now()): Promise<'added' | 'updated'> {
    const hash = await hashPassword(password);
    return this.db.transaction(async (tx) => {
      const existing = await tx.get('SELECT username FROM users WHERE username = $1', [username]);
      if (existing) {
        await tx.run('UPDATE users SET password_hash = $1, role = $2 WHERE username = $3', [hash, role, username]);
        await tx.run('DELETE FROM sessions WHERE username = $1', [username]);
        return 'updated' as const;
      }
      await tx.run('INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)', [username, hash, role, now]);
      return 'added' as const;
    });
  }

  /** A new session for a correct name and password; null otherwise (the caller does not learn which was wrong). */
  async login(username: string, password: string, now = Date.now()): Promise<{ token: string; role: UserRole; expiresAt: number } | null> {
    const user = await this.db.get('SELECT password_hash, role FROM users WHERE username = $1', [username]);
    if (!user) {
      await burnPasswordCheck(password);
      return null;
    }
    if (!(await verifyPassword(String(user.password_hash), password))) return null;
    const token = newToken('blu');
    const expiresAt = now + SESSION_HOURS * 3_600_000;
    await this.db.transaction(async (tx) => {
      await tx.run('DELETE FROM sessions WHERE expires_at < $1', [now]);
      await tx.run('INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES ($1, $2, $3, $4)', [tokenHash(token), username, now, expiresAt]);
    });
    return { token, role: user.role as UserRole, expiresAt };
  }

  async session(token: string | undefined, now = Date.now()): Promise<{ username: string; role: UserRole } | null> {
    if (!token) return null;
    const row = await this.db.get(
      'SELECT u.username, u.role FROM sessions s JOIN users u ON u.username = s.username WHERE s.token_hash = $1 AND s.expires_at > $2',
      [tokenHash(token), now],
    );
    return row ? { username: String(row.username), role: row.role as UserRole } : null;
  }

  async logout(token: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE token_hash = $1', [tokenHash(token)]);
  }

  // ---- supervisor views ---------------------------------------------------------------------

  /** Each station's current shift (the open one, else the last), with the counts the station shows. */
  async stationTiles(now: number, opts: { onlineWindowMs: number; stallMs: number }): Promise<StationTile[]> {
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
           sum(CASE WHEN r.state = 'done' AND r.ever_failed = 0 THEN 1 ELSE 0 END) AS first_pass,
           sum(CASE WHEN r.state IN ${WIP_SQL} AND r.updated_ms < $1 THEN 1 ELSE 0 END) AS stalled
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
        [now - opts.stallMs],
      );
      const byStation = new Map<string, { states: Record<string, number>; firstPass: number; stalled: number }>();
      for (const c of counts) {
        const k = String(c.station_id);
        const entry = byStation.get(k) ?? { states: {}, firstPass: 0, stalled: 0 };
        entry.states[String(c.state)] = num(c.n);
        entry.firstPass += num(c.first_pass);
        entry.stalled += num(c.stalled);
        byStation.set(k, entry);
      }
      return stations.map((s) => {
        const k = String(s.id);
        const shift = current.get(k);
        const c = byStation.get(k) ?? { states: {}, firstPass: 0, stalled: 0 };
        const done = c.states.done ?? 0;
        const failed = c.states.failed ?? 0;
        const lastSeen = s.last_seen === null ? null : num(s.last_seen);
        const shiftOpen = shift ? shift.closed_at === null : false;
        const openedMs = shift ? num(shift.opened_ms) : null;
        const closedMs = shift?.closed_at ? parseMs(String(shift.closed_at)) + num(s.clock_offset_ms) : now;
        return {
          stationId: str(s.station_uuid),
          name: String(s.name),
          online: lastSeen !== null && now - lastSeen <= opts.onlineWindowMs,
          lastSeen: lastSeen === null ? null : iso(lastSeen),
          shiftId: shift ? String(shift.shift_id) : (fallback.get(k) ?? null),
          wip: WIP_STATES.reduce((sum, st) => sum + (c.states[st] ?? 0), 0),
          done,
          failed,
          unitsPerHour: openedMs === null ? 0 : unitsPerHour(done, openedMs, closedMs),
          firstPassYield: firstPassYield(c.firstPass, done, failed),
          shiftOpenedAt: shift ? String(shift.opened_at) : null,
          shiftOpen,
          operators: shift ? (JSON.parse(String(shift.operators)) as string[]) : [],
          cancelled: c.states.cancelled ?? 0,
          stalled: c.stalled,
          ackSeq: num(s.ack_seq),
          backlog: s.backlog === null ? null : num(s.backlog),
          clockOffsetMs: num(s.clock_offset_ms),
        };
      });
    });
  }

  /** Totals over all stations: runs finished (done, failed, cancelled) and started between from and to. */
  async summary(fromMs: number, toMs: number, now: number, opts: { onlineWindowMs: number; stallMs: number }): Promise<Summary> {
    return this.db.read(async (q) => {
      const fin = await q.get(
        `SELECT sum(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS done, sum(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed,
           sum(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
           sum(CASE WHEN state = 'done' AND ever_failed = 0 THEN 1 ELSE 0 END) AS first_pass
         FROM runs WHERE finished_ms >= $1 AND finished_ms < $2`,
        [fromMs, toMs],
      );
      const started = await q.get('SELECT count(*) AS n FROM runs WHERE started_ms >= $1 AND started_ms < $2', [fromMs, toMs]);
      const wip = await q.get(
        `SELECT count(*) AS n, sum(CASE WHEN updated_ms < $1 THEN 1 ELSE 0 END) AS stalled FROM runs WHERE state IN ${WIP_SQL}`,
        [now - opts.stallMs],
      );
      const st = await q.get('SELECT count(*) AS n, sum(CASE WHEN last_seen >= $1 THEN 1 ELSE 0 END) AS online FROM stations', [now - opts.onlineWindowMs]);
      const done = num(fin?.done);
      const failed = num(fin?.failed);
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
        stalled: num(wip?.stalled),
        firstPassYield: firstPassYield(num(fin?.first_pass), done, failed),
        unitsPerHour: unitsPerHour(done, fromMs, Math.min(toMs, now)),
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
      const pareto = await q.all(
        `SELECT coalesce(step, '-') AS step, coalesce(reason, '-') AS reason, count(*) AS n FROM step_events
         WHERE kind IN ${FAILURE_KINDS_SQL} AND at_ms >= $1 GROUP BY coalesce(step, '-'), coalesce(reason, '-') ORDER BY count(*) DESC, 1, 2 LIMIT 20`,
        [dayStartMs],
      );
      return {
        perHour: {
          hours: Array.from({ length: nHours }, (_, i) => iso(from + i * hour)),
          series: [...series.entries()].map(([name, counts]) => ({ name, counts })),
        },
        cumulative: { day: iso(dayStartMs), points },
        pareto: pareto.map((p) => ({ step: String(p.step), reason: String(p.reason), count: num(p.n) })),
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
           r.captured, r.started_at, r.finished_at, r.blueprint, r.blueprint_version, d.family, d.model, d.os_version,
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
          events.push({ id: num(e.seq) * 10_000 + num(e.idx), run_id: String(e.run_id), step: str(e.step), kind: String(e.kind), attempt: num(e.attempt), at: String(e.at), message: str(e.message) });
        }
      }
      events.sort((a, b) => a.id - b.id);
      const carried = (column: 'from_shift' | 'to_shift') =>
        q.all(
          `SELECT c.run_id, r.serial, c.from_shift, c.to_shift, c.state FROM carryovers c JOIN runs r ON r.station_id = c.station_id AND r.run_id = c.run_id
           WHERE c.station_id = $1 AND c.${column} = $2 ORDER BY c.at, r.serial`,
          [key, shiftId],
        );
      const carriedOut = (await carried('from_shift')).map((c) => ({ runId: String(c.run_id), serial: String(c.serial), toShift: String(c.to_shift), state: String(c.state) }));
      const carriedIn = (await carried('to_shift')).map((c) => ({ runId: String(c.run_id), serial: String(c.serial), fromShift: String(c.from_shift), state: String(c.state) }));
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

/** The PostgreSQL NOTIFY channel that carries "station X changed" between hub instances. */
export const HUB_CHANNEL = 'benchline_hub';

function issues(list: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return list
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || 'payload'}: ${i.message}`)
    .join('; ');
}
