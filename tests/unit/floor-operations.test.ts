import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/logging/logger.js';
import { FloorError, FloorOperations, type FloorHost } from '../../main/station/floor-operations.js';
import { writeManifestCsv } from '../../main/units/unit-manifest.js';
import { checkPack } from '../../main/units/unit-rules.js';
import { formatMessage } from '../../shared/messages/format.js';
import { REPO, seedShift, tempDir, type SeededShift } from '../fixtures/shift-seed.js';

let tmp: ReturnType<typeof tempDir>;
let s: SeededShift;
let floor: FloorOperations;
let now = Date.parse('2026-03-02T12:00:00.000Z');
const moved: [string, string][] = [];

beforeEach(() => {
  tmp = tempDir();
  s = seedShift(path.join(tmp.dir, 'station.db'), 60);
  moved.length = 0;
  const bp = s.store.getBlueprint(s.blueprintId);
  const host: FloorHost = {
    store: s.store,
    stationId: 'ab12cd34-0000',
    clock: { now: () => now },
    logger: silentLogger,
    dataDir: tmp.dir,
    resourcesDir: path.join(REPO, 'resources'),
    stationName: () => 'Bank 3',
    blueprintByName: (name) => (name === bp.id ? { blueprint: bp, id: s.blueprintId } : null),
    defaultBlueprint: (platform) => (platform === 'ios' ? { blueprint: bp, id: s.blueprintId } : null),
    blueprintNames: () => [bp.id],
    liveRun: () => undefined,
    liveRunForSerial: () => undefined,
    cancelLiveRun: () => undefined,
    moveLiveRun: (runId, shiftId) => void moved.push([runId, shiftId]),
    startWaitingDevice: () => undefined,
    shiftChanged: () => undefined,
  };
  floor = new FloorOperations(host);
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
    expect(r).toMatchObject({ ok: false, refusal: { code, message } });
    expect(r.ok ? null : formatMessage(r.refusal.text, 'de')).toBe(message);
  });
  it('refuses a closed or full unit', () => {
    expect(checkPack({ ...unit, state: 'closed' }, { serial: 'S', run: done, quarantined: false, currentUnit: null })).toMatchObject({ ok: false, refusal: { code: 'unit_closed' } });
    expect(checkPack({ ...unit, count: 2 }, { serial: 'S', run: done, quarantined: false, currentUnit: null })).toMatchObject({ ok: false, refusal: { code: 'unit_full' } });
  });
});

describe('units on the station', () => {
  it('creates a unit from a finished device, packs, refuses, closes, reopens with a logged reason; manifest lists the serials', async () => {
    // seeded: run i is school SCHOOLS[i % 4]; runs 0, 4, 8 are done at "GS Nord"; run 9 failed
    const unit = floor.createUnit({ kind: 'cart', fromSerial: 'DMPX00000000' });
    expect(unit).toMatchObject({ id: 'U-AB12-0001', school: 'GS Nord', customer: 'Stadt Musterstadt', count: 1, state: 'open' });
    expect(floor.pack(unit.id, 'DMPX00000004')).toMatchObject({ ok: true, already: false });
    expect(floor.pack(unit.id, 'DMPX00000001')).toEqual({ ok: false, code: 'other_school', message: 'Gerät DMPX00000001 gehört zu Schule Gymnasium Süd, nicht zu GS Nord.' });
    expect(floor.pack(unit.id, 'DMPX00000009')).toMatchObject({ ok: false, code: 'not_finished' });
    const other = floor.createUnit({ kind: 'box', school: 'GS Nord' });
    expect(floor.pack(other.id, 'DMPX00000004')).toMatchObject({ ok: false, code: 'in_other_unit' });
    expect(floor.closeUnit(unit.id).state).toBe('closed');
    expect(floor.pack(unit.id, 'DMPX00000008')).toMatchObject({ ok: false, code: 'unit_closed' });
    expect(() => floor.closeUnit(other.id)).toThrow(/leer/);
    expect(floor.reopenUnit(unit.id, 'Gerät fehlte').state).toBe('open');
    const log = floor.floor.actionsOfShift(s.shiftId).filter((a) => a.unitId === unit.id).map((a) => [a.action, a.detail]);
    expect(log).toContainEqual(['unit-reopen', 'Gerät fehlte']);
    expect(log).toContainEqual(['pack-refused', 'other_school']);
    const chunks: Buffer[] = [];
    const out = new PassThrough();
    out.on('data', (c: Buffer) => chunks.push(c));
    const { unit: u, items } = floor.unitDetail(unit.id);
    await writeManifestCsv(u, items, out, 'rfc4180', 'UTC');
    const rows = parse(Buffer.concat(chunks).toString(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.unit_id, r.serial, r.school, r.device_name])).toEqual([
      [unit.id, 'DMPX00000000', 'GS Nord', 'GSN-000'],
      [unit.id, 'DMPX00000004', 'GS Nord', 'GSN-004'],
    ]);
  });
});

describe('operators and shifts', () => {
  it('signs in by name, registers a badge, then signs in by badge alone', () => {
    expect(floor.signIn({ name: 'Ben', badge: 'B-0042' })).toMatchObject({ operator: 'Ben', shiftId: s.shiftId });
    expect(floor.signIn({ badge: 'B-0042' }).operator).toBe('Ben');
    expect(() => floor.signIn({ badge: 'B-9999' })).toThrow(/keinem Namen zugeordnet/);
    expect(() => floor.signIn({ name: 'Cem', badge: 'B-0042' })).toThrow(/gehört Ben/);
    expect(floor.who()).toEqual({ shiftId: s.shiftId, operator: 'Ben' });
    floor.signOut('Ben');
    expect(floor.floor.presentOperators(s.shiftId)).toEqual(['Anna Müller']);
  });

  it('closing by hand hands the runs in flight to a new shift; closing at the schedule keeps the early crew', () => {
    const closed = floor.closeShift(s.shiftId, 'hand');
    expect(closed.closedAt).not.toBeNull();
    const next = s.store.currentShift()!;
    expect(next.id).not.toBe(s.shiftId);
    expect(moved.map(([r]) => r).sort()).toEqual(['run-000024']);
    expect(s.store.getRun('run-000024')!.shiftId).toBe(next.id);
    expect(() => floor.closeShift(s.shiftId, 'hand')).toThrow(FloorError);

    // The next shift runs to 14:00 local; at 12:45Z (13:45 CET) Cem signs in early for the late shift.
    floor.setScheduleWindows(['06:00-14:00', '14:00-22:00']);
    floor.signIn({ name: 'Dora' });
    now = Date.parse('2026-03-02T12:45:00.000Z');
    floor.signIn({ name: 'Cem' });
    now = Date.parse('2026-03-02T13:00:00.000Z');
    process.env.TZ = 'Europe/Berlin';
    try {
      floor.checkSchedule();
    } finally {
      delete process.env.TZ;
    }
    const late = s.store.currentShift()!;
    expect(late.id).not.toBe(next.id);
    expect(s.store.getShift(next.id)!.closedAt).toBe('2026-03-02T13:00:00.000Z');
    expect(floor.floor.presentOperators(late.id)).toEqual(['Cem']);
    expect(s.store.getRun('run-000024')!.shiftId).toBe(late.id);
  });

  it('refuses a malformed schedule', () => {
    expect(() => floor.setScheduleWindows(['6-14'])).toThrow(/06:00-14:00/);
  });
});

describe('assignment and quarantine', () => {
  it('order serial -> its blueprint and school; else batch; else default without orders; else ask', () => {
    expect(floor.assignmentFor('NEW0001', 'ios')).toMatchObject({ ok: true, assignment: { source: 'default' } });
    floor.importOrders('customer,school,order_id,blueprint,deadline,serial,quantity\nStadt,GS Ost,O-1,school-ipad,2026-08-31,NEW0002,\n', 'o.csv');
    expect(floor.assignmentFor('NEW0002', 'ios')).toMatchObject({ ok: true, assignment: { source: 'order', captured: { school: 'GS Ost', customer: 'Stadt', orderId: 'O-1' } } });
    expect(floor.assignmentFor('NEW0002', 'android')).toMatchObject({ ok: false, code: 'needs_assignment' });
    expect(floor.assignmentFor('NEW0001', 'ios')).toMatchObject({ ok: false, code: 'needs_assignment' });
    floor.setCurrentBatch({ orderId: 'O-1' });
    expect(floor.assignmentFor('NEW0001', 'ios')).toMatchObject({ ok: true, assignment: { source: 'batch', captured: { school: 'GS Ost', orderId: 'O-1' } } });
    floor.quarantineDevice('DMPX00000009', 'Display gesprungen');
    expect(floor.assignmentFor('DMPX00000009', 'ios')).toMatchObject({ ok: false, code: 'quarantined' });
    expect(() => floor.quarantineDevice('DMPX00000009', 'nochmal')).toThrow(/schon in Quarantäne/);
    expect(floor.listQuarantine(false).map((q) => [q.serial, q.kind, q.reason, q.school])).toEqual([['DMPX00000009', 'technician', 'Display gesprungen', 'Gymnasium Süd']]);
    floor.releaseQuarantine('DMPX00000009', 'Display getauscht');
    expect(floor.listQuarantine(false)).toEqual([]);
    expect(floor.listQuarantine(true)[0]).toMatchObject({ releaseNote: 'Display getauscht' });
  });
});
