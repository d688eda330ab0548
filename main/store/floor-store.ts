import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { IN_PROGRESS_RUN_STATES, runStatesSql, type InProgressRunState, type RunState } from '../../shared/contract/run-state.js';
import { outboxRecord } from './outbox-record.js';

export interface Who {
  shiftId: string | null;
  operator: string | null;
}

export interface CarriedRun {
  runId: string;
  serial: string;
  state: InProgressRunState;
}

export interface QuarantineRecord {
  id: number;
  serial: string;
  runId: string | null;
  kind: 'hardware' | 'technician';
  step: string | null;
  reason: string;
  at: string;
  shiftId: string | null;
  operator: string | null;
  releasedAt: string | null;
  releaseNote: string | null;
  model: string | null;
  customer: string | null;
  school: string | null;
  orderId: string | null;
}

export interface LabelJobRecord {
  id: number;
  kind: 'device' | 'unit';
  runId: string | null;
  unitId: string | null;
  serial: string | null;
  template: string;
  printer: string;
  status: 'printed' | 'failed';
  error: string | null;
  at: string;
}

export interface OperatorActionRecord {
  id: number;
  at: string;
  shiftId: string | null;
  operator: string | null;
  action: string;
  runId: string | null;
  serial: string | null;
  unitId: string | null;
  detail: string | null;
}

type Row = Record<string, unknown>;

/**
 * Shift hand-over, operators present, badges, technician actions, quarantine and label jobs
 * (issue 5). Each method is one transaction.
 */
export class FloorStore {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      present: p(`SELECT o.name FROM shift_operators so JOIN operators o ON o.id = so.operator_id
        WHERE so.shift_id = ? AND so.left_at IS NULL GROUP BY o.name ORDER BY min(so.joined_at), o.name`),
      signedIn: p(`SELECT o.name, min(so.joined_at) AS joinedAt FROM shift_operators so JOIN operators o ON o.id = so.operator_id
        WHERE so.shift_id = ? AND so.left_at IS NULL GROUP BY o.name`),
      leave: p(`UPDATE shift_operators SET left_at = ? WHERE shift_id = ? AND left_at IS NULL
        AND operator_id = (SELECT id FROM operators WHERE name = ?)`),
      byBadge: p('SELECT name FROM operators WHERE badge = ?'),
      badgeOwner: p('SELECT name FROM operators WHERE badge = ? AND name <> ?'),
      setBadge: p(`INSERT INTO operators (name, badge, created_at) VALUES (?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET badge = excluded.badge`),
      inFlight: p(`SELECT id AS runId, serial, state FROM runs WHERE shift_id = ? AND state IN ${runStatesSql(IN_PROGRESS_RUN_STATES)}`),
      moveRun: p('UPDATE runs SET shift_id = ?, operator = coalesce(?, operator) WHERE id = ?'),
      setRunOperator: p('UPDATE runs SET operator = ? WHERE id = ?'),
      insertCarry: p('INSERT OR IGNORE INTO shift_carryovers (run_id, from_shift, to_shift, state, at) VALUES (?, ?, ?, ?, ?)'),
      carryOutbox: p("INSERT INTO outbox (kind, payload, created_at) VALUES ('run.moved', ?, ?)"),
      stationId: p("SELECT value FROM settings WHERE key = 'station_id'"),
      carriedOut: p(`SELECT c.run_id AS runId, r.serial, c.to_shift AS toShift, c.state FROM shift_carryovers c JOIN runs r ON r.id = c.run_id
        WHERE c.from_shift = ? ORDER BY c.at, r.serial`),
      carriedIn: p(`SELECT c.run_id AS runId, r.serial, c.from_shift AS fromShift, c.state FROM shift_carryovers c JOIN runs r ON r.id = c.run_id
        WHERE c.to_shift = ? ORDER BY c.at, r.serial`),
      insertAction: p(`INSERT INTO operator_actions (at, shift_id, operator, action, run_id, serial, unit_id, detail)
        VALUES (@at, @shiftId, @operator, @action, @runId, @serial, @unitId, @detail)`),
      actionsOfShift: p('SELECT * FROM operator_actions WHERE shift_id = ? ORDER BY id'),
      openQuarantine: p('SELECT id FROM quarantine WHERE serial = ? AND released_at IS NULL'),
      insertQuarantine: p(`INSERT INTO quarantine (serial, run_id, kind, step, reason, at, shift_id, operator)
        VALUES (@serial, @runId, @kind, @step, @reason, @at, @shiftId, @operator)`),
      releaseQuarantine: p('UPDATE quarantine SET released_at = ?, release_note = ? WHERE serial = ? AND released_at IS NULL'),
      listQuarantine: p(`SELECT q.*, d.model, json_extract(r.captured, '$.customer') AS customer, json_extract(r.captured, '$.school') AS school,
          json_extract(r.captured, '$.orderId') AS order_id
        FROM quarantine q LEFT JOIN devices d ON d.serial = q.serial LEFT JOIN runs r ON r.id = q.run_id
        WHERE (? = 1 OR q.released_at IS NULL) ORDER BY q.at, q.id`),
      insertLabel: p(`INSERT INTO label_jobs (kind, run_id, unit_id, serial, template, printer, status, error, at, shift_id, operator)
        VALUES (@kind, @runId, @unitId, @serial, @template, @printer, @status, @error, @at, @shiftId, @operator)`),
      labelsOfRun: p('SELECT * FROM label_jobs WHERE run_id = ? ORDER BY id'),
      printedOfRun: p("SELECT 1 FROM label_jobs WHERE run_id = ? AND kind = 'device' AND status = 'printed' LIMIT 1"),
    };
  }

  /** Operators signed in to a shift and not signed out. */
  presentOperators(shiftId: string): string[] {
    return (this.s.present!.all(shiftId) as { name: string }[]).map((r) => r.name);
  }

  /** Operators signed in to a shift and not signed out, with when each first joined it. */
  signedInSince(shiftId: string): { name: string; joinedAt: string }[] {
    return this.s.signedIn!.all(shiftId) as { name: string; joinedAt: string }[];
  }

  leaveShift(shiftId: string, name: string, now: string): boolean {
    return this.s.leave!.run(now, shiftId, name).changes > 0;
  }

  operatorByBadge(badge: string): string | null {
    return (this.s.byBadge!.get(badge) as { name: string } | undefined)?.name ?? null;
  }

  /** Gives an operator a badge; a badge already worn by someone else is refused. */
  setBadge(name: string, badge: string, now: string): void {
    this.db.transaction(() => {
      const owner = this.s.badgeOwner!.get(badge, name) as { name: string } | undefined;
      if (owner) throw new Error(`Badge ${badge} belongs to ${owner.name}.`);
      this.s.setBadge!.run(name, badge, now);
    })();
  }

  inFlightRuns(shiftId: string): CarriedRun[] {
    return this.s.inFlight!.all(shiftId) as CarriedRun[];
  }

  /**
   * Hands the runs still in flight over from one shift to the next: they move to the new shift
   * (where they will be counted when they finish) and the hand-over is recorded for both logs.
   */
  carryOver(fromShift: string, toShift: string, operator: string | null, now: string): CarriedRun[] {
    return this.db.transaction(() => {
      const runs = this.inFlightRuns(fromShift);
      for (const r of runs) {
        this.s.insertCarry!.run(r.runId, fromShift, toShift, r.state, now);
        this.s.moveRun!.run(toShift, operator, r.runId);
        this.carryToOutbox(r.runId, fromShift, toShift, r.state, operator, now);
      }
      return runs;
    })();
  }

  /** Moves one run (a failed run retried after its shift closed) to the open shift. */
  moveRun(runId: string, fromShift: string, toShift: string, state: RunState, operator: string | null, now: string): void {
    this.db.transaction(() => {
      this.s.insertCarry!.run(runId, fromShift, toShift, state, now);
      this.s.moveRun!.run(toShift, operator, runId);
      this.carryToOutbox(runId, fromShift, toShift, state, operator, now);
    })();
  }

  /** The technician now responsible for a run (who acted on it); the run's next transition tells the hub. */
  setRunOperator(runId: string, operator: string | null): void {
    this.s.setRunOperator!.run(operator, runId);
  }

  /** The hub's copy of a hand-over, in its transaction: the hub counts the run in its new shift at once. */
  private carryToOutbox(runId: string, fromShift: string, toShift: string, state: RunState, operator: string | null, now: string): void {
    const stationId = (this.s.stationId!.get() as { value: string } | undefined)?.value ?? '';
    this.s.carryOutbox!.run(outboxRecord({ type: 'run.moved', stationId, at: now, runId, fromShift, toShift, state, operator }).payload, now);
  }

  carriedOut(shiftId: string): { runId: string; serial: string; toShift: string; state: string }[] {
    return this.s.carriedOut!.all(shiftId) as { runId: string; serial: string; toShift: string; state: string }[];
  }

  carriedIn(shiftId: string): { runId: string; serial: string; fromShift: string; state: string }[] {
    return this.s.carriedIn!.all(shiftId) as { runId: string; serial: string; fromShift: string; state: string }[];
  }

  recordAction(a: { at: string; action: string; runId?: string | null; serial?: string | null; unitId?: string | null; detail?: string | null } & Who): void {
    this.s.insertAction!.run({ runId: null, serial: null, unitId: null, detail: null, ...a });
  }

  actionsOfShift(shiftId: string): OperatorActionRecord[] {
    return (this.s.actionsOfShift!.all(shiftId) as Row[]).map((r) => ({
      id: Number(r.id),
      at: String(r.at),
      shiftId: (r.shift_id as string | null) ?? null,
      operator: (r.operator as string | null) ?? null,
      action: String(r.action),
      runId: (r.run_id as string | null) ?? null,
      serial: (r.serial as string | null) ?? null,
      unitId: (r.unit_id as string | null) ?? null,
      detail: (r.detail as string | null) ?? null,
    }));
  }

  isQuarantined(serial: string): boolean {
    return this.s.openQuarantine!.get(serial) !== undefined;
  }

  /** Puts a device into quarantine; a device already there keeps its first reason. Returns false then. */
  quarantine(q: { serial: string; runId: string | null; kind: 'hardware' | 'technician'; step: string | null; reason: string; at: string } & Who): boolean {
    return this.db.transaction(() => {
      if (this.isQuarantined(q.serial)) return false;
      this.s.insertQuarantine!.run(q);
      return true;
    })();
  }

  release(serial: string, note: string, now: string): boolean {
    return this.s.releaseQuarantine!.run(now, note, serial).changes > 0;
  }

  listQuarantine(includeReleased: boolean): QuarantineRecord[] {
    return (this.s.listQuarantine!.all(includeReleased ? 1 : 0) as Row[]).map((r) => ({
      id: Number(r.id),
      serial: String(r.serial),
      runId: (r.run_id as string | null) ?? null,
      kind: r.kind as QuarantineRecord['kind'],
      step: (r.step as string | null) ?? null,
      reason: String(r.reason),
      at: String(r.at),
      shiftId: (r.shift_id as string | null) ?? null,
      operator: (r.operator as string | null) ?? null,
      releasedAt: (r.released_at as string | null) ?? null,
      releaseNote: (r.release_note as string | null) ?? null,
      model: (r.model as string | null) ?? null,
      customer: (r.customer as string | null) ?? null,
      school: (r.school as string | null) ?? null,
      orderId: (r.order_id as string | null) ?? null,
    }));
  }

  recordLabelJob(j: Omit<LabelJobRecord, 'id'> & Who): void {
    this.s.insertLabel!.run(j);
  }

  labelJobsOfRun(runId: string): LabelJobRecord[] {
    return (this.s.labelsOfRun!.all(runId) as Row[]).map((r) => ({
      id: Number(r.id),
      kind: r.kind as LabelJobRecord['kind'],
      runId: (r.run_id as string | null) ?? null,
      unitId: (r.unit_id as string | null) ?? null,
      serial: (r.serial as string | null) ?? null,
      template: String(r.template),
      printer: String(r.printer),
      status: r.status as LabelJobRecord['status'],
      error: (r.error as string | null) ?? null,
      at: String(r.at),
    }));
  }

  /** A device label was printed for this run already (a step retried after a crash does not print twice). */
  labelPrinted(runId: string): boolean {
    return this.s.printedOfRun!.get(runId) !== undefined;
  }
}
