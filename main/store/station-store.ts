// Over 400 lines: the station's run, device, blueprint, slot and outbox SQL share one connection and
// its prepared statements, and a transition's rows commit in one transaction here; the feature stores
// (orders, units, floor, dead letters, library, secrets) are their own modules beside it.
import crypto from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import { CLOSED_RUN_STATES, runStatesSql, type RunState } from '../../shared/contract/run-state.js';
import type { OutboxEvent, ShiftPayload } from '../../shared/contract/outbox-events.js';
import { openDatabase, type Db } from './database.js';
import { outboxRecord } from './outbox-record.js';
import { STATION_MIGRATIONS } from './migrations/index.js';
import type {
  DeviceRecord,
  OutboxRecord,
  RunPatch,
  RunRecord,
  ShiftRecord,
  SimDeviceRecord,
  SimDeviceState,
  StepEventInput,
  StepEventRecord,
} from './records.js';

export class BlueprintVersionConflictError extends Error {
  override name = 'BlueprintVersionConflictError';
}

/** An unassigned shift is opened for runs that start while nobody is signed in (CONTRACT.md). */
export const UNASSIGNED_OPERATOR = 'unassigned';

type Row = Record<string, unknown>;

/**
 * The station's database: the only module that holds SQL. Every method is one transaction, so a
 * caller can never commit half of a transition.
 *
 * Why ~480 lines: it owns the connection and the transactions that must write several tables at
 * once (a run, its step events and its outbox record; a shift change and its outbox record), so
 * runs, shifts and the outbox stay together. Features with their own tables already have their own
 * stores on this connection (FloorStore, UnitStore, ShiftLogStore, DeadLetterStore). Next to move
 * out, when they grow: slots and the simulated hub's devices, which share no transaction with runs.
 */
export class StationStore {
  readonly db: Db;
  private readonly stmt: Record<string, Statement>;

  constructor(file: string) {
    this.db = openDatabase(file, STATION_MIGRATIONS);
    const p = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      getSetting: p('SELECT value FROM settings WHERE key = ?'),
      setSetting: p('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      blueprintByName: p('SELECT id, hash FROM blueprints WHERE name = ? AND version = ?'),
      insertBlueprint: p('INSERT INTO blueprints (name, version, hash, definition, source_path, loaded_at) VALUES (?, ?, ?, ?, ?, ?)'),
      blueprintById: p('SELECT definition FROM blueprints WHERE id = ?'),
      listSlots: p('SELECT label, port_path AS portPath, position FROM slots ORDER BY position, label'),
      slotForPort: p('SELECT label FROM slots WHERE port_path = ?'),
      insertSlot: p('INSERT OR IGNORE INTO slots (label, port_path, position) VALUES (?, ?, ?)'),
      freePort: p('DELETE FROM slots WHERE port_path = ? AND label <> ?'),
      upsertSlot: p(`INSERT INTO slots (label, port_path, position) VALUES (?, ?, ?)
        ON CONFLICT (label) DO UPDATE SET port_path = excluded.port_path, position = excluded.position`),
      deleteSlot: p('DELETE FROM slots WHERE label = ?'),
      upsertDevice: p(`INSERT INTO devices (serial, family, platform, model, os_version, port_path, present, first_seen, last_seen)
        VALUES (@serial, @family, @platform, @model, @osVersion, @portPath, @present, @now, @now)
        ON CONFLICT (serial) DO UPDATE SET family = excluded.family, platform = excluded.platform, model = excluded.model,
          os_version = coalesce(excluded.os_version, os_version), port_path = excluded.port_path,
          present = excluded.present, last_seen = excluded.last_seen`),
      setPresent: p('UPDATE devices SET present = ?, last_seen = ? WHERE serial = ?'),
      getDevice: p('SELECT * FROM devices WHERE serial = ?'),
      clearPresence: p('UPDATE devices SET present = 0 WHERE present = 1'),
      openShift: p('SELECT * FROM shifts WHERE closed_at IS NULL'),
      getShift: p('SELECT * FROM shifts WHERE id = ?'),
      lastShift: p('SELECT * FROM shifts ORDER BY opened_at DESC, rowid DESC LIMIT 1'),
      listShifts: p('SELECT * FROM shifts ORDER BY opened_at DESC LIMIT ?'),
      insertShift: p('INSERT INTO shifts (id, opened_at) VALUES (?, ?)'),
      closeShift: p('UPDATE shifts SET closed_at = ? WHERE id = ? AND closed_at IS NULL'),
      operatorByName: p('SELECT id FROM operators WHERE name = ?'),
      insertOperator: p('INSERT INTO operators (name, created_at) VALUES (?, ?)'),
      joinShift: p('INSERT OR IGNORE INTO shift_operators (shift_id, operator_id, joined_at) VALUES (?, ?, ?)'),
      leaveAll: p('UPDATE shift_operators SET left_at = ? WHERE shift_id = ? AND left_at IS NULL'),
      shiftPresent: p(`SELECT o.name FROM shift_operators so JOIN operators o ON o.id = so.operator_id
        WHERE so.shift_id = ? AND so.left_at IS NULL GROUP BY o.name ORDER BY min(so.joined_at), o.name`),
      shiftOperators: p(`SELECT DISTINCT o.name FROM shift_operators so JOIN operators o ON o.id = so.operator_id
        WHERE so.shift_id = ? ORDER BY so.joined_at, o.name`),
      insertRun: p(`INSERT INTO runs (id, serial, blueprint_id, shift_id, slot, operator, state, phase, step_index, attempt,
          attempts_total, deadline_at, waiting_reason, waiting_message, error_code, error_message, failed_step, captured,
          started_at, finished_at, updated_at)
        VALUES (@id, @serial, @blueprintId, @shiftId, @slot, @operator, @state, @phase, @stepIndex, @attempt,
          @attemptsTotal, @deadlineAt, @waitingReason, @waitingMessage, @errorCode, @errorMessage, @failedStep, @captured,
          @startedAt, @finishedAt, @updatedAt)`),
      updateRun: p(`UPDATE runs SET state = @state, phase = @phase, step_index = @stepIndex, attempt = @attempt,
          attempts_total = @attemptsTotal, deadline_at = @deadlineAt, waiting_reason = @waitingReason,
          waiting_message = @waitingMessage, error_code = @errorCode, error_message = @errorMessage,
          failed_step = @failedStep, captured = @captured, finished_at = @finishedAt, updated_at = @updatedAt
        WHERE id = @id`),
      insertEvent: p(`INSERT INTO step_events (run_id, shift_id, step_index, step, kind, attempt, at, message)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      insertOutbox: p('INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)'),
      getRun: p('SELECT * FROM runs WHERE id = ?'),
      openRuns: p(`SELECT * FROM runs WHERE state NOT IN ${runStatesSql(CLOSED_RUN_STATES)} ORDER BY started_at`),
      latestRunForSerial: p('SELECT * FROM runs WHERE serial = ? ORDER BY started_at DESC, rowid DESC LIMIT 1'),
      runsOfShift: p('SELECT * FROM runs WHERE shift_id = ? ORDER BY started_at, rowid'),
      eventsOfRun: p('SELECT * FROM step_events WHERE run_id = ? ORDER BY id'),
      shiftCounts: p(`SELECT state, count(*) AS n FROM runs WHERE shift_id = ? GROUP BY state`),
      outboxAfter: p('SELECT seq, kind, payload, created_at AS createdAt FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
      outboxDelete: p('DELETE FROM outbox WHERE seq <= ?'),
      outboxState: p('SELECT min(seq) AS first, max(seq) AS last, count(*) AS count FROM outbox'),
      outboxLastWritten: p("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"),
      listSim: p('SELECT * FROM sim_devices ORDER BY rowid'),
      upsertSim: p(`INSERT INTO sim_devices (serial, platform, model, os_version, port_path, plugged, fail_at, state)
        VALUES (@serial, @platform, @model, @osVersion, @portPath, @plugged, @failAt, @state)
        ON CONFLICT (serial) DO UPDATE SET port_path = excluded.port_path, plugged = excluded.plugged,
          fail_at = excluded.fail_at, state = excluded.state`),
      setSimPlugged: p('UPDATE sim_devices SET plugged = ? WHERE serial = ?'),
      setSimState: p('UPDATE sim_devices SET state = ? WHERE serial = ?'),
      syncNormal: p('PRAGMA synchronous = NORMAL'),
      syncFull: p('PRAGMA synchronous = FULL'),
      nextSequence: p(`INSERT INTO settings (key, value) VALUES (?, '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value`),
    };
  }

  close(): void {
    this.db.close();
  }

  // ---- settings ------------------------------------------------------------------------------

  getSetting(key: string): string | null {
    const row = this.stmt.getSetting!.get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setSetting(key: string, value: string): void {
    this.stmt.setSetting!.run(key, value);
  }

  /** The station's stable identity, created with the database. */
  stationId(): string {
    let id = this.getSetting('station_id');
    if (id === null) {
      id = crypto.randomUUID();
      this.setSetting('station_id', id);
    }
    return id;
  }

  /** Next number of a named sequence (device names per school); committed before it is used, so never handed out twice. */
  nextSequence(scope: string): number {
    const row = this.stmt.nextSequence!.get(`seq:${scope}`) as { value: string };
    return Number(row.value);
  }

  // ---- blueprints ----------------------------------------------------------------------------

  /** Stores a blueprint version once; the same name and version with other content is refused. */
  saveBlueprint(blueprint: Blueprint, sourcePath: string | null, now: string): number {
    return this.db.transaction(() => {
      const existing = this.stmt.blueprintByName!.get(blueprint.id, blueprint.version) as { id: number; hash: string } | undefined;
      if (existing) {
        if (existing.hash !== blueprint.hash) {
          throw new BlueprintVersionConflictError(
            `Blueprint "${blueprint.id}" version ${blueprint.version} was changed but keeps its version number. Raise "version" in ${sourcePath ?? 'the file'} so runs stay traceable.`,
          );
        }
        return existing.id;
      }
      const info = this.stmt.insertBlueprint!.run(blueprint.id, blueprint.version, blueprint.hash, JSON.stringify(blueprint), sourcePath, now);
      return Number(info.lastInsertRowid);
    })();
  }

  getBlueprint(id: number): Blueprint {
    const row = this.stmt.blueprintById!.get(id) as { definition: string } | undefined;
    if (!row) throw new Error(`blueprint #${id} is not in the database`);
    return JSON.parse(row.definition) as Blueprint;
  }

  // ---- slots ---------------------------------------------------------------------------------

  listSlots(): { label: string; portPath: string; position: number }[] {
    return this.stmt.listSlots!.all() as { label: string; portPath: string; position: number }[];
  }

  slotForPort(portPath: string): string | null {
    const row = this.stmt.slotForPort!.get(portPath) as { label: string } | undefined;
    return row?.label ?? null;
  }

  /**
   * Maps a slot label to a port (the layout editor, the learn mode). A port belongs to one slot, so
   * a slot that had this port loses it; the label keeps its row and gets the new port and position.
   */
  saveSlot(slot: { label: string; portPath: string; position: number }): void {
    this.db.transaction(() => {
      this.stmt.freePort!.run(slot.portPath, slot.label);
      this.stmt.upsertSlot!.run(slot.label, slot.portPath, slot.position);
    })();
  }

  /** Removes a slot; false when there was none with that label. */
  deleteSlot(label: string): boolean {
    return this.stmt.deleteSlot!.run(label).changes > 0;
  }

  /** Adds slots whose label and port are both still free; existing mappings win. */
  ensureSlots(slots: { label: string; portPath: string; position: number }[]): void {
    this.db.transaction(() => {
      for (const s of slots) this.stmt.insertSlot!.run(s.label, s.portPath, s.position);
    })();
  }

  // ---- devices -------------------------------------------------------------------------------

  // Presence is soft state: written without its own fsync (see soft()), and found again by the
  // drivers at every start.

  upsertDevice(device: DeviceRecord, now: string): void {
    this.soft(() => this.stmt.upsertDevice!.run({ ...device, present: device.present ? 1 : 0, now }));
  }

  setDevicePresent(serial: string, present: boolean, now: string): void {
    this.soft(() => this.stmt.setPresent!.run(present ? 1 : 0, now, serial));
  }

  /** At start nothing is known to be plugged in; the drivers report what is. */
  clearPresence(): void {
    this.soft(() => this.stmt.clearPresence!.run());
  }

  getDevice(serial: string): DeviceRecord | null {
    const r = this.stmt.getDevice!.get(serial) as Row | undefined;
    return r ? toDevice(r) : null;
  }

  // ---- shifts --------------------------------------------------------------------------------

  currentShift(): ShiftRecord | null {
    const row = this.stmt.openShift!.get() as Row | undefined;
    return row ? this.toShift(row) : null;
  }

  lastShift(): ShiftRecord | null {
    const row = this.stmt.lastShift!.get() as Row | undefined;
    return row ? this.toShift(row) : null;
  }

  getShift(id: string): ShiftRecord | null {
    const row = this.stmt.getShift!.get(id) as Row | undefined;
    return row ? this.toShift(row) : null;
  }

  listShifts(limit = 50): ShiftRecord[] {
    return (this.stmt.listShifts!.all(limit) as Row[]).map((r) => this.toShift(r));
  }

  /** Opens a shift, or adds the operators to the one already open. */
  openShift(operators: string[], now: string): ShiftRecord {
    return this.db.transaction(() => {
      let shift = this.currentShift();
      const created = !shift;
      if (!shift) {
        const id = shiftId(now);
        this.stmt.insertShift!.run(id, now);
        shift = { id, openedAt: now, closedAt: null, operators: [], present: [] };
      }
      for (const name of operators) {
        const opId = this.operatorId(name, now);
        this.stmt.joinShift!.run(shift.id, opId, now);
      }
      const result = this.getShift(shift.id) as ShiftRecord;
      this.shiftOutbox(created ? 'shift.opened' : 'shift.operators', result, now);
      return result;
    })();
  }

  /** The open shift, or a new one for the operator `unassigned`: every run belongs to a shift. */
  ensureShift(now: string): ShiftRecord {
    return this.currentShift() ?? this.openShift([UNASSIGNED_OPERATOR], now);
  }

  closeShift(id: string, now: string): ShiftRecord | null {
    return this.db.transaction(() => {
      const closed = this.stmt.closeShift!.run(now, id).changes > 0;
      this.stmt.leaveAll!.run(now, id);
      const shift = this.getShift(id);
      if (closed && shift) this.shiftOutbox('shift.closed', shift, now);
      return shift;
    })();
  }

  /** The hub's copy of a shift change (current shift and operators), in the shift change's transaction. */
  private shiftOutbox(type: ShiftPayload['type'], shift: ShiftRecord, now: string): void {
    const record = outboxRecord({ type, stationId: this.stationId(), at: now, shift });
    this.stmt.insertOutbox!.run(record.kind, record.payload, now);
  }

  private operatorId(name: string, now: string): number {
    const row = this.stmt.operatorByName!.get(name) as { id: number } | undefined;
    if (row) return row.id;
    return Number(this.stmt.insertOperator!.run(name, now).lastInsertRowid);
  }

  private toShift(r: Row): ShiftRecord {
    const operators = (this.stmt.shiftOperators!.all(r.id) as { name: string }[]).map((o) => o.name);
    const present = (this.stmt.shiftPresent!.all(r.id) as { name: string }[]).map((o) => o.name);
    return { id: String(r.id), openedAt: String(r.opened_at), closedAt: (r.closed_at as string | null) ?? null, operators, present };
  }

  // ---- runs ----------------------------------------------------------------------------------

  /** Creates a run with its first step event and outbox record, in one transaction. */
  createRun(run: RunRecord, event: StepEventInput, outbox: OutboxEvent): void {
    this.db.transaction(() => {
      const record = outboxRecord(outbox);
      this.stmt.insertRun!.run({ ...run, captured: JSON.stringify(run.captured) });
      this.insertEvent(run.id, run.shiftId, event, run.updatedAt);
      this.stmt.insertOutbox!.run(record.kind, record.payload, run.updatedAt);
    })();
  }

  /** A run's transition: its new state, its step events and one outbox record, in one transaction. */
  commitTransition(runId: string, shiftId: string, patch: RunPatch, events: readonly StepEventInput[], outbox: OutboxEvent, now: string): void {
    this.db.transaction(() => {
      const record = outboxRecord(outbox);
      this.stmt.updateRun!.run({ ...patch, captured: JSON.stringify(patch.captured), id: runId, updatedAt: now });
      for (const e of events) this.insertEvent(runId, shiftId, e, now);
      this.stmt.insertOutbox!.run(record.kind, record.payload, now);
    })();
  }

  private insertEvent(runId: string, shiftId: string, e: StepEventInput, at: string): void {
    this.stmt.insertEvent!.run(runId, shiftId, e.stepIndex, e.step, e.kind, e.attempt, at, e.message);
  }

  getRun(id: string): RunRecord | null {
    const r = this.stmt.getRun!.get(id) as Row | undefined;
    return r ? toRun(r) : null;
  }

  openRuns(): RunRecord[] {
    return (this.stmt.openRuns!.all() as Row[]).map(toRun);
  }

  latestRunForSerial(serial: string): RunRecord | null {
    const r = this.stmt.latestRunForSerial!.get(serial) as Row | undefined;
    return r ? toRun(r) : null;
  }

  runsOfShift(shiftId: string): RunRecord[] {
    return (this.stmt.runsOfShift!.all(shiftId) as Row[]).map(toRun);
  }

  stepEvents(runId: string): StepEventRecord[] {
    return (this.stmt.eventsOfRun!.all(runId) as Row[]).map((r) => ({
      id: Number(r.id),
      runId: String(r.run_id),
      shiftId: String(r.shift_id),
      stepIndex: (r.step_index as number | null) ?? null,
      step: (r.step as string | null) ?? null,
      kind: r.kind as StepEventRecord['kind'],
      attempt: Number(r.attempt),
      at: String(r.at),
      message: (r.message as string | null) ?? null,
    }));
  }

  /** Run counts of a shift by state. */
  shiftCounts(shiftId: string): Partial<Record<RunState, number>> {
    const counts: Partial<Record<RunState, number>> = {};
    for (const row of this.stmt.shiftCounts!.all(shiftId) as { state: RunState; n: number }[]) counts[row.state] = row.n;
    return counts;
  }

  // ---- outbox --------------------------------------------------------------------------------

  outboxAfter(seq: number, limit: number): OutboxRecord[] {
    return this.stmt.outboxAfter!.all(seq, limit) as OutboxRecord[];
  }

  /** Deletes records the hub acknowledged; nothing else is ever removed from the outbox. */
  deleteOutboxUpTo(seq: number): void {
    this.stmt.outboxDelete!.run(seq);
  }

  /** What waits in the outbox, and the highest seq ever written (acknowledged records included). */
  outboxState(): { first: number | null; last: number | null; count: number; lastWritten: number } {
    const row = this.stmt.outboxState!.get() as { first: number | null; last: number | null; count: number };
    const written = this.stmt.outboxLastWritten!.get() as { seq: number } | undefined;
    return { first: row.first, last: row.last, count: row.count, lastWritten: written?.seq ?? 0 };
  }

  // ---- simulated hub -------------------------------------------------------------------------

  listSimDevices(): SimDeviceRecord[] {
    return (this.stmt.listSim!.all() as Row[]).map((r) => ({
      serial: String(r.serial),
      platform: r.platform as SimDeviceRecord['platform'],
      model: String(r.model),
      osVersion: String(r.os_version),
      portPath: String(r.port_path),
      plugged: r.plugged === 1,
      failAt: (r.fail_at as string | null) ?? null,
      state: JSON.parse(String(r.state)) as SimDeviceState,
    }));
  }

  // The simulated hub's devices stand in for hardware, which remembers its own state: written
  // without their own fsync (see soft()).

  saveSimDevice(d: SimDeviceRecord): void {
    this.soft(() => this.stmt.upsertSim!.run({ ...d, plugged: d.plugged ? 1 : 0, state: JSON.stringify(d.state) }));
  }

  setSimPlugged(serial: string, plugged: boolean): void {
    this.soft(() => this.stmt.setSimPlugged!.run(plugged ? 1 : 0, serial));
  }

  setSimState(serial: string, state: SimDeviceState): void {
    this.soft(() => this.stmt.setSimState!.run(JSON.stringify(state), serial));
  }

  /**
   * A write that need not be on the disk before the call returns: committed with
   * synchronous=NORMAL, so it is safe against a crash of the app at once (it is in the WAL, the OS
   * has it) and reaches the platter with the next synchronous=FULL commit, which syncs the WAL up
   * to and including it. Only a power cut before the next step commit can lose it. Runs, step
   * events, the outbox and named sequences are never written this way.
   */
  private soft(write: () => unknown): void {
    if (this.db.inTransaction) {
      write();
      return;
    }
    this.stmt.syncNormal!.run();
    try {
      write();
    } finally {
      this.stmt.syncFull!.run();
    }
  }
}

function shiftId(nowIso: string): string {
  const compact = nowIso.slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return `${compact}-${crypto.randomBytes(2).toString('hex')}`;
}

function toDevice(r: Row): DeviceRecord {
  return {
    serial: String(r.serial),
    family: r.family as DeviceRecord['family'],
    platform: r.platform as DeviceRecord['platform'],
    model: String(r.model),
    osVersion: (r.os_version as string | null) ?? null,
    portPath: (r.port_path as string | null) ?? null,
    present: r.present === 1,
  };
}

function toRun(r: Row): RunRecord {
  return {
    id: String(r.id),
    serial: String(r.serial),
    blueprintId: Number(r.blueprint_id),
    shiftId: String(r.shift_id),
    slot: (r.slot as string | null) ?? null,
    operator: (r.operator as string | null) ?? null,
    state: r.state as RunRecord['state'],
    phase: r.phase as RunRecord['phase'],
    stepIndex: Number(r.step_index),
    attempt: Number(r.attempt),
    attemptsTotal: Number(r.attempts_total),
    deadlineAt: (r.deadline_at as number | null) ?? null,
    waitingReason: (r.waiting_reason as RunRecord['waitingReason']) ?? null,
    waitingMessage: (r.waiting_message as string | null) ?? null,
    errorCode: (r.error_code as string | null) ?? null,
    errorMessage: (r.error_message as string | null) ?? null,
    failedStep: (r.failed_step as string | null) ?? null,
    captured: JSON.parse(String(r.captured)) as Record<string, string>,
    startedAt: String(r.started_at),
    finishedAt: (r.finished_at as string | null) ?? null,
    updatedAt: String(r.updated_at),
  };
}
