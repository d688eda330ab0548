import path from 'node:path';
import type {
  Dashboard,
  DeadLetter,
  IngestBody,
  StalledRun,
  StationShift,
  StationSlots,
  StationTile,
  Summary,
  UserRole,
} from '../../shared/contract/hub-api.js';
import { Sessions } from './auth/sessions.js';
import { FloorQueries } from './dashboard/floor-queries.js';
import { DashboardQueries, type DashboardData, type LiveWindows } from './dashboard/queries.js';
import { migrateHub } from './db/migrations.js';
import { openPostgres, openSqlite, type SqlDatabase } from './db/sql.js';
import { EventsRejectedError } from './hub-errors.js';
import { listDeadLetters } from './ingest/dead-letters.js';
import { IngestWriter, type IngestResult } from './ingest/ingest-writer.js';
import { HubSettings } from './settings.js';
import { ShiftLogQueries, type HubShiftLog } from './shift-log-queries.js';
import { Stations } from './stations.js';

export { SESSION_HOURS } from './auth/sessions.js';
export type { DashboardData } from './dashboard/queries.js';
export { HUB_CHANNEL, type IngestResult } from './ingest/ingest-writer.js';
export type { HubShiftLog } from './shift-log-queries.js';

export interface HubStoreOptions {
  /** postgres://... or nothing for SQLite in dataDir/hub.db */
  db?: string | undefined;
  dataDir: string;
  /** Connections per hub instance (PostgreSQL). */
  poolSize?: number;
}

/** Something that tells every hub instance a station's numbers changed. */
export type ChangeListener = (stationKey: string) => void;

/**
 * The hub's database, one object for the server and the command line: stations and their tokens
 * (stations.ts), the event stream and its dead letters (ingest/), supervisors and sessions (auth/),
 * and what the dashboard and the export read (dashboard/, shift-log-queries.ts). One implementation
 * for SQLite and PostgreSQL; every write is one transaction.
 */
export class HubStore {
  private readonly listeners = new Set<ChangeListener>();
  private readonly settings: HubSettings;
  private readonly stations: Stations;
  private readonly writer: IngestWriter;
  private readonly sessions: Sessions;
  private readonly dashboard: DashboardQueries;
  private readonly floor: FloorQueries;
  private readonly shiftLogs: ShiftLogQueries;

  private constructor(readonly db: SqlDatabase) {
    this.settings = new HubSettings(db);
    this.stations = new Stations(db);
    this.writer = new IngestWriter(db, (key) => {
      for (const l of this.listeners) l(key);
    });
    this.sessions = new Sessions(db);
    this.dashboard = new DashboardQueries(db);
    this.floor = new FloorQueries(db);
    this.shiftLogs = new ShiftLogQueries(db);
  }

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

  getSetting(key: string): Promise<string | null> {
    return this.settings.get(key);
  }

  setSetting(key: string, value: string | null): Promise<void> {
    return this.settings.set(key, value);
  }

  dailyTarget(): Promise<number | null> {
    return this.settings.dailyTarget();
  }

  targetHours(): Promise<string> {
    return this.settings.targetHours();
  }

  registerStation(name: string, opts: { rotate?: boolean; now?: number } = {}): Promise<{ id: string; token: string; rotated: boolean }> {
    return this.stations.register(name, opts);
  }

  /** The name of the station a token belongs to; null for a missing or unknown token. */
  stationOfToken(token: string | undefined): Promise<string | null> {
    return token ? this.stations.nameOfToken(token) : Promise.resolve(null);
  }

  stationKeyOf(stationUuid: string): Promise<{ key: string; name: string } | null> {
    return this.stations.keyOf(stationUuid);
  }

  /**
   * Stores a station's batch (see IngestWriter). A batch with events set aside as dead letters is
   * stored all the same, and then answered with EventsRejectedError (HTTP 422) naming them.
   */
  async ingest(token: string | undefined, body: IngestBody, now = Date.now()): Promise<IngestResult> {
    const result = await this.writer.ingest(token, body, now);
    if (result.rejected.length > 0) throw new EventsRejectedError(result.ackSeq, result.rejected);
    return result;
  }

  /** Dead letters of one station (its own id) or of all stations, oldest first. */
  deadLetters(stationUuid?: string): Promise<DeadLetter[]> {
    return listDeadLetters(this.db, stationUuid);
  }

  upsertUser(username: string, password: string, role: UserRole, now = Date.now()): Promise<'added' | 'updated'> {
    return this.sessions.upsertUser(username, password, role, now);
  }

  login(username: string, password: string, now = Date.now()): Promise<{ token: string; role: UserRole; expiresAt: number } | null> {
    return this.sessions.login(username, password, now);
  }

  session(token: string | undefined, now = Date.now()): Promise<{ username: string; role: UserRole } | null> {
    return this.sessions.session(token, now);
  }

  logout(token: string): Promise<void> {
    return this.sessions.logout(token);
  }

  stationTiles(now: number, opts: LiveWindows): Promise<StationTile[]> {
    return this.dashboard.stationTiles(now, opts);
  }

  summary(fromMs: number, toMs: number, now: number, opts: LiveWindows): Promise<Summary> {
    return this.dashboard.summary(fromMs, toMs, now, opts);
  }

  charts(now: number, dayStartMs: number, tiles: readonly StationTile[]): Promise<DashboardData> {
    return this.dashboard.charts(now, dayStartMs, tiles);
  }

  orders(now: number): Promise<Dashboard['orders']> {
    return this.dashboard.orders(now);
  }

  /** Runs waiting for a person that have not moved for the stall time, longest first. */
  stalledRuns(now: number, opts: LiveWindows): Promise<StalledRun[]> {
    return this.floor.stalledRuns(now, opts);
  }

  /** A station's slots, read-only (drill-down); null for an unknown station. */
  stationSlots(stationUuid: string, now: number, opts: LiveWindows): Promise<StationSlots | null> {
    return this.floor.stationSlots(stationUuid, now, opts.onlineWindowMs);
  }

  /** A station's shifts, newest first; null for an unknown station. */
  stationShifts(stationUuid: string): Promise<StationShift[] | null> {
    return this.floor.stationShifts(stationUuid);
  }

  shiftCounts(stationUuid: string, shiftId: string): Promise<Record<string, number>> {
    return this.shiftLogs.shiftCounts(stationUuid, shiftId);
  }

  shiftLog(stationUuid: string, shiftId: string): Promise<HubShiftLog | null> {
    return this.shiftLogs.shiftLog(stationUuid, shiftId);
  }

  /** Number of events stored for a station (tests and the bench compare it with the station's outbox). */
  eventCount(stationUuid: string): Promise<number> {
    return this.shiftLogs.eventCount(stationUuid);
  }
}
