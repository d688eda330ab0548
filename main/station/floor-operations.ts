import path from 'node:path';
import type { Blueprint, BlueprintStep } from '../../shared/blueprint/schema.js';
import type { CurrentBatch, PackResult } from '../../shared/contract/floor-api.js';
import type { Platform } from '../../shared/contract/run-state.js';
import type { StepOutcome } from '../drivers/driver.js';
import { StepFailedError } from '../drivers/step-errors.js';
import { StationShiftLogSource } from '../export/station-shift-source.js';
import { LabelService } from '../labels/label-service.js';
import { LabelTemplateError, LabelValueMissingError, loadLabelTemplates, type LabelValues } from '../labels/label-template.js';
import { PrinterError, printerConfigSchema, type PrinterConfig } from '../labels/printers.js';
import type { Logger } from '../logging/logger.js';
import { importOrderFile, type OrderImportReport } from '../orders/order-import.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import type { LiveRun, RunTransition } from '../pipeline/run-controller.js';
import { FloorStore, type QuarantineRecord, type Who } from '../store/floor-store.js';
import { OrderStore, type OrderProgress, type ReceiptResult } from '../store/order-store.js';
import type { RunRecord, ShiftRecord } from '../store/records.js';
import { ShiftLogStore } from '../store/shift-log-store.js';
import { UNASSIGNED_OPERATOR, type StationStore } from '../store/station-store.js';
import { UnitStore, type UnitItemRecord, type UnitKind, type UnitRecord } from '../store/unit-store.js';
import { checkPack } from '../units/unit-rules.js';
import { earlyJoiners, isDue, parseWindows, scheduledClose, ShiftScheduleError } from './shift-schedule.js';

/** What the floor operations need from the station core. */
export interface FloorHost {
  readonly store: StationStore;
  readonly stationId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly dataDir: string;
  readonly resourcesDir: string;
  stationName(): string;
  blueprintByName(name: string): { blueprint: Blueprint; id: number } | null;
  defaultBlueprint(platform: Platform): { blueprint: Blueprint; id: number } | null;
  blueprintNames(): string[];
  liveRun(runId: string): LiveRun | undefined;
  liveRunForSerial(serial: string): LiveRun | undefined;
  cancelLiveRun(runId: string): void;
  moveLiveRun(runId: string, shiftId: string, operator: string | null): void;
  /** Starts the run of a plugged device that waited for an assignment. */
  startWaitingDevice(serial: string): void;
  shiftChanged(): void;
}

/** A device's assignment: the blueprint and what the run records about customer, school and order. */
export interface Assignment {
  source: 'order' | 'batch' | 'default';
  blueprint: Blueprint;
  blueprintId: number;
  captured: Record<string, string>;
}

export type AssignmentResult = { ok: true; assignment: Assignment } | { ok: false; code: 'needs_assignment' | 'quarantined'; message: string };

export class FloorError extends Error {
  override name = 'FloorError';
  constructor(
    readonly code: 'not_found' | 'conflict' | 'bad_request',
    message: string,
  ) {
    super(message);
  }
}

const HARDWARE_CHECK = /^(check|hw|hardware)-/;

/**
 * Shifts and operators, orders and goods receipt, labels, packing units and quarantine: the
 * floor's work around the pipeline (issue 5). The station core owns the runs; this owns the rest.
 */
export class FloorOperations {
  readonly orders: OrderStore;
  readonly units: UnitStore;
  readonly floor: FloorStore;
  readonly shiftLog: ShiftLogStore;
  readonly labels: LabelService;
  private scheduleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly host: FloorHost) {
    const db = host.store.db;
    this.orders = new OrderStore(db);
    this.units = new UnitStore(db);
    this.floor = new FloorStore(db);
    this.shiftLog = new ShiftLogStore(db);
    this.labels = new LabelService(loadLabelTemplates(path.join(host.resourcesDir, 'labels')), this.printerConfig());
  }

  private now(): string {
    return isoTime(this.host.clock.now());
  }

  // ---- who is acting -------------------------------------------------------------------------

  /** The shift and operator an action is recorded with: the operator who signed in last at this station. */
  who(): Who {
    const shift = this.host.store.currentShift();
    if (!shift) return { shiftId: null, operator: null };
    const present = this.floor.presentOperators(shift.id);
    const active = this.host.store.getSetting('active_operator');
    return { shiftId: shift.id, operator: active && present.includes(active) ? active : (present.at(-1) ?? null) };
  }

  /** Operators on the open shift, for a new run's `operator`. */
  runOperator(shift: ShiftRecord): string | null {
    const present = this.floor.presentOperators(shift.id);
    const active = this.host.store.getSetting('active_operator');
    if (active && present.includes(active)) return active;
    return present.join(', ') || null;
  }

  recordAction(action: string, fields: { runId?: string | null; serial?: string | null; unitId?: string | null; detail?: string | null } = {}): void {
    this.floor.recordAction({ at: this.now(), action, ...this.who(), ...fields });
  }

  // ---- shifts --------------------------------------------------------------------------------

  /**
   * Signs an operator in by badge or name: opens the shift if none is open, or joins it. A badge
   * seen for the first time together with a name is registered to that name.
   */
  signIn(p: { name?: string | undefined; badge?: string | undefined }): { operator: string; shiftId: string; operators: string[] } {
    const now = this.now();
    let name = p.name?.trim();
    if (p.badge) {
      const owner = this.floor.operatorByBadge(p.badge);
      if (owner && name && owner !== name) throw new FloorError('conflict', `Ausweis ${p.badge} gehört ${owner}, nicht ${name}.`);
      if (!owner && !name) throw new FloorError('not_found', `Ausweis ${p.badge} ist noch keinem Namen zugeordnet: einmal mit Namen anmelden.`);
      if (!owner && name) this.floor.setBadge(name, p.badge, now);
      name = owner ?? name;
    }
    if (!name) throw new FloorError('bad_request', 'Give a name or scan a badge.');
    if (name === UNASSIGNED_OPERATOR) throw new FloorError('bad_request', `"${UNASSIGNED_OPERATOR}" is reserved for runs without an operator.`);
    const before = this.host.store.currentShift();
    const shift = this.host.store.openShift([name], now);
    // An automatically opened shift (operator "unassigned") becomes the first operator's shift.
    if (before && this.floor.presentOperators(shift.id).includes(UNASSIGNED_OPERATOR)) this.floor.leaveShift(shift.id, UNASSIGNED_OPERATOR, now);
    this.host.store.setSetting('active_operator', name);
    this.floor.recordAction({ at: now, action: 'sign-in', shiftId: shift.id, operator: name, detail: p.badge ? 'badge' : 'name' });
    this.host.shiftChanged();
    return { operator: name, shiftId: shift.id, operators: this.floor.presentOperators(shift.id) };
  }

  signOut(name: string): void {
    const shift = this.host.store.currentShift();
    if (!shift) throw new FloorError('conflict', 'No shift is open.');
    const now = this.now();
    if (!this.floor.leaveShift(shift.id, name, now)) throw new FloorError('not_found', `${name} is not signed in to shift ${shift.id}.`);
    this.floor.recordAction({ at: now, action: 'sign-out', shiftId: shift.id, operator: name });
    if (this.host.store.getSetting('active_operator') === name) this.host.store.setSetting('active_operator', '');
    this.host.shiftChanged();
  }

  /**
   * Closes a shift. Runs still in flight, and operators who signed in just before a scheduled
   * boundary, go on in the next shift (opened at once for them); nothing is counted twice.
   */
  closeShift(shiftId: string, reason: 'hand' | 'schedule'): ShiftRecord {
    const now = this.now();
    const shift = this.host.store.getShift(shiftId);
    if (!shift) throw new FloorError('not_found', `No shift ${shiftId}.`);
    if (shift.closedAt) throw new FloorError('conflict', `Shift ${shiftId} is already closed.`);
    const early = reason === 'schedule' ? this.earlyCrew(shift, this.host.clock.now()) : [];
    const inFlight = this.floor.inFlightRuns(shiftId);
    this.floor.recordAction({ at: now, action: 'shift-close', shiftId, operator: this.who().operator, detail: reason });
    const closed = this.host.store.closeShift(shiftId, now) as ShiftRecord;
    if (inFlight.length > 0 || early.length > 0) {
      const next = this.host.store.openShift(early.length ? early : [UNASSIGNED_OPERATOR], now);
      const operator = early.length ? early.join(', ') : null;
      for (const r of this.floor.carryOver(shiftId, next.id, operator, now)) this.host.moveLiveRun(r.runId, next.id, operator);
      this.host.logger.log('info', `shift ${shiftId} closed (${reason}); ${inFlight.length} runs handed over to ${next.id}`, { shiftId, next: next.id });
    }
    this.host.shiftChanged();
    return closed;
  }

  private earlyCrew(shift: ShiftRecord, boundary: number): string[] {
    const rows = this.host.store.db
      .prepare(`SELECT o.name, min(so.joined_at) AS joined FROM shift_operators so JOIN operators o ON o.id = so.operator_id
        WHERE so.shift_id = ? AND so.left_at IS NULL GROUP BY o.name`)
      .all(shift.id) as { name: string; joined: string }[];
    // Only the people who joined after the shift's own first sign-in can be the next crew.
    const first = Math.min(...rows.map((r) => Date.parse(r.joined)));
    return earlyJoiners(rows.filter((r) => Date.parse(r.joined) > first && r.name !== UNASSIGNED_OPERATOR).map((r) => ({ name: r.name, joinedAt: Date.parse(r.joined) })), boundary);
  }

  /** A failed run retried after its shift closed moves to the open shift, where its result will count. */
  adoptIntoCurrentShift(run: RunRecord): void {
    const shift = this.host.store.getShift(run.shiftId);
    if (!shift?.closedAt) return;
    const now = this.now();
    const open = this.host.store.currentShift();
    const current = open ?? this.host.store.ensureShift(now);
    if (!open) this.host.shiftChanged();
    const operator = this.runOperator(current);
    this.floor.moveRun(run.id, run.shiftId, current.id, run.state, operator, now);
    this.host.moveLiveRun(run.id, current.id, operator);
  }

  scheduleWindows(): string[] {
    const raw = this.host.store.getSetting('shift_schedule');
    return raw ? (JSON.parse(raw) as string[]) : [];
  }

  setScheduleWindows(windows: string[]): string[] {
    try {
      parseWindows(windows);
    } catch (err) {
      if (err instanceof ShiftScheduleError) throw new FloorError('bad_request', err.message);
      throw err;
    }
    this.host.store.setSetting('shift_schedule', JSON.stringify(windows));
    this.recordAction('shift-schedule', { detail: windows.join(', ') || '(none)' });
    this.checkSchedule();
    return windows;
  }

  /** Closes the open shift when the schedule says so; called every 20 s and after a schedule change. */
  checkSchedule(): void {
    const shift = this.host.store.currentShift();
    const windows = parseWindows(this.scheduleWindows());
    if (!shift || windows.length === 0) return;
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (isDue(Date.parse(shift.openedAt), this.host.clock.now(), windows, tz)) {
      const boundary = scheduledClose(Date.parse(shift.openedAt), windows, tz);
      this.host.logger.log('info', `shift ${shift.id} reached its scheduled end ${boundary === null ? '' : new Date(boundary).toISOString()}`);
      this.closeShift(shift.id, 'schedule');
    }
  }

  startScheduler(): void {
    if (this.scheduleTimer) return;
    this.scheduleTimer = setInterval(() => {
      try {
        this.checkSchedule();
      } catch (err) {
        this.host.logger.log('error', `shift schedule: ${(err as Error).message}`);
      }
    }, 20_000);
    this.scheduleTimer.unref();
  }

  stop(): void {
    if (this.scheduleTimer) clearInterval(this.scheduleTimer);
    this.scheduleTimer = null;
  }

  // ---- assignment ----------------------------------------------------------------------------

  currentBatch(): CurrentBatch | null {
    const raw = this.host.store.getSetting('current_batch');
    return raw ? (JSON.parse(raw) as CurrentBatch) : null;
  }

  setCurrentBatch(p: { orderId: string } | { blueprint: string; customer: string; school: string } | { clear: true }): CurrentBatch | null {
    let batch: CurrentBatch | null;
    if ('clear' in p) batch = null;
    else if ('orderId' in p) {
      const o = this.orders.getOrder(p.orderId);
      if (!o) throw new FloorError('not_found', `No order ${p.orderId}.`);
      batch = { orderId: o.id, blueprint: o.blueprint, customer: o.customer, school: o.school };
    } else {
      if (!this.host.blueprintByName(p.blueprint)) throw new FloorError('bad_request', `Unknown blueprint "${p.blueprint}"; this station has ${this.host.blueprintNames().join(', ')}.`);
      batch = { orderId: null, blueprint: p.blueprint, customer: p.customer, school: p.school };
    }
    this.host.store.setSetting('current_batch', batch ? JSON.stringify(batch) : '');
    this.recordAction('current-batch', { detail: batch ? `${batch.orderId ?? batch.blueprint} / ${batch.school}` : '(none)' });
    return batch;
  }

  /**
   * What a plugged device gets, with no click: its order's blueprint and school when its serial is
   * in an order; else the station's current batch; else, on a station without orders, the default
   * blueprint of its platform; else the tile asks.
   */
  assignmentFor(serial: string, platform: Platform): AssignmentResult {
    if (this.floor.isQuarantined(serial)) {
      return { ok: false, code: 'quarantined', message: `Gerät ${serial} ist in Quarantäne. Erst freigeben, dann neu einstecken.` };
    }
    const listed = this.orders.orderOfSerial(serial);
    if (listed) {
      const order = this.orders.getOrder(listed.orderId)!;
      const bp = this.host.blueprintByName(order.blueprint);
      if (!bp) return { ok: false, code: 'needs_assignment', message: `Auftrag ${order.id} verlangt Blueprint "${order.blueprint}", der an dieser Station fehlt.` };
      if (bp.blueprint.platform !== platform) {
        return { ok: false, code: 'needs_assignment', message: `Gerät ${serial} steht in Auftrag ${order.id} (${order.blueprint}, ${bp.blueprint.platform}), ist aber ein ${platform}-Gerät.` };
      }
      return { ok: true, assignment: { source: 'order', ...bp, blueprintId: bp.id, captured: this.orderCaptured(order.id, order.customer, order.school, listed.assetTag) } };
    }
    const batch = this.currentBatch();
    if (batch) {
      const bp = this.host.blueprintByName(batch.blueprint);
      if (bp && bp.blueprint.platform === platform) {
        return { ok: true, assignment: { source: 'batch', ...bp, blueprintId: bp.id, captured: this.orderCaptured(batch.orderId, batch.customer, batch.school, null) } };
      }
    }
    if (this.orders.listOrders().length === 0 && !batch) {
      const bp = this.host.defaultBlueprint(platform);
      if (bp) {
        const school = this.host.store.getSetting('default_school');
        return { ok: true, assignment: { source: 'default', ...bp, blueprintId: bp.id, captured: school ? { school } : {} } };
      }
    }
    return {
      ok: false,
      code: 'needs_assignment',
      message: batch
        ? `Gerät ${serial} steht in keinem Auftrag, und die aktuelle Charge (${batch.blueprint}) passt nicht zu ${platform}-Geräten: Auftrag wählen.`
        : `Gerät ${serial} steht in keinem Auftrag, und es ist keine Charge gewählt: Auftrag wählen.`,
    };
  }

  /** The tile's answer: this device belongs to that order (it joins the order's serials). */
  assignDevice(serial: string, orderId: string): void {
    const order = this.orders.getOrder(orderId);
    if (!order) throw new FloorError('not_found', `No order ${orderId}.`);
    const listed = this.orders.orderOfSerial(serial);
    if (listed && listed.orderId !== orderId) throw new FloorError('conflict', `Gerät ${serial} steht schon in Auftrag ${listed.orderId}.`);
    if (!listed) {
      this.host.store.db.prepare("INSERT INTO order_serials (serial, order_id, asset_tag, source) VALUES (?, ?, NULL, 'receipt')").run(serial, orderId);
    }
    this.recordAction('assign', { serial, detail: orderId });
    this.host.startWaitingDevice(serial);
  }

  private orderCaptured(orderId: string | null, customer: string, school: string, assetTag: string | null): Record<string, string> {
    const c: Record<string, string> = { customer, school };
    if (orderId) c.orderId = orderId;
    if (assetTag) c.assetTag = assetTag;
    return c;
  }

  // ---- orders --------------------------------------------------------------------------------

  importOrders(csv: string | Uint8Array, fileName: string | null): OrderImportReport {
    const who = this.who();
    const report = importOrderFile(this.orders, csv, { fileName, knownBlueprints: new Set(this.host.blueprintNames()), now: this.now(), ...who });
    this.floor.recordAction({ at: this.now(), action: report.ok ? 'orders-import' : 'orders-import-refused', ...who, detail: `${fileName ?? '(upload)'}: ${report.ok ? `${report.orders} orders, ${report.serials} serials` : `${report.issues.length} problems`}` });
    return report;
  }

  orderProgress(): OrderProgress[] {
    return this.orders.progress();
  }

  receiveSerial(serial: string, orderId: string | null): ReceiptResult {
    if (orderId && !this.orders.getOrder(orderId)) throw new FloorError('not_found', `No order ${orderId}.`);
    const r = this.orders.receive(serial, orderId, this.now(), this.who());
    this.recordAction('receipt', { serial, detail: `${r.status}${r.orderId ? ` ${r.orderId}` : ''}` });
    return r;
  }

  // ---- labels --------------------------------------------------------------------------------

  private printerConfig(): PrinterConfig {
    const raw = this.host.store.getSetting('label_printer');
    if (raw) {
      const parsed = printerConfigSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
      this.host.logger.log('warn', `the stored label printer setting is not valid (${parsed.error.message}); labels go to PDF files`);
    }
    return { kind: 'pdf-file', dir: path.join(this.host.dataDir, 'labels') };
  }

  autoPrint(): boolean {
    return this.host.store.getSetting('label_auto_print') !== 'false';
  }

  labelSettings(): { printer: PrinterConfig; description: string; templates: string[]; autoPrint: boolean } {
    return { printer: this.labels.printerConfig, description: this.labels.printerDescription, templates: this.labels.templateIds(), autoPrint: this.autoPrint() };
  }

  setLabelPrinter(config: PrinterConfig, autoPrint?: boolean): ReturnType<FloorOperations['labelSettings']> {
    this.host.store.setSetting('label_printer', JSON.stringify(config));
    if (autoPrint !== undefined) this.host.store.setSetting('label_auto_print', String(autoPrint));
    this.labels.setPrinter(config);
    this.recordAction('label-printer', { detail: this.labels.printerDescription });
    return this.labelSettings();
  }

  private labelValues(run: RunRecord): LabelValues {
    const device = this.host.store.getDevice(run.serial);
    const c = run.captured;
    return {
      ...c,
      serial: run.serial,
      model: c.model ?? device?.model,
      osVersion: c.osVersion ?? device?.osVersion ?? null,
      date: new Date(this.host.clock.now()).toLocaleDateString('de-DE'),
      runId: run.id,
    };
  }

  labelPreview(template: string, runId: string | undefined): { svg: string; zpl: string } {
    const values: LabelValues = runId
      ? this.labelValues(this.runRecord(runId))
      : { serial: 'DMPXA0000001', deviceName: 'GSN-001', school: 'Grundschule Nord', customer: 'Stadt Musterstadt', assetTag: 'INV-0001', orderId: 'MS-2026-001', unitId: 'U-0000-0001', count: 12, kindLabel: 'Karton' };
    try {
      return this.labels.preview(template, values);
    } catch (err) {
      if (err instanceof LabelTemplateError || err instanceof LabelValueMissingError) throw new FloorError('bad_request', err.message);
      throw err;
    }
  }

  private runRecord(runId: string): RunRecord {
    const r = this.host.liveRun(runId)?.record ?? this.host.store.getRun(runId);
    if (!r) throw new FloorError('not_found', `No run ${runId}.`);
    return r;
  }

  /**
   * The print-label step: printing is the station's job, not the device's. A label printed for
   * this run already (a step re-run after a crash) is not printed again; a reprint is explicit.
   */
  async printLabelStep(run: LiveRun, step: Extract<BlueprintStep, { type: 'print-label' }>): Promise<StepOutcome> {
    if (!this.autoPrint()) return { message: 'automatic label printing is off' };
    if (this.floor.labelPrinted(run.id)) return { message: 'label printed already' };
    await this.printDeviceLabel(run.record, step.params.template, true);
    return { message: `label printed on ${this.labels.printerDescription}` };
  }

  async reprint(runId: string): Promise<void> {
    const run = this.runRecord(runId);
    const template = this.labelTemplateOf(run);
    try {
      await this.printDeviceLabel(run, template, false);
    } catch (err) {
      if (err instanceof StepFailedError) throw new FloorError('conflict', err.message);
      throw err;
    }
    this.recordAction('reprint', { runId, serial: run.serial });
  }

  private labelTemplateOf(run: RunRecord): string {
    const bp = this.host.store.getBlueprint(run.blueprintId);
    const step = bp.steps.find((s) => s.type === 'print-label');
    return step?.type === 'print-label' ? step.params.template : 'device-asset';
  }

  private async printDeviceLabel(run: RunRecord, template: string, asStep: boolean): Promise<void> {
    const who = this.who();
    const base = { kind: 'device' as const, runId: run.id, unitId: null, serial: run.serial, template, printer: this.labels.printerDescription, at: this.now(), ...who };
    try {
      await this.labels.print(template, this.labelValues(run), `label-${run.serial}-${Date.now()}`);
      this.floor.recordLabelJob({ ...base, status: 'printed', error: null });
    } catch (err) {
      const known = err instanceof PrinterError || err instanceof LabelValueMissingError || err instanceof LabelTemplateError;
      this.floor.recordLabelJob({ ...base, status: 'failed', error: (err as Error).message });
      if (!known) throw err;
      this.host.logger.log('warn', `label for ${run.serial}: ${(err as Error).message}`, { runId: run.id });
      throw new StepFailedError(err instanceof PrinterError ? 'label.printer' : 'label.template', (err as Error).message, err instanceof PrinterError || !asStep);
    }
  }

  // ---- units ---------------------------------------------------------------------------------

  private unitOrThrow(id: string): UnitRecord {
    const u = this.units.get(id.trim());
    if (!u) throw new FloorError('not_found', `Einheit ${id} gibt es nicht.`);
    return u;
  }

  listUnits(state: 'open' | 'closed' | null): UnitRecord[] {
    return this.units.list(state);
  }

  unitDetail(id: string): { unit: UnitRecord; items: UnitItemRecord[] } {
    const unit = this.unitOrThrow(id);
    return { unit, items: this.units.items(unit.id) };
  }

  /** A new unit for one school: named, or taken from a finished device scanned first. */
  createUnit(p: { kind: UnitKind; school?: string | undefined; fromSerial?: string | undefined; capacity?: number | undefined }): UnitRecord {
    let school = p.school?.trim() ?? null;
    let customer: string | null = null;
    let orderId: string | null = null;
    if (p.fromSerial) {
      const run = this.host.store.latestRunForSerial(p.fromSerial);
      if (!run || run.state !== 'done') throw new FloorError('conflict', `Gerät ${p.fromSerial} ist nicht fertig; eine Einheit beginnt mit einem fertigen Gerät.`);
      if (!run.captured.school) throw new FloorError('conflict', `Gerät ${p.fromSerial} ist keiner Schule zugeordnet.`);
      if (school && school !== run.captured.school) throw new FloorError('conflict', `Gerät ${p.fromSerial} gehört zu Schule ${run.captured.school}, nicht zu ${school}.`);
      school = run.captured.school;
      customer = run.captured.customer ?? null;
      orderId = run.captured.orderId ?? null;
    }
    if (!school) throw new FloorError('bad_request', 'Give the school, or scan a finished device of it.');
    const seq = this.host.store.nextSequence('unit');
    const id = `U-${this.host.stationId.replace(/[^A-Za-z0-9]/g, '').slice(0, 4).toUpperCase()}-${String(seq).padStart(4, '0')}`;
    const unit = this.units.create({ id, kind: p.kind, school, customer, orderId, capacity: p.capacity ?? null }, this.who(), this.now());
    this.recordAction('unit-create', { unitId: id, detail: school });
    if (p.fromSerial) {
      const first = this.pack(id, p.fromSerial);
      if (!first.ok) throw new FloorError('conflict', first.message);
      return first.unit as UnitRecord;
    }
    return unit;
  }

  /** Scans a device into a unit; a device of another school or an unfinished one is refused with a clear message. */
  pack(unitId: string, serial: string): PackResult {
    return this.units.transaction((): PackResult => {
      const unit = this.unitOrThrow(unitId);
      const live = this.host.liveRunForSerial(serial);
      const run = live?.record ?? this.host.store.latestRunForSerial(serial);
      const verdict = checkPack(unit, {
        serial,
        run: run ? { id: run.id, state: run.state, school: run.captured.school ?? null } : null,
        quarantined: this.floor.isQuarantined(serial),
        currentUnit: this.units.unitOfSerial(serial),
      });
      if (!verdict.ok) {
        this.recordAction('pack-refused', { unitId: unit.id, serial, runId: run?.id ?? null, detail: verdict.refusal.code });
        return { ok: false, code: verdict.refusal.code, message: verdict.refusal.message };
      }
      if (!verdict.already) {
        this.units.addItem(unit.id, serial, run!.id, this.who(), this.now());
        this.recordAction('pack', { unitId: unit.id, serial, runId: run!.id });
      }
      return { ok: true, already: verdict.already, unit: this.units.get(unit.id)! };
    });
  }

  unpack(unitId: string, serial: string, reason: string): UnitRecord {
    const unit = this.unitOrThrow(unitId);
    if (unit.state === 'closed') throw new FloorError('conflict', `Einheit ${unit.id} ist geschlossen. Zum Ändern erst mit Begründung wieder öffnen.`);
    if (!this.units.removeItem(unit.id, serial, this.now())) throw new FloorError('not_found', `Gerät ${serial} ist nicht in Einheit ${unit.id}.`);
    this.recordAction('unpack', { unitId: unit.id, serial, detail: reason });
    return this.units.get(unit.id)!;
  }

  closeUnit(unitId: string): UnitRecord {
    const unit = this.unitOrThrow(unitId);
    if (unit.state === 'closed') return unit;
    if (unit.count === 0) throw new FloorError('conflict', `Einheit ${unit.id} ist leer; eine leere Einheit wird nicht geschlossen.`);
    this.units.setState(unit.id, 'closed', this.now());
    this.recordAction('unit-close', { unitId: unit.id, detail: `${unit.count} devices` });
    return this.units.get(unit.id)!;
  }

  /** Opens a closed unit again; the reason is logged with the operator. */
  reopenUnit(unitId: string, reason: string): UnitRecord {
    const unit = this.unitOrThrow(unitId);
    if (unit.state === 'open') return unit;
    this.units.setState(unit.id, 'open', this.now());
    this.recordAction('unit-reopen', { unitId: unit.id, detail: reason });
    return this.units.get(unit.id)!;
  }

  async printUnitLabel(unitId: string): Promise<void> {
    const unit = this.unitOrThrow(unitId);
    const who = this.who();
    const base = { kind: 'unit' as const, runId: null, unitId: unit.id, serial: null, template: 'unit', printer: this.labels.printerDescription, at: this.now(), ...who };
    try {
      await this.labels.print('unit', { unitId: unit.id, school: unit.school, customer: unit.customer, orderId: unit.orderId, count: unit.count, kindLabel: unit.kind === 'cart' ? 'Wagen' : 'Karton' }, `unit-${unit.id}`);
      this.floor.recordLabelJob({ ...base, status: 'printed', error: null });
    } catch (err) {
      this.floor.recordLabelJob({ ...base, status: 'failed', error: (err as Error).message });
      if (err instanceof PrinterError || err instanceof LabelTemplateError || err instanceof LabelValueMissingError) throw new FloorError('conflict', err.message);
      throw err;
    }
  }

  // ---- quarantine ----------------------------------------------------------------------------

  /** The technician sets a device aside: its run is cancelled and it goes to the quarantine / return list. */
  quarantineDevice(serial: string, reason: string): void {
    const live = this.host.liveRunForSerial(serial);
    const run = live?.record ?? this.host.store.latestRunForSerial(serial);
    if (!run && !this.host.store.getDevice(serial)) throw new FloorError('not_found', `Gerät ${serial} ist an dieser Station unbekannt.`);
    const added = this.floor.quarantine({ serial, runId: run?.id ?? null, kind: 'technician', step: run?.failedStep ?? null, reason, at: this.now(), ...this.who() });
    if (!added) throw new FloorError('conflict', `Gerät ${serial} ist schon in Quarantäne.`);
    if (live) this.host.cancelLiveRun(live.id);
    this.recordAction('quarantine', { serial, runId: run?.id ?? null, detail: reason });
  }

  releaseQuarantine(serial: string, note: string): void {
    if (!this.floor.release(serial, note, this.now())) throw new FloorError('not_found', `Gerät ${serial} ist nicht in Quarantäne.`);
    this.recordAction('quarantine-release', { serial, detail: note });
  }

  listQuarantine(includeReleased: boolean): QuarantineRecord[] {
    return this.floor.listQuarantine(includeReleased);
  }

  /** A run that failed a hardware check (a manual check, or a step named check-/hw-) goes to quarantine by itself. */
  afterTransition(t: RunTransition, run: LiveRun): void {
    if (t.state !== 'failed') return;
    const step = run.blueprint.steps[run.record.stepIndex];
    if (!step || !(step.type === 'manual-check' || HARDWARE_CHECK.test(step.id))) return;
    this.floor.quarantine({ serial: run.serial, runId: run.id, kind: 'hardware', step: step.id, reason: run.record.errorMessage ?? `Prüfung "${step.id}" nicht bestanden`, at: t.at, shiftId: run.shiftId, operator: run.record.operator });
  }

  // ---- export --------------------------------------------------------------------------------

  shiftLogSource(shift: ShiftRecord): StationShiftLogSource {
    return new StationShiftLogSource({ log: this.shiftLog, floor: this.floor, stationId: this.host.stationId, stationName: this.host.stationName() }, shift);
  }
}
