import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/logging/logger.js';
import { createFeatureServices, type FeatureHost, type FeatureServices } from '../../main/station/feature-services.js';
import { AppError } from '../../shared/contract/errors.js';
import { writeManifestCsv } from '../../main/units/unit-manifest.js';
import { checkPack } from '../../main/units/unit-rules.js';
import { formatMessage } from '../../shared/messages/format.js';
import { message } from '../../shared/messages/catalogue.js';
import { storedEventMessage } from '../../main/pipeline/step-event-text.js';
import { REPO, seedShift, tempDir, type SeededShift } from '../fixtures/shift-seed.js';

let tmp: ReturnType<typeof tempDir>;
let s: SeededShift;
let f: FeatureServices;
let now = Date.parse('2026-03-02T12:00:00.000Z');
const moved: [string, string][] = [];

beforeEach(() => {
  tmp = tempDir();
  s = seedShift(path.join(tmp.dir, 'station.db'), 60);
  moved.length = 0;
  const bp = s.store.getBlueprint(s.blueprintId);
  const host: FeatureHost = {
    store: s.store,
    stationId: 'ab12cd34-0000',
    clock: { now: () => now },
    logger: silentLogger,
    dataDir: tmp.dir,
    resourcesDir: path.join(REPO, 'resources'),
    stationName: () => 'Bank 3',
    blueprints: {
      byName: (name) => (name === bp.id ? { blueprint: bp, id: s.blueprintId } : null),
      defaultFor: (platform) => (platform === 'ios' ? { blueprint: bp, id: s.blueprintId } : null),
      names: () => [bp.id],
    },
    liveRun: () => undefined,
    liveRunForSerial: () => undefined,
    cancelLiveRun: () => undefined,
    moveLiveRun: (runId, shiftId) => void moved.push([runId, shiftId]),
    startWaitingDevice: () => undefined,
    startWaitingDevices: () => 0,
    shiftChanged: () => undefined,
    floorChanged: () => undefined,
  };
  f = createFeatureServices(host);
});
afterEach(() => {
  s.store.close();
  tmp.cleanup();
});

describe('packing rules', () => {
  const unit = { id: 'U-1', school: 'GS Nord', state: 'open' as const, capacity: 2, count: 0 };
  const done = { id: 'r', state: 'done' as const, school: 'GS Nord' };
  it('accepts a finished device of the unit school, once', () => {
    expect(checkPack(unit, { serial: 'S', run: done, quarantined: false, currentUnit: null })).toEqual({ ok: true, already: false });
    expect(checkPack(unit, { serial: 'S', run: done, quarantined: false, currentUnit: 'U-1' })).toEqual({ ok: true, already: true });
  });
  it.each([
    [{ run: { ...done, school: 'Gymnasium Süd' } }, 'other_school', 'Gerät S gehört zu Schule Gymnasium Süd, nicht zu GS Nord.'],
    [{ run: { ...done, state: 'running' as const } }, 'not_finished', 'Gerät S ist nicht fertig (läuft noch); nur fertige Geräte werden verpackt.'],
    [{ run: { ...done, state: 'failed' as const } }, 'not_finished', 'Gerät S ist nicht fertig (fehlgeschlagen); nur fertige Geräte werden verpackt.'],
    [{ run: null }, 'no_run', 'Gerät S wurde an dieser Station nicht eingerichtet.'],
    [{ quarantined: true }, 'quarantined', 'Gerät S ist in Quarantäne und darf nicht verpackt werden.'],
    [{ currentUnit: 'U-9' }, 'in_other_unit', 'Gerät S liegt schon in Einheit U-9; erst dort entnehmen.'],
  ])('refuses %o with %s', (patch, code, message) => {
    const r = checkPack(unit, { serial: 'S', run: done, quarantined: false, currentUnit: null, ...patch });
    // The refusal is a catalogue message; its German rendering is the text the floor read before.
    expect(r).toMatchObject({ ok: false, refusal: { code } });
    expect(r.ok ? null : formatMessage(r.refusal.text, 'de')).toBe(message);
  });
  it('refuses a closed or full unit', () => {
    expect(checkPack({ ...unit, state: 'closed' }, { serial: 'S', run: done, quarantined: false, currentUnit: null })).toMatchObject({
      ok: false,
      refusal: { code: 'unit_closed' },
    });
    expect(checkPack({ ...unit, count: 2 }, { serial: 'S', run: done, quarantined: false, currentUnit: null })).toMatchObject({
      ok: false,
      refusal: { code: 'unit_full' },
    });
  });
});

describe('units on the station', () => {
  it('creates a unit from a finished device, packs, refuses, closes, reopens with a logged reason; manifest lists the serials', async () => {
    // seeded: run i is school SCHOOLS[i % 4]; runs 0, 4, 8 are done at "GS Nord"; run 9 failed
    const unit = f.packing.createUnit({ kind: 'cart', fromSerial: 'DMPX00000000' });
    expect(unit).toMatchObject({ id: 'U-AB12-0001', school: 'GS Nord', customer: 'Stadt Musterstadt', count: 1, state: 'open' });
    expect(f.packing.pack(unit.id, 'DMPX00000004')).toMatchObject({ ok: true, already: false });
    const refused = f.packing.pack(unit.id, 'DMPX00000001');
    expect(refused).toMatchObject({ ok: false, code: 'other_school', text: { code: 'pack.other-school' } });
    expect(refused.ok ? null : formatMessage(refused.text!, 'de')).toBe('Gerät DMPX00000001 gehört zu Schule Gymnasium Süd, nicht zu GS Nord.');
    expect(refused.ok ? null : refused.message).toBe(refused.ok ? null : formatMessage(refused.text!, 'en'));
    expect(f.packing.pack(unit.id, 'DMPX00000009')).toMatchObject({ ok: false, code: 'not_finished' });
    const other = f.packing.createUnit({ kind: 'box', school: 'GS Nord' });
    expect(f.packing.pack(other.id, 'DMPX00000004')).toMatchObject({ ok: false, code: 'in_other_unit' });
    expect(f.packing.closeUnit(unit.id).state).toBe('closed');
    expect(f.packing.pack(unit.id, 'DMPX00000008')).toMatchObject({ ok: false, code: 'unit_closed' });
    expect(thrownText(() => f.packing.closeUnit(other.id))).toMatch(/leer/);
    expect(f.packing.reopenUnit(unit.id, 'Gerät fehlte').state).toBe('open');
    const log = f.floorStore
      .actionsOfShift(s.shiftId)
      .filter((a) => a.unitId === unit.id)
      .map((a) => [a.action, a.detail]);
    expect(log).toContainEqual(['unit-reopen', 'Gerät fehlte']);
    expect(log).toContainEqual(['pack-refused', 'other_school']);
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (c: Buffer) => chunks.push(c));
    const { unit: u, items } = f.packing.unitDetail(unit.id);
    await writeManifestCsv(u, items, out, 'rfc4180', 'UTC');
    const rows = parse<Record<string, string>>(Buffer.concat(chunks).toString(), { columns: true });
    expect(rows.map((r) => [r.unit_id, r.serial, r.school, r.device_name])).toEqual([
      [unit.id, 'DMPX00000000', 'GS Nord', 'GSN-000'],
      [unit.id, 'DMPX00000004', 'GS Nord', 'GSN-004'],
    ]);
  });
});

describe('operators and shifts', () => {
  it('signs in by name, registers a badge, then signs in by badge alone', () => {
    expect(f.operators.signIn({ name: 'Ben', badge: 'B-0042' })).toMatchObject({ operator: 'Ben', shiftId: s.shiftId });
    expect(f.operators.signIn({ badge: 'B-0042' }).operator).toBe('Ben');
    expect(thrownText(() => f.operators.signIn({ badge: 'B-9999' }))).toMatch(/keinem Namen zugeordnet/);
    expect(thrownText(() => f.operators.signIn({ name: 'Cem', badge: 'B-0042' }))).toMatch(/gehört Ben/);
    expect(f.operators.who()).toEqual({ shiftId: s.shiftId, operator: 'Ben' });
    f.operators.signOut('Ben');
    expect(f.floorStore.presentOperators(s.shiftId)).toEqual(['Anna Müller']);
  });

  it('closing by hand hands the runs in flight to a new shift; closing at the schedule keeps the early crew', () => {
    const closed = f.shifts.closeShift(s.shiftId, 'hand');
    expect(closed.closedAt).not.toBeNull();
    const next = s.store.currentShift()!;
    expect(next.id).not.toBe(s.shiftId);
    expect(moved.map(([r]) => r).sort()).toEqual(['run-000024']);
    expect(s.store.getRun('run-000024')!.shiftId).toBe(next.id);
    expect(() => f.shifts.closeShift(s.shiftId, 'hand')).toThrow(AppError);

    // The next shift runs to 14:00 local; at 12:45Z (13:45 CET) Cem signs in early for the late shift.
    f.shifts.setScheduleWindows(['06:00-14:00', '14:00-22:00']);
    f.operators.signIn({ name: 'Dora' });
    now = Date.parse('2026-03-02T12:45:00.000Z');
    f.operators.signIn({ name: 'Cem' });
    now = Date.parse('2026-03-02T13:00:00.000Z');
    process.env.TZ = 'Europe/Berlin';
    try {
      f.shifts.checkSchedule();
    } finally {
      delete process.env.TZ;
    }
    const late = s.store.currentShift()!;
    expect(late.id).not.toBe(next.id);
    expect(s.store.getShift(next.id)!.closedAt).toBe('2026-03-02T13:00:00.000Z');
    expect(f.floorStore.presentOperators(late.id)).toEqual(['Cem']);
    expect(s.store.getRun('run-000024')!.shiftId).toBe(late.id);
  });

  it('refuses a malformed schedule', () => {
    expect(thrownText(() => f.shifts.setScheduleWindows(['6-14']))).toMatch(/06:00-14:00/);
  });
});

describe('assignment and quarantine', () => {
  it('order serial -> its blueprint and school; else batch; else default without orders; else ask', () => {
    expect(f.assignment.assignmentFor('NEW0001', 'ios')).toMatchObject({ ok: true, assignment: { source: 'default' } });
    f.receipt.importOrders('customer,school,order_id,blueprint,deadline,serial,quantity\nStadt,GS Ost,O-1,school-ipad,2026-08-31,NEW0002,\n', 'o.csv');
    expect(f.assignment.assignmentFor('NEW0002', 'ios')).toMatchObject({
      ok: true,
      assignment: { source: 'order', captured: { school: 'GS Ost', customer: 'Stadt', orderId: 'O-1' } },
    });
    expect(f.assignment.assignmentFor('NEW0002', 'android')).toMatchObject({ ok: false, code: 'needs_assignment' });
    expect(f.assignment.assignmentFor('NEW0001', 'ios')).toMatchObject({ ok: false, code: 'needs_assignment' });
    f.assignment.setCurrentBatch({ orderId: 'O-1' });
    expect(f.assignment.assignmentFor('NEW0001', 'ios')).toMatchObject({
      ok: true,
      assignment: { source: 'batch', captured: { school: 'GS Ost', orderId: 'O-1' } },
    });
    f.quarantine.quarantineDevice('DMPX00000009', 'Display gesprungen');
    expect(f.assignment.assignmentFor('DMPX00000009', 'ios')).toMatchObject({ ok: false, code: 'quarantined' });
    expect(thrownText(() => f.quarantine.quarantineDevice('DMPX00000009', 'nochmal'))).toMatch(/schon in Quarantäne/);
    expect(f.quarantine.listQuarantine(false).map((q) => [q.serial, q.kind, q.reason, q.school])).toEqual([
      ['DMPX00000009', 'technician', 'Display gesprungen', 'Gymnasium Süd'],
    ]);
    f.quarantine.releaseQuarantine('DMPX00000009', 'Display getauscht');
    expect(f.quarantine.listQuarantine(false)).toEqual([]);
    expect(f.quarantine.listQuarantine(true)[0]).toMatchObject({ releaseNote: 'Display getauscht' });
  });
});

describe('quarantine after a failed hardware check', () => {
  it("stores the check's cause as a catalogue message, listed in both languages; older prose rows still show", () => {
    const bp = s.store.getBlueprint(s.blueprintId);
    const record = s.store.getRun('run-000009')!;
    const checkBlueprint = { ...bp, steps: [{ ...bp.steps[0]!, id: 'check-battery' }] };
    const cause = storedEventMessage(message('wait.battery', { percent: 12 }));
    const run = {
      id: record.id,
      serial: record.serial,
      shiftId: record.shiftId,
      slot: record.slot,
      blueprintId: s.blueprintId,
      blueprint: checkBlueprint,
      startedAt: record.startedAt,
      record: { ...record, stepIndex: 0 },
      progress: null,
      waiting: null,
    };
    const transition = {
      runId: record.id,
      serial: record.serial,
      shiftId: record.shiftId,
      state: 'failed' as const,
      phase: 'failed' as const,
      step: 'check-battery',
      stepIndex: 0,
      at: '2026-03-02T12:00:00.000Z',
      events: [{ stepIndex: 0, step: 'check-battery', kind: 'fail' as const, attempt: 1, message: cause }],
    };
    f.quarantine.afterTransition(transition, run);
    // A row written before the catalogue: English prose, shown as it is.
    s.floor.quarantine({
      serial: 'DMPX00000019',
      runId: null,
      kind: 'hardware',
      step: 'check-boot',
      reason: 'Battery below 20 %.',
      at: '2026-03-02T11:00:00.000Z',
      shiftId: null,
      operator: null,
    });
    const list = f.quarantine.listQuarantine(false);
    const checked = list.find((q) => q.serial === record.serial)!;
    expect(checked).toMatchObject({ kind: 'hardware', step: 'check-battery', reasonText: { code: 'wait.battery', params: { percent: 12 } } });
    expect(checked.reason).toBe(formatMessage(message('wait.battery', { percent: 12 }), 'en'));
    expect(formatMessage(checked.reasonText!, 'de')).not.toBe(checked.reason);
    expect(list.find((q) => q.serial === 'DMPX00000019')).toMatchObject({ reason: 'Battery below 20 %.', reasonText: null });
  });
});

/** What a person reads of the error `fn` throws: its catalogue message rendered in German (the station's default). */
function thrownText(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError && err.text) return formatMessage(err.text, 'de');
    if (err instanceof Error && 'text' in err) return formatMessage((err as Error & { text: Parameters<typeof formatMessage>[0] }).text, 'de');
    throw err;
  }
  return 'no error';
}
