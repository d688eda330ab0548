import { formatMessage } from '../../shared/messages/format.js';
import { message } from '../../shared/messages/catalogue.js';
import { AppError } from '../../shared/contract/errors.js';
import type { PackResult } from '../../shared/contract/floor-api.js';
import type { LabelPrinting } from '../labels/label-printing.js';
import { isoTime, type Clock } from '../pipeline/clock.js';
import type { LiveRun } from '../pipeline/run-controller.js';
import type { Operators } from '../shifts/operators.js';
import type { FloorStore } from '../store/floor-store.js';
import type { StationStore } from '../store/station-store.js';
import type { UnitItemRecord, UnitKind, UnitRecord, UnitStore } from '../store/unit-store.js';
import { checkPack, type PackRefusal } from './unit-rules.js';

export interface PackingDeps {
  readonly store: StationStore;
  readonly units: UnitStore;
  readonly floorStore: FloorStore;
  readonly operators: Operators;
  readonly labelPrinting: LabelPrinting;
  readonly clock: Clock;
  readonly stationId: string;
  liveRunForSerial(serial: string): LiveRun | undefined;
}

/** Packing units (boxes, carts) of one school: create, pack and unpack devices, close, reopen, print the unit label. */
export class Packing {
  constructor(private readonly deps: PackingDeps) {}

  private now(): string {
    return isoTime(this.deps.clock.now());
  }

  private unitOrThrow(id: string): UnitRecord {
    const u = this.deps.units.get(id.trim());
    if (!u) throw new AppError('not_found', message('unit.not-found', { unitId: id }));
    return u;
  }

  /** The unit with this id (a scanned unit label), or null. */
  findUnit(id: string): UnitRecord | null {
    return this.deps.units.get(id.trim());
  }

  listUnits(state: 'open' | 'closed' | null): UnitRecord[] {
    return this.deps.units.list(state);
  }

  unitDetail(id: string): { unit: UnitRecord; items: UnitItemRecord[] } {
    const unit = this.unitOrThrow(id);
    return { unit, items: this.deps.units.items(unit.id) };
  }

  /** A new unit for one school: named, or taken from a finished device scanned first. */
  createUnit(p: { kind: UnitKind; school?: string | undefined; fromSerial?: string | undefined; capacity?: number | undefined }): UnitRecord {
    let school = p.school?.trim() ?? null;
    let customer: string | null = null;
    let orderId: string | null = null;
    if (p.fromSerial) {
      const run = this.deps.store.latestRunForSerial(p.fromSerial);
      if (!run || run.state !== 'done') throw new AppError('conflict', message('unit.from-unfinished', { serial: p.fromSerial }));
      if (!run.captured.school) throw new AppError('conflict', message('unit.from-no-school', { serial: p.fromSerial }));
      if (school && school !== run.captured.school)
        throw new AppError('conflict', message('unit.from-other-school', { serial: p.fromSerial, school: run.captured.school, given: school }));
      school = run.captured.school;
      customer = run.captured.customer ?? null;
      orderId = run.captured.orderId ?? null;
    }
    if (!school) throw new AppError('bad_request', message('unit.school-missing'));
    const seq = this.deps.store.nextSequence('unit');
    const id = `U-${this.deps.stationId
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 4)
      .toUpperCase()}-${String(seq).padStart(4, '0')}`;
    const unit = this.deps.units.create({ id, kind: p.kind, school, customer, orderId, capacity: p.capacity ?? null }, this.deps.operators.who(), this.now());
    this.deps.operators.recordAction('unit-create', { unitId: id, detail: school });
    if (p.fromSerial) {
      const first = this.packOrRefuse(id, p.fromSerial);
      if (!first.ok) throw new AppError('conflict', first.refusal.text);
      return first.unit;
    }
    return unit;
  }

  /** Scans a device into a unit; a device of another school or an unfinished one is refused with a clear message. */
  pack(unitId: string, serial: string): PackResult {
    const r = this.packOrRefuse(unitId, serial);
    if (r.ok) return r;
    return { ok: false, code: r.refusal.code, message: formatMessage(r.refusal.text, 'en'), text: r.refusal.text };
  }

  private packOrRefuse(unitId: string, serial: string): { ok: true; already: boolean; unit: UnitRecord } | { ok: false; refusal: PackRefusal } {
    const { units, operators } = this.deps;
    return units.transaction(() => {
      const unit = this.unitOrThrow(unitId);
      const live = this.deps.liveRunForSerial(serial);
      const run = live?.record ?? this.deps.store.latestRunForSerial(serial);
      const verdict = checkPack(unit, {
        serial,
        run: run ? { id: run.id, state: run.state, school: run.captured.school ?? null } : null,
        quarantined: this.deps.floorStore.isQuarantined(serial),
        currentUnit: units.unitOfSerial(serial),
      });
      if (!verdict.ok) {
        operators.recordAction('pack-refused', { unitId: unit.id, serial, runId: run?.id ?? null, detail: verdict.refusal.code });
        return { ok: false as const, refusal: verdict.refusal };
      }
      if (!verdict.already) {
        units.addItem(unit.id, serial, run!.id, operators.who(), this.now());
        operators.recordAction('pack', { unitId: unit.id, serial, runId: run!.id });
      }
      return { ok: true as const, already: verdict.already, unit: units.get(unit.id)! };
    });
  }

  unpack(unitId: string, serial: string, reason: string): UnitRecord {
    const unit = this.unitOrThrow(unitId);
    if (unit.state === 'closed') throw new AppError('conflict', message('unit.locked', { unitId: unit.id }));
    if (!this.deps.units.removeItem(unit.id, serial, this.now())) throw new AppError('not_found', message('unit.not-in-unit', { serial, unitId: unit.id }));
    this.deps.operators.recordAction('unpack', { unitId: unit.id, serial, detail: reason });
    return this.deps.units.get(unit.id)!;
  }

  closeUnit(unitId: string): UnitRecord {
    const unit = this.unitOrThrow(unitId);
    if (unit.state === 'closed') return unit;
    if (unit.count === 0) throw new AppError('conflict', message('unit.empty', { unitId: unit.id }));
    this.deps.units.setState(unit.id, 'closed', this.now());
    this.deps.operators.recordAction('unit-close', { unitId: unit.id, detail: `${unit.count} devices` });
    return this.deps.units.get(unit.id)!;
  }

  /** Opens a closed unit again; the reason is logged with the operator. */
  reopenUnit(unitId: string, reason: string): UnitRecord {
    const unit = this.unitOrThrow(unitId);
    if (unit.state === 'open') return unit;
    this.deps.units.setState(unit.id, 'open', this.now());
    this.deps.operators.recordAction('unit-reopen', { unitId: unit.id, detail: reason });
    return this.deps.units.get(unit.id)!;
  }

  async printUnitLabel(unitId: string): Promise<void> {
    await this.deps.labelPrinting.printUnitLabel(this.unitOrThrow(unitId));
  }
}
