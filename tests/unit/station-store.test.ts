import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MigrationError, openDatabase } from '../../main/store/database.js';
import { STATION_MIGRATIONS } from '../../main/store/migrations/index.js';
import type { RunPatch, StepEventInput } from '../../main/store/records.js';
import type { OutboxEvent } from '../../shared/contract/outbox-events.js';
import { ShiftLogStore } from '../../main/store/shift-log-store.js';
import { BlueprintVersionConflictError, StationStore, UNASSIGNED_OPERATOR } from '../../main/store/station-store.js';
import { stepsOfRun } from '../../main/export/station-shift-source.js';
import { runDetail } from '../../main/station/run-views.js';
import { dump, queuedRun, tempDir, testBlueprint, testDevice, testOutboxEvent } from '../fixtures/store-helpers.js';

const T0 = '2026-03-02T08:00:00.000Z';
const T1 = '2026-03-02T08:00:01.000Z';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function userVersion(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('migrations', () => {
  const m1 = 'CREATE TABLE t (v INTEGER NOT NULL)';
  const m2 = 'INSERT INTO t (v) VALUES (2)';
  const m3 = 'ALTER TABLE t ADD COLUMN w INTEGER NOT NULL DEFAULT 3';

  it('are applied in order and recorded in user_version', () => {
    const file = path.join(tmp.dir, 'm.db');
    const db = openDatabase(file, [m1, m2, m3]);
    expect(db.prepare('SELECT v, w FROM t').all()).toEqual([{ v: 2, w: 3 }]);
    db.close();
    expect(userVersion(file)).toBe(3);
  });

  it('are idempotent: opening again applies nothing twice', () => {
    const file = path.join(tmp.dir, 'm.db');
    openDatabase(file, [m1, m2]).close();
    const db = openDatabase(file, [m1, m2]);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    db.close();
  });

  it('a newer build applies only the migrations it adds', () => {
    const file = path.join(tmp.dir, 'm.db');
    openDatabase(file, [m1, m2]).close();
    const db = openDatabase(file, [m1, m2, m3]);
    expect(db.prepare('SELECT v, w FROM t').all()).toEqual([{ v: 2, w: 3 }]);
    db.close();
    expect(userVersion(file)).toBe(3);
  });

  it('a failing migration leaves the database at the last good schema', () => {
    const file = path.join(tmp.dir, 'm.db');
    expect(() => openDatabase(file, [m1, 'CREATE TABLE u (x INTEGER); INSERT INTO no_such_table VALUES (1)'])).toThrow();
    expect(userVersion(file)).toBe(1);
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'u'").all()).toEqual([]);
    db.close();
  });

  it('a database from a newer Benchline is refused and left as it is', () => {
    const file = path.join(tmp.dir, 'm.db');
    openDatabase(file, [m1, m2, m3]).close();
    expect(() => openDatabase(file, [m1, m2])).toThrow(MigrationError);
    expect(() => openDatabase(file, [m1, m2])).toThrow(/newer/);
    expect(userVersion(file)).toBe(3);
  });

  it('the station schema opens with WAL, synchronous=FULL and foreign keys, and reopens cleanly', () => {
    const file = path.join(tmp.dir, 'station.db');
    new StationStore(file).close();
    const store = new StationStore(file);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('user_version', { simple: true })).toBe(STATION_MIGRATIONS.length);
    store.close();
  });
});

describe('StationStore', () => {
  let store: StationStore;
  let file: string;
  let blueprintId: number;
  let shiftId: string;

  beforeEach(() => {
    file = path.join(tmp.dir, 'station.db');
    store = new StationStore(file);
    blueprintId = store.saveBlueprint(testBlueprint([{ id: 'a' }, { id: 'b' }]), null, T0);
    shiftId = store.ensureShift(T0).id;
    store.upsertDevice(testDevice('SER1'), T0);
    store.upsertDevice(testDevice('SER2'), T0);
  });
  afterEach(() => store.close());

  const created: StepEventInput = { stepIndex: null, step: null, kind: 'created', attempt: 1, message: null };
  const outbox = (n: number) => testOutboxEvent(n);
  const running: RunPatch = {
    state: 'running',
    phase: 'running',
    stepIndex: 0,
    attempt: 1,
    attemptsTotal: 1,
    deadlineAt: 12345,
    waitingReason: null,
    waitingMessage: null,
    errorCode: null,
    errorMessage: null,
    failedStep: null,
    captured: { a: '1' },
    finishedAt: null,
  };
  const startA: StepEventInput = { stepIndex: 0, step: 'a', kind: 'start', attempt: 1, message: null };

  function createRun(id: string, serial: string): void {
    store.createRun(queuedRun(id, serial, blueprintId, shiftId, T0), created, outbox(0));
  }

  it('createRun writes the run, its created event and one outbox record', () => {
    const outboxBefore = dump(store).outbox.length;
    createRun('r1', 'SER1');
    const d = dump(store);
    expect(d.runs).toHaveLength(1);
    expect(store.stepEvents('r1').map((e) => e.kind)).toEqual(['created']);
    expect(d.outbox).toHaveLength(outboxBefore + 1);
  });

  it('commitTransition writes the patch, every event and one outbox record', () => {
    createRun('r1', 'SER1');
    const outboxBefore = dump(store).outbox.length;
    store.commitTransition('r1', shiftId, running, [startA, { ...startA, kind: 'waiting', message: 'trust' }], outbox(1), T1);
    const run = store.getRun('r1')!;
    expect(run).toMatchObject({ state: 'running', phase: 'running', deadlineAt: 12345, captured: { a: '1' }, updatedAt: T1 });
    expect(store.stepEvents('r1').map((e) => e.kind)).toEqual(['created', 'start', 'waiting']);
    expect(store.outboxAfter(0, 100)).toHaveLength(outboxBefore + 1);
    expect(JSON.parse(store.outboxAfter(0, 100).at(-1)!.payload)).toEqual(outbox(1));
  });

  it.each([
    ['the second step event', [startA, { ...startA, kind: null as unknown as 'start' }], outbox(1)],
    ['the outbox record', [startA], null as unknown as OutboxEvent],
  ])('a transition whose %s fails leaves nothing of it visible', (_what, events, box) => {
    createRun('r1', 'SER1');
    const before = dump(store);
    expect(() => store.commitTransition('r1', shiftId, running, events, box, T1)).toThrow();
    expect(dump(store)).toEqual(before);
    // The connection is still usable and not inside a dangling transaction.
    expect(store.db.inTransaction).toBe(false);
    store.commitTransition('r1', shiftId, running, [startA], outbox(1), T1);
    expect(store.getRun('r1')!.phase).toBe('running');
  });

  it('a run whose outbox record fails is not created at all', () => {
    const before = dump(store);
    expect(() => store.createRun(queuedRun('r1', 'SER1', blueprintId, shiftId, T0), created, null as unknown as OutboxEvent)).toThrow();
    expect(dump(store)).toEqual(before);
  });

  it('outbox seq is strictly increasing and never handed out again after the hub acknowledged and it was deleted', () => {
    createRun('r1', 'SER1');
    for (let i = 1; i <= 5; i++) store.commitTransition('r1', shiftId, running, [startA], outbox(i), T1);
    const seqs = store.outboxAfter(0, 100).map((r) => r.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    const max = seqs.at(-1)!;
    store.deleteOutboxUpTo(max);
    expect(store.outboxAfter(0, 100)).toEqual([]);
    store.commitTransition('r1', shiftId, running, [startA], outbox(6), T1);
    const afterDelete = store.outboxAfter(0, 100).map((r) => r.seq);
    expect(afterDelete).toHaveLength(1);
    expect(afterDelete[0]!).toBeGreaterThan(max);
    // Also across a restart of the station.
    store.close();
    store = new StationStore(file);
    store.deleteOutboxUpTo(afterDelete[0]!);
    store.commitTransition('r1', shiftId, running, [startA], outbox(7), T1);
    expect(store.outboxAfter(0, 100)[0]!.seq).toBeGreaterThan(afterDelete[0]!);
  });

  it('outboxAfter pages in seq order', () => {
    store.deleteOutboxUpTo(Number.MAX_SAFE_INTEGER);
    createRun('r1', 'SER1');
    for (let i = 1; i <= 4; i++) store.commitTransition('r1', shiftId, running, [startA], outbox(i), T1);
    const first = store.outboxAfter(0, 2);
    const second = store.outboxAfter(first.at(-1)!.seq, 10);
    expect(first.map((r) => JSON.parse(r.payload).run.attempts)).toEqual([0, 1]);
    expect(second.map((r) => JSON.parse(r.payload).run.attempts)).toEqual([2, 3, 4]);
  });

  it('a device has at most one open run; failed counts as open, done and cancelled do not', () => {
    createRun('r1', 'SER1');
    expect(() => createRun('r2', 'SER1')).toThrow(/UNIQUE/);
    createRun('r3', 'SER2'); // another device is fine
    for (const [state, blocks] of [
      ['failed', true],
      ['done', false],
    ] as const) {
      store.commitTransition('r1', shiftId, { ...running, state, phase: state }, [], outbox(9), T1);
      if (blocks) expect(() => createRun('r2', 'SER1')).toThrow(/UNIQUE/);
      else createRun('r2', 'SER1');
    }
    store.commitTransition('r2', shiftId, { ...running, state: 'cancelled', phase: 'cancelled' }, [], outbox(10), T1);
    createRun('r4', 'SER1');
    expect(
      store
        .openRuns()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['r3', 'r4']);
    expect(store.latestRunForSerial('SER1')!.id).toBe('r4');
  });

  it('a blueprint version is stored once; the same name and version with other content is refused', () => {
    const bp = testBlueprint([{ id: 'a' }, { id: 'b' }]);
    expect(store.saveBlueprint(bp, null, T1)).toBe(blueprintId);
    const changed = testBlueprint([{ id: 'a' }, { id: 'b', timeout: 99_000 }]);
    changed.hash = 'another-hash';
    expect(() => store.saveBlueprint(changed, '/x/test-bp.yaml', T1)).toThrow(BlueprintVersionConflictError);
    expect(() => store.saveBlueprint(changed, '/x/test-bp.yaml', T1)).toThrow(/Raise "version" in \/x\/test-bp.yaml/);
    expect(store.db.prepare('SELECT count(*) AS n FROM blueprints').get()).toEqual({ n: 1 });
    const v2 = store.saveBlueprint({ ...changed, version: 2 }, null, T1);
    expect(v2).not.toBe(blueprintId);
    expect(store.getBlueprint(v2).steps[1]!.timeout).toBe(99_000);
  });

  it('named sequences never hand out a number twice, across restarts', () => {
    expect([store.nextSequence('s'), store.nextSequence('s'), store.nextSequence('other')]).toEqual([1, 2, 1]);
    store.close();
    store = new StationStore(file);
    expect(store.nextSequence('s')).toBe(3);
  });

  it('one shift is open at a time; an unassigned one is opened for runs', () => {
    const shift = store.currentShift()!;
    expect(shift.operators).toEqual([UNASSIGNED_OPERATOR]);
    expect(store.ensureShift(T1).id).toBe(shift.id);
    expect(store.openShift(['Ana'], T1).id).toBe(shift.id);
    expect(() => store.db.prepare('INSERT INTO shifts (id, opened_at) VALUES (?, ?)').run('second', T1)).toThrow(/UNIQUE/);
    store.closeShift(shift.id, T1);
    expect(store.currentShift()).toBeNull();
    const next = store.ensureShift(T1);
    expect(next.id).not.toBe(shift.id);
    expect(store.lastShift()!.id).toBe(next.id);
  });

  it('presence and simulator writes do not lower the durability of the transitions that follow', () => {
    const sync = () => store.db.pragma('synchronous', { simple: true });
    store.upsertDevice(testDevice('SER3'), T1);
    store.setDevicePresent('SER3', false, T1);
    store.saveSimDevice({ serial: 'SER3', platform: 'ios', model: 'iPad', osVersion: '18', portPath: 'sim-3', plugged: true, failAt: null, state: {} });
    store.setSimState('SER3', { trusted: true });
    store.setSimPlugged('SER3', false);
    expect(sync()).toBe(2);
    expect(store.getDevice('SER3')!.present).toBe(false);
    expect(store.listSimDevices().find((d) => d.serial === 'SER3')).toMatchObject({ plugged: false, state: { trusted: true } });
    // Also when the write fails.
    expect(() =>
      store.saveSimDevice({
        serial: 'SER4',
        platform: 'ios',
        model: null as unknown as string,
        osVersion: '18',
        portPath: 'sim-4',
        plugged: true,
        failAt: null,
        state: {},
      }),
    ).toThrow();
    expect(sync()).toBe(2);
    // And inside a transaction they are simply part of it.
    store.db.transaction(() => store.upsertDevice(testDevice('SER5'), T1))();
    expect(sync()).toBe(2);
    expect(store.getDevice('SER5')).not.toBeNull();
  });

  it('a step cut off by a station restart is closed as interrupted at the restart, its attempt counted once', () => {
    const T2 = '2026-03-02T08:00:02.000Z';
    const T3 = '2026-03-02T08:00:03.000Z';
    createRun('r1', 'SER1');
    store.commitTransition('r1', shiftId, running, [startA], outbox(1), T1);
    // Killed here; the restarted station resumes the run at the same step and attempt.
    const resumed: StepEventInput = { stepIndex: 0, step: 'a', kind: 'resumed', attempt: 1, message: 'station restarted' };
    store.commitTransition('r1', shiftId, running, [resumed, startA], outbox(2), T2);
    const doneA: StepEventInput = { stepIndex: 0, step: 'a', kind: 'done', attempt: 1, message: null };
    const startB: StepEventInput = { stepIndex: 1, step: 'b', kind: 'start', attempt: 1, message: null };
    const doneB: StepEventInput = { stepIndex: 1, step: 'b', kind: 'done', attempt: 1, message: null };
    store.commitTransition('r1', shiftId, { ...running, stepIndex: 1 }, [doneA, startB], outbox(3), T3);
    store.commitTransition('r1', shiftId, { ...running, state: 'done', phase: 'done', stepIndex: 1, deadlineAt: null, finishedAt: T3 }, [doneB], outbox(4), T3);

    const steps = stepsOfRun(new ShiftLogStore(store.db).eventsOf(['r1']), 'UTC');
    expect(steps.filter((s) => s.status === 'running')).toEqual([]);
    expect(steps.map((s) => `${s.step}#${s.attempt} ${s.status} ${s.finishedAt}`)).toEqual([
      'a#1 interrupted 2026-03-02T08:00:02+00:00',
      'a#1 done 2026-03-02T08:00:03+00:00',
      'b#1 done 2026-03-02T08:00:03+00:00',
    ]);
    const detail = runDetail(store.getRun('r1')!, testBlueprint([{ id: 'a' }, { id: 'b' }]), store.stepEvents('r1'));
    expect(detail.steps.map((s) => `${s.id} ${s.status} x${s.attempts}`)).toEqual(['a done x1', 'b done x1']);
  });

  it('a station id is created once and kept', () => {
    const id = store.stationId();
    store.close();
    store = new StationStore(file);
    expect(store.stationId()).toBe(id);
  });
});
