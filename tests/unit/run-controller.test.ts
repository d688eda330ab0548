import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import { RunController, type LiveRun, type RunTransition } from '../../main/pipeline/run-controller.js';
import type { RunRecord } from '../../main/store/records.js';
import { StationStore } from '../../main/store/station-store.js';
import { FakeExecutor, Held, fail, gone, hang, ok, trust } from '../fixtures/fake-executor.js';
import { dump, queuedRun, tempDir, testBlueprint, testDevice, testOutboxEvent } from '../fixtures/store-helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const SERIAL = 'DMPTEST00001';

/** Lets every pending promise and microtask run (setImmediate stays real; only timers and Date are fake). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Moves the fake clock and fires the deadline timers that come due. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

interface Harness {
  store: StationStore;
  exec: FakeExecutor;
  controller: RunController;
  blueprint: Blueprint;
  blueprintId: number;
  shiftId: string;
  transitions: RunTransition[];
  logs: string[];
  /** Runs whose progress listeners were told, in order. */
  progress: { runId: string; percent: number | null; at: number }[];
  /** Makes the next commitTransition throw, as a full disk or a lost database would. */
  failNextCommit(): void;
  /** A new controller on the same database, as after a crash and restart. */
  restart(exec?: FakeExecutor): Harness;
}

let tmp: ReturnType<typeof tempDir>;
let stores: StationStore[] = [];
let controllers: RunController[] = [];

beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  tmp = tempDir();
});
afterEach(() => {
  for (const c of controllers) c.stopAll();
  for (const s of stores) if (s.db.open) s.close();
  controllers = [];
  stores = [];
  vi.useRealTimers();
  tmp.cleanup();
});

function harness(blueprint: Blueprint, exec = new FakeExecutor(), existing?: StationStore, speed = 1): Harness {
  const store = existing ?? new StationStore(path.join(tmp.dir, 'station.db'));
  if (!existing) stores.push(store);
  const blueprintId = store.saveBlueprint(blueprint, null, new Date().toISOString());
  const shiftId = store.ensureShift(new Date().toISOString()).id;
  store.upsertDevice(testDevice(SERIAL), new Date().toISOString());
  let failNext = false;
  const transitions: RunTransition[] = [];
  const logs: string[] = [];
  const progress: Harness['progress'] = [];
  const controller = new RunController({
    clock: { now: () => Date.now(), speed },
    stationId: 'station-test',
    createRun: (run, event, outbox) => store.createRun(run, event, outbox),
    commitTransition: (...args) => {
      if (failNext) {
        failNext = false;
        throw new Error('SQLITE_IOERR: disk I/O error');
      }
      store.commitTransition(...args);
    },
    executeStep: exec.executeStep,
    deviceName: () => null,
    log: (_level, message) => logs.push(message),
  });
  controllers.push(controller);
  controller.onTransition((t) => transitions.push(t));
  controller.onProgress((r) => progress.push({ runId: r.id, percent: r.progress?.percent ?? null, at: Date.now() }));
  const h: Harness = {
    store,
    exec,
    controller,
    blueprint,
    blueprintId,
    shiftId,
    transitions,
    logs,
    progress,
    failNextCommit: () => {
      failNext = true;
    },
    restart: (nextExec = new FakeExecutor()) => {
      controller.stopAll();
      return harness(blueprint, nextExec, store, speed);
    },
  };
  return h;
}

function start(h: Harness): LiveRun {
  return h.controller.start({ serial: SERIAL, shiftId: h.shiftId, slot: 'A1', operator: null, blueprint: h.blueprint, blueprintId: h.blueprintId });
}

function run(h: Harness, id: string): RunRecord {
  return h.store.getRun(id)!;
}

/** The run's step events as "kind step" strings, in commit order. */
function events(h: Harness, id: string): string[] {
  return h.store.stepEvents(id).map((e) => `${e.kind} ${e.step ?? '-'}`);
}

function doneCounts(h: Harness, id: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of h.store.stepEvents(id)) if (e.kind === 'done') counts[e.step!] = (counts[e.step!] ?? 0) + 1;
  return counts;
}

/** The pipeline's outbox records (shift changes write their own). */
function runOutbox(h: Harness): { seq: number; payload: string }[] {
  return h.store.outboxAfter(0, 10_000).filter((r) => r.kind === 'run.transition');
}

function outboxStates(h: Harness): string[] {
  return runOutbox(h).map((r) => (JSON.parse(r.payload) as { run: { state: string } }).run.state);
}

const abc = () => testBlueprint([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);

describe('happy path', () => {
  it('commits created, then start/done of every step in order, one transaction per transition', async () => {
    const h = harness(abc());
    h.exec.plan('a', ok({ serialNumber: SERIAL })).plan('b', async (ctx) => ({ captured: { seen: ctx.captured.serialNumber ?? 'none' } }));
    const live = start(h);
    await settle();
    expect(events(h, live.id)).toEqual(['created -', 'start a', 'done a', 'start b', 'done b', 'start c', 'done c']);
    const r = run(h, live.id);
    expect(r).toMatchObject({ state: 'done', phase: 'done', stepIndex: 2, attemptsTotal: 1, deadlineAt: null, errorCode: null });
    expect(r.finishedAt).toBe(new Date(T0).toISOString());
    expect(r.captured).toEqual({ serialNumber: SERIAL, seen: SERIAL });
    // created; start a; done a + start b; done b + start c; done c: five transactions, five outbox records.
    expect(outboxStates(h)).toEqual(['queued', 'running', 'running', 'running', 'done']);
    expect(h.transitions.map((t) => t.events.map((e) => e.kind).join('+'))).toEqual(['created', 'start', 'done+start', 'done+start', 'done']);
    expect(h.exec.calls.map((c) => `${c.step}#${c.attempt}`)).toEqual(['a#1', 'b#1', 'c#1']);
    // A finished run leaves the controller; the device can get another run.
    expect(h.controller.get(live.id)).toBeUndefined();
    expect(h.controller.forSerial(SERIAL)).toBeUndefined();
  });

  it('each outbox record carries the run as committed with it', async () => {
    const h = harness(abc());
    const live = start(h);
    await settle();
    const payloads = runOutbox(h).map(
      (r) => JSON.parse(r.payload) as { type: string; stationId: string; run: { id: string; step: string | null }; events: { kind: string }[] },
    );
    expect(payloads.every((p) => p.type === 'run.transition' && p.stationId === 'station-test' && p.run.id === live.id)).toBe(true);
    expect(payloads.map((p) => p.run.step)).toEqual(['a', 'a', 'b', 'c', 'c']);
    expect(payloads.flatMap((p) => p.events.map((e) => e.kind))).toEqual(h.store.stepEvents(live.id).map((e) => e.kind));
  });
});

describe('retries and deadlines', () => {
  it('retries a failing step with exponential backoff, each wait a deadline stored in the run', async () => {
    const h = harness(testBlueprint([{ id: 'a' }, { id: 'b', retries: 3, backoff: 1_000 }]));
    h.exec.plan('b', fail(), fail(), fail(), ok());
    const live = start(h);
    await settle();
    const expected = [1_000, 2_000, 4_000];
    for (let i = 0; i < expected.length; i++) {
      const r = run(h, live.id);
      expect(r).toMatchObject({ phase: 'backoff', state: 'running', stepIndex: 1, attempt: i + 1, errorCode: 'sim.fail' });
      expect(r.deadlineAt).toBe(Date.now() + expected[i]!);
      await advance(expected[i]! - 1);
      expect(h.exec.callsOf('b')).toHaveLength(i + 1);
      await advance(1);
      expect(h.exec.callsOf('b')).toHaveLength(i + 2);
    }
    expect(h.exec.callsOf('b').map((c) => c.attempt)).toEqual([1, 2, 3, 4]);
    expect(run(h, live.id)).toMatchObject({ state: 'done', attemptsTotal: 4, errorCode: null });
    expect(events(h, live.id).slice(3)).toEqual([
      'start b',
      'fail b',
      'retry-scheduled b',
      'start b',
      'fail b',
      'retry-scheduled b',
      'start b',
      'fail b',
      'retry-scheduled b',
      'start b',
      'done b',
    ]);
  });

  it('fails when the automatic retries are used up, naming the step and the error', async () => {
    const h = harness(testBlueprint([{ id: 'a', retries: 1, backoff: 500 }, { id: 'b' }]));
    h.exec.plan('a', fail('sim.erase'), fail('sim.erase'));
    const live = start(h);
    await settle();
    await advance(500);
    expect(run(h, live.id)).toMatchObject({
      state: 'failed',
      phase: 'failed',
      failedStep: 'a',
      errorCode: 'sim.erase',
      errorMessage: 'step failed (sim.erase)',
      deadlineAt: null,
    });
    expect(h.exec.callsOf('b')).toHaveLength(0);
    expect(h.controller.get(live.id)).toBeDefined();
  });

  it('a non-retryable error fails at once, whatever the retries', async () => {
    const h = harness(testBlueprint([{ id: 'a', retries: 5 }]));
    h.exec.plan('a', fail('policy', false));
    const live = start(h);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'failed', errorCode: 'policy' });
    expect(h.exec.callsOf('a')).toHaveLength(1);
  });

  it('a step that outlives its timeout is aborted, retried after the backoff, then fails', async () => {
    const h = harness(testBlueprint([{ id: 'a' }, { id: 'b', timeout: 10_000, retries: 1, backoff: 1_000 }]));
    h.exec.plan('b', hang, hang);
    const live = start(h);
    await settle();
    expect(run(h, live.id).deadlineAt).toBe(T0 + 10_000);
    await advance(9_999);
    expect(run(h, live.id).phase).toBe('running');
    await advance(1);
    const first = h.exec.callsOf('b')[0]!;
    expect(first.ctx.signal.aborted).toBe(true);
    expect(run(h, live.id)).toMatchObject({ phase: 'backoff', errorCode: 'timeout', deadlineAt: T0 + 11_000 });
    await advance(1_000);
    expect(h.exec.callsOf('b').map((c) => c.attempt)).toEqual([1, 2]);
    expect(run(h, live.id)).toMatchObject({ phase: 'running', deadlineAt: T0 + 21_000 });
    await advance(10_000);
    expect(h.exec.callsOf('b')[1]!.ctx.signal.aborted).toBe(true);
    expect(run(h, live.id)).toMatchObject({ state: 'failed', failedStep: 'b', errorCode: 'timeout' });
    expect(run(h, live.id).errorMessage).toMatch(/did not finish within 10 s/);
    expect(events(h, live.id).slice(3)).toEqual(['start b', 'timeout b', 'retry-scheduled b', 'start b', 'timeout b']);
  });
});

describe('waiting', () => {
  it('a step waiting for Trust shows waiting with the reason, then runs on', async () => {
    let tapTrust!: () => void;
    const h = harness(abc());
    h.exec.plan('b', trust(new Promise<void>((resolve) => (tapTrust = resolve))));
    const live = start(h);
    await settle();
    expect(run(h, live.id)).toMatchObject({
      state: 'waiting',
      phase: 'waiting',
      stepIndex: 1,
      waitingReason: 'trust',
      waitingMessage: 'Tap "Trust" on the iPad',
    });
    tapTrust();
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'done', waitingReason: null });
    expect(events(h, live.id)).toEqual(['created -', 'start a', 'done a', 'start b', 'waiting b', 'proceed b', 'done b', 'start c', 'done c']);
  });

  it('a technician confirmation is a wait that confirm() ends', async () => {
    const h = harness(abc());
    h.exec.plan('b', async (ctx) => {
      await ctx.confirmByTechnician('Scan to confirm');
      return {};
    });
    const live = start(h);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'waiting', waitingReason: 'technician' });
    h.controller.confirm(live.id);
    await settle();
    expect(run(h, live.id).state).toBe('done');
    expect(() => h.controller.confirm(live.id)).toThrow();
  });

  it('a confirmation reaches only a step that asked for one; a wait for the device is not confirmable', async () => {
    let tapTrust!: () => void;
    const h = harness(abc());
    h.exec.plan('b', trust(new Promise<void>((resolve) => (tapTrust = resolve))));
    const live = start(h);
    await settle();
    expect(run(h, live.id).waitingReason).toBe('trust');
    const before = dump(h.store);
    expect(() => h.controller.confirm(live.id)).toThrow(expect.objectContaining({ name: 'AppError', code: 'conflict' }));
    expect(dump(h.store)).toEqual(before);
    tapTrust();
    await settle();
    expect(run(h, live.id).state).toBe('done');
  });
});

describe('progress', () => {
  it('reaches listeners at most 4 times a second, the latest report last, without a database write', async () => {
    const h = harness(abc());
    let report!: (percent: number) => void;
    const held = new Held();
    h.exec.plan('b', (ctx) => {
      report = (percent) => ctx.progress?.({ percent, bytes: percent * 10, total: 1000, bytesPerSecond: 5 });
      return held.behavior(ctx);
    });
    const live = start(h);
    await settle();
    const before = dump(h.store);
    for (let percent = 1; percent <= 40; percent++) {
      report(percent);
      await advance(25); // 40 reports in one second
    }
    await advance(250);
    expect(dump(h.store)).toEqual(before);
    expect(h.progress.length).toBeGreaterThanOrEqual(2);
    expect(h.progress.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < h.progress.length; i++) expect(h.progress[i]!.at - h.progress[i - 1]!.at).toBeGreaterThanOrEqual(250);
    expect(h.progress.at(-1)).toMatchObject({ runId: live.id, percent: 40 });
    expect(h.controller.get(live.id)!.progress).toEqual({ percent: 40, bytes: 400, total: 1000, bytesPerSecond: 5 });
    held.resolve();
    await settle();
    // The next step starts without progress.
    expect(run(h, live.id).state).toBe('done');
  });
});

describe('--sim-speed', () => {
  it("shrinks backoffs by the clock's speed, and timeouts too down to a floor", async () => {
    const h = harness(
      testBlueprint([
        { id: 'a', retries: 2, backoff: 10_000 },
        { id: 'b', timeout: 600_000 },
      ]),
      new FakeExecutor(),
      undefined,
      100,
    );
    h.exec.plan('a', fail(), fail()).plan('b', hang);
    const live = start(h);
    await settle();
    expect(run(h, live.id).deadlineAt).toBe(Date.now() + 100);
    await advance(100);
    expect(run(h, live.id)).toMatchObject({ phase: 'backoff', attempt: 2 });
    expect(run(h, live.id).deadlineAt).toBe(Date.now() + 200);
    await advance(200);
    // b's 10 minutes would be 6 s at 100x: the floor keeps 30 s for the station's own work.
    expect(run(h, live.id)).toMatchObject({ phase: 'running', stepIndex: 1 });
    expect(run(h, live.id).deadlineAt).toBe(Date.now() + 30_000);
    await advance(30_000);
    expect(run(h, live.id)).toMatchObject({ state: 'failed', errorCode: 'timeout' });
    expect(run(h, live.id).errorMessage).toMatch(/within 10 min/);
  });

  it('stores whole-millisecond deadlines when the speed does not divide a backoff (300x: 2 s is 6.67 ms)', async () => {
    const h = harness(testBlueprint([{ id: 'a', retries: 2, backoff: 2_000 }]), new FakeExecutor(), undefined, 300);
    h.exec.plan('a', fail(), fail(), fail());
    const live = start(h);
    await settle();
    expect(run(h, live.id).deadlineAt).toBe(Date.now() + 7);
    await advance(7);
    await advance(14);
    // Three tries, then failed: no commit was refused (a refused commit restores the run: "resumed").
    expect(run(h, live.id)).toMatchObject({ state: 'failed', attempt: 3 });
    expect(events(h, live.id).filter((e) => e.startsWith('start') || e.startsWith('resumed'))).toEqual(['start a', 'start a', 'start a']);
  });
});

describe('device presence', () => {
  it('a device that leaves mid-step interrupts the run, which resumes at the same step when it returns', async () => {
    const h = harness(abc());
    const held = new Held();
    h.exec.plan('b', held.behavior);
    const live = start(h);
    await settle();
    h.controller.deviceLeft(SERIAL);
    await settle();
    expect(h.exec.callsOf('b')[0]!.ctx.signal.aborted).toBe(true);
    expect(run(h, live.id)).toMatchObject({ state: 'interrupted', stepIndex: 1, deadlineAt: null });
    await advance(60 * 60_000); // nothing happens while the device is away, not even its timeout
    expect(h.exec.callsOf('b')).toHaveLength(1);
    h.controller.deviceBack(SERIAL);
    await settle();
    expect(h.exec.callsOf('b')).toHaveLength(2);
    expect(run(h, live.id).state).toBe('done');
    expect(events(h, live.id)).toEqual(['created -', 'start a', 'done a', 'start b', 'interrupted b', 'resumed b', 'start b', 'done b', 'start c', 'done c']);
    expect(doneCounts(h, live.id)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('a driver reporting the device gone interrupts the run as well', async () => {
    const h = harness(abc());
    h.exec.plan('b', gone);
    const live = start(h);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'interrupted', stepIndex: 1, errorCode: null });
    h.controller.deviceBack(SERIAL);
    await settle();
    expect(run(h, live.id).state).toBe('done');
  });

  it('a device that leaves during a backoff resumes the same step when back', async () => {
    const h = harness(testBlueprint([{ id: 'a', retries: 2, backoff: 5_000 }, { id: 'b' }]));
    h.exec.plan('a', fail());
    const live = start(h);
    await settle();
    expect(run(h, live.id).phase).toBe('backoff');
    h.controller.deviceLeft(SERIAL);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'interrupted', deadlineAt: null });
    await advance(10_000);
    expect(h.exec.callsOf('a')).toHaveLength(1);
    h.controller.deviceBack(SERIAL);
    await settle();
    expect(run(h, live.id).state).toBe('done');
    expect(doneCounts(h, live.id)).toEqual({ a: 1, b: 1 });
  });
});

describe('expected restart', () => {
  /** A step that says the device will restart, then waits until it leaves (as an erase does). */
  const restarting: Parameters<FakeExecutor['plan']>[1] = (ctx) => {
    ctx.expectReattach?.();
    return hang(ctx);
  };

  it('shows restarting instead of interrupted, and goes on at the next step when the same serial returns', async () => {
    const h = harness(abc());
    h.exec.plan('b', restarting);
    const live = start(h);
    await settle();
    h.controller.deviceLeft(SERIAL);
    await settle();
    expect(run(h, live.id)).toMatchObject({
      state: 'running',
      phase: 'restarting',
      stepIndex: 1,
      waitingReason: 'restart',
      waitingMessage: 'Restarting – leave it plugged in',
    });
    expect(h.exec.callsOf('b')[0]!.ctx.signal.aborted).toBe(true);
    // The device re-enumerates (on a new USB address: presence goes by serial).
    h.controller.deviceBack(SERIAL);
    await settle();
    expect(h.exec.callsOf('b')).toHaveLength(1);
    expect(run(h, live.id).state).toBe('done');
    expect(events(h, live.id)).toEqual(['created -', 'start a', 'done a', 'start b', 'waiting b', 'done b', 'start c', 'done c']);
    expect(doneCounts(h, live.id)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('a driver reporting the device gone after saying it restarts counts as the restart too', async () => {
    const h = harness(abc());
    h.exec.plan('b', async (ctx) => {
      ctx.expectReattach?.();
      return gone(ctx);
    });
    const live = start(h);
    await settle();
    expect(run(h, live.id)).toMatchObject({ phase: 'restarting', stepIndex: 1 });
    h.controller.deviceLeft(SERIAL); // the station's own notice of the same departure changes nothing
    await settle();
    h.controller.deviceBack(SERIAL);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'done', stepIndex: 2 });
  });

  it("fails with a clear message when the device does not come back before the step's deadline", async () => {
    const h = harness(abc());
    h.exec.plan('b', restarting);
    const live = start(h);
    await settle();
    h.controller.deviceLeft(SERIAL);
    await settle();
    await advance(10_000);
    expect(run(h, live.id)).toMatchObject({ state: 'failed', stepIndex: 1, failedStep: 'b', errorCode: 'run.reattach-timeout' });
    expect(run(h, live.id).errorMessage).toBe('“b”: the device did not come back after restarting. Check the device and the cable, then retry.');
    // Back too late: the failed run waits for the technician.
    h.controller.deviceBack(SERIAL);
    await settle();
    expect(run(h, live.id).state).toBe('failed');
  });

  it('an unplug the step did not announce still interrupts, and the step runs again', async () => {
    const h = harness(abc());
    h.exec.plan('b', hang);
    const live = start(h);
    await settle();
    h.controller.deviceLeft(SERIAL);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'interrupted', phase: 'interrupted' });
  });

  it('survives a station restart while the device is away: the same serial returning continues at the next step', async () => {
    const h = harness(abc());
    h.exec.plan('b', restarting);
    const live = start(h);
    await settle();
    h.controller.deviceLeft(SERIAL);
    await settle();
    const h2 = h.restart();
    h2.controller.restore(run(h2, live.id), h2.blueprint);
    await settle();
    expect(run(h2, live.id)).toMatchObject({ phase: 'restarting', stepIndex: 1 });
    h2.controller.deviceBack(SERIAL);
    await settle();
    expect(run(h2, live.id)).toMatchObject({ state: 'done', stepIndex: 2 });
    expect(h2.exec.callsOf('b')).toHaveLength(0);
  });
});

describe('technician actions', () => {
  it('cancel stops the step and finishes the run; a late answer of the step changes nothing', async () => {
    const h = harness(abc());
    const held = new Held();
    h.exec.plan('b', held.behavior);
    const live = start(h);
    await settle();
    h.controller.cancel(live.id);
    await settle();
    expect(h.exec.callsOf('b')[0]!.ctx.signal.aborted).toBe(true);
    expect(run(h, live.id)).toMatchObject({ state: 'cancelled', phase: 'cancelled', stepIndex: 1 });
    expect(run(h, live.id).finishedAt).not.toBeNull();
    const before = dump(h.store);
    held.resolve();
    await settle();
    expect(dump(h.store)).toEqual(before);
    expect(events(h, live.id).at(-1)).toBe('cancel b');
    expect(h.controller.get(live.id)).toBeUndefined();
  });

  it('retry restarts the failed step at attempt 1 and counts the attempt', async () => {
    const h = harness(abc());
    h.exec.plan('b', fail(), ok());
    const live = start(h);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'failed', failedStep: 'b', attemptsTotal: 1 });
    expect(() => h.controller.skip('no-such-run')).toThrow();
    h.controller.retry(live.id, true);
    await settle();
    expect(h.exec.callsOf('b').map((c) => c.attempt)).toEqual([1, 1]);
    expect(h.exec.callsOf('a')).toHaveLength(1);
    expect(run(h, live.id)).toMatchObject({ state: 'done', attemptsTotal: 2, failedStep: null, errorCode: null });
    expect(events(h, live.id)).toEqual(['created -', 'start a', 'done a', 'start b', 'fail b', 'retry b', 'start b', 'done b', 'start c', 'done c']);
  });

  it('retry of a run that has not failed is refused', async () => {
    const h = harness(abc());
    h.exec.plan('a', hang);
    const live = start(h);
    await settle();
    expect(() => h.controller.retry(live.id, true)).toThrow(expect.objectContaining({ name: 'AppError', code: 'conflict' }));
  });

  it('retry while the device is away leaves the run interrupted at the failed step', async () => {
    const h = harness(abc());
    h.exec.plan('b', fail());
    const live = start(h);
    await settle();
    h.controller.deviceLeft(SERIAL); // a failed run stays failed when unplugged
    await settle();
    expect(run(h, live.id).state).toBe('failed');
    h.controller.retry(live.id, false);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'interrupted', stepIndex: 1 });
    h.controller.deviceBack(SERIAL);
    await settle();
    expect(run(h, live.id).state).toBe('done');
  });

  it('skip moves past a failed optional step; a skipped last step finishes the run', async () => {
    const h = harness(abc());
    h.exec.plan('b', fail()).plan('c', fail());
    const live = start(h);
    await settle();
    h.controller.skip(live.id);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'failed', failedStep: 'c' });
    h.controller.skip(live.id);
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'done', failedStep: null, errorCode: null });
    expect(events(h, live.id)).toEqual(['created -', 'start a', 'done a', 'start b', 'fail b', 'skip b', 'start c', 'fail c', 'skip c']);
  });

  it('a mandatory step cannot be skipped, and the refusal changes nothing', async () => {
    const h = harness(testBlueprint([{ id: 'a' }, { id: 'policy', mandatory: true }, { id: 'c' }]));
    h.exec.plan('policy', fail());
    const live = start(h);
    await settle();
    const before = dump(h.store);
    expect(() => h.controller.skip(live.id)).toThrow(/required by policy/);
    await settle();
    expect(dump(h.store)).toEqual(before);
    expect(h.exec.callsOf('c')).toHaveLength(0);
  });

  it('skip of a run that has not failed is refused', async () => {
    const h = harness(abc());
    h.exec.plan('a', hang);
    const live = start(h);
    await settle();
    expect(() => h.controller.skip(live.id)).toThrow(expect.objectContaining({ name: 'AppError', code: 'conflict' }));
  });
});

describe('restore after a restart', () => {
  it('from queued (created, never started): starts at the first step', async () => {
    const h = harness(abc());
    const record = queuedRun('run-q', SERIAL, h.blueprintId, h.shiftId, new Date().toISOString());
    h.store.createRun(record, { stepIndex: null, step: null, kind: 'created', attempt: 1, message: null }, testOutboxEvent());
    const h2 = h.restart();
    h2.controller.restore(run(h2, 'run-q'), h2.blueprint);
    await settle();
    expect(run(h2, 'run-q').state).toBe('done');
    expect(doneCounts(h2, 'run-q')).toEqual({ a: 1, b: 1, c: 1 });
  });

  it.each([
    ['running', (h: Harness) => h.exec.plan('b', hang), 'running'],
    ['waiting', (h: Harness) => h.exec.plan('b', trust(new Promise<void>(() => {}))), 'waiting'],
  ])('from %s: runs the same step again', async (_name, setup, phase) => {
    const h = harness(abc());
    setup(h);
    const live = start(h);
    await settle();
    expect(run(h, live.id).phase).toBe(phase);
    await advance(3_000);
    const h2 = h.restart();
    expect(h.exec.callsOf('b')[0]!.ctx.signal.aborted).toBe(true);
    h2.controller.restore(run(h2, live.id), h2.blueprint);
    await settle();
    expect(h2.exec.calls.map((c) => c.step)).toEqual(['b', 'c']);
    expect(run(h2, live.id).state).toBe('done');
    expect(events(h2, live.id)).toEqual([
      'created -',
      'start a',
      'done a',
      'start b',
      ...(phase === 'waiting' ? ['waiting b'] : []),
      'resumed b',
      'start b',
      'done b',
      'start c',
      'done c',
    ]);
  });

  it('from backoff: keeps the stored deadline', async () => {
    const h = harness(testBlueprint([{ id: 'a', retries: 1, backoff: 10_000 }, { id: 'b' }]));
    h.exec.plan('a', fail());
    const live = start(h);
    await settle();
    await advance(4_000);
    const h2 = h.restart();
    h2.controller.restore(run(h2, live.id), h2.blueprint);
    await advance(5_999);
    expect(h2.exec.calls).toHaveLength(0);
    expect(run(h2, live.id).phase).toBe('backoff');
    await advance(1);
    expect(h2.exec.calls.map((c) => `${c.step}#${c.attempt}`)).toEqual(['a#2', 'b#1']);
    expect(run(h2, live.id)).toMatchObject({ state: 'done', attemptsTotal: 2 });
  });

  it('from backoff whose deadline passed while the station was down: retries at once', async () => {
    const h = harness(testBlueprint([{ id: 'a', retries: 1, backoff: 10_000 }, { id: 'b' }]));
    h.exec.plan('a', fail());
    const live = start(h);
    await settle();
    h.controller.stopAll();
    vi.setSystemTime(Date.now() + 60_000);
    const h2 = h.restart();
    h2.controller.restore(run(h2, live.id), h2.blueprint);
    await advance(0);
    expect(run(h2, live.id).state).toBe('done');
  });

  it('from interrupted: waits for the device, then resumes at the same step', async () => {
    const h = harness(abc());
    h.exec.plan('b', hang);
    const live = start(h);
    await settle();
    h.controller.deviceLeft(SERIAL);
    await settle();
    const h2 = h.restart();
    h2.controller.restore(run(h2, live.id), h2.blueprint);
    await advance(60_000);
    expect(h2.exec.calls).toHaveLength(0);
    expect(run(h2, live.id).state).toBe('interrupted');
    h2.controller.deviceBack(SERIAL);
    await settle();
    expect(h2.exec.calls.map((c) => c.step)).toEqual(['b', 'c']);
    expect(doneCounts(h2, live.id)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('from failed: stays failed with its error; retry and skip work as before the restart', async () => {
    const h = harness(abc());
    h.exec.plan('b', fail('sim.install-app')).plan('c', fail());
    const live = start(h);
    await settle();
    const h2 = h.restart();
    h2.exec.plan('c', fail());
    h2.controller.restore(run(h2, live.id), h2.blueprint);
    await settle();
    expect(h2.exec.calls).toHaveLength(0);
    expect(run(h2, live.id)).toMatchObject({ state: 'failed', failedStep: 'b', errorCode: 'sim.install-app' });
    h2.controller.retry(live.id, true);
    await settle();
    expect(run(h2, live.id)).toMatchObject({ state: 'failed', failedStep: 'c', attemptsTotal: 2 });
    h2.controller.skip(live.id);
    await settle();
    expect(run(h2, live.id).state).toBe('done');
  });

  it('a restored run does not commit anything before it moves', async () => {
    const h = harness(abc());
    h.exec.plan('b', fail());
    const live = start(h);
    await settle();
    const before = dump(h.store);
    const h2 = h.restart();
    h2.controller.restore(run(h2, live.id), h2.blueprint);
    await settle();
    expect(dump(h2.store)).toEqual(before);
  });
});

describe('a commit that fails', () => {
  it('leaves the database at the previous committed state; a restore continues from there', async () => {
    const h = harness(abc());
    const held = new Held();
    h.exec.plan('b', held.behavior);
    const live = start(h);
    await settle();
    const before = dump(h.store);
    h.failNextCommit();
    held.resolve({ captured: { lost: 'yes' } }); // done b + start c: this commit fails
    await settle();
    expect(dump(h.store)).toEqual(before);
    expect(run(h, live.id)).toMatchObject({ state: 'running', stepIndex: 1, captured: {} });
    expect(h.logs.some((l) => l.includes('disk I/O error'))).toBe(true);
    const h2 = h.restart();
    h2.controller.restore(run(h2, live.id), h2.blueprint);
    await settle();
    expect(run(h2, live.id).state).toBe('done');
    expect(h2.exec.calls.map((c) => c.step)).toEqual(['b', 'c']);
    expect(doneCounts(h2, live.id)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('stops the step it was about to leave, so nothing keeps working on the device unrecorded', async () => {
    const h = harness(testBlueprint([{ id: 'a', timeout: 5_000, retries: 1 }]));
    h.exec.plan('a', hang);
    const live = start(h);
    await settle();
    const before = dump(h.store);
    h.failNextCommit(); // the timeout's transition to backoff fails
    await advance(5_000);
    expect(dump(h.store)).toEqual(before);
    expect(h.exec.callsOf('a')[0]!.ctx.signal.aborted).toBe(true);
    expect(live.record.phase).toBe('running');
  });

  it('the run picks up again from its last committed state without a restart', async () => {
    const h = harness(abc());
    const held = new Held();
    h.exec.plan('b', held.behavior);
    const live = start(h);
    await settle();
    h.failNextCommit();
    held.resolve();
    await settle();
    expect(run(h, live.id)).toMatchObject({ state: 'running', stepIndex: 1 });
    // While it recovers the run is still known: the device keeps its run, and a replug does not start a second one.
    expect(h.controller.forSerial(SERIAL)?.id).toBe(live.id);
    expect(() => h.controller.cancel(live.id)).toThrow(/try again/);
    await advance(60_000);
    expect(run(h, live.id).state).toBe('done');
    expect(doneCounts(h, live.id)).toEqual({ a: 1, b: 1, c: 1 });
    expect(h.exec.callsOf('b')).toHaveLength(2);
  });

  it('a device that leaves while the run recovers finds the run interrupted; back, it resumes', async () => {
    const h = harness(abc());
    const held = new Held();
    h.exec.plan('b', held.behavior);
    const live = start(h);
    await settle();
    h.failNextCommit();
    held.resolve();
    await settle();
    h.controller.deviceLeft(SERIAL);
    await advance(60_000);
    expect(run(h, live.id)).toMatchObject({ state: 'interrupted', stepIndex: 1 });
    h.controller.deviceBack(SERIAL);
    await settle();
    expect(run(h, live.id).state).toBe('done');
    expect(doneCounts(h, live.id)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('a technician action whose commit fails is reported as failed, not as done', async () => {
    const h = harness(abc());
    h.exec.plan('b', fail());
    const live = start(h);
    await settle();
    const before = dump(h.store);
    h.failNextCommit();
    expect(() => h.controller.cancel(live.id)).toThrow(expect.objectContaining({ name: 'AppError', code: 'conflict' }));
    expect(dump(h.store)).toEqual(before);
    await advance(60_000);
    expect(run(h, live.id).state).toBe('failed');
    h.controller.cancel(live.id);
    await settle();
    expect(run(h, live.id).state).toBe('cancelled');
  });

  it('a run whose start could not be saved starts when it recovers', async () => {
    const h = harness(abc());
    h.failNextCommit(); // created is saved, the START transition is not
    const live = start(h);
    await settle();
    expect(run(h, live.id).phase).toBe('queued');
    await advance(60_000);
    expect(run(h, live.id).state).toBe('done');
  });
});
