import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeviceView } from '../../shared/contract/station-api.js';
import type { StationCore } from '../../main/station/station-core.js';
import { AppError } from '../../shared/contract/errors.js';
import type { StationConfig } from '../../main/station/start-station.js';
import { StationStore } from '../../main/store/station-store.js';
import { testCores } from '../fixtures/test-core.js';
import { queuedRun, testOutboxEvent } from '../fixtures/store-helpers.js';

const cores = testCores('benchline-station-');

function station(over: Partial<StationConfig> = {}): Promise<StationCore> {
  // These devices run unattended, as a script's do (CONTRACT.md): no technician signs in.
  return cores.open({ signInPolicy: 'run', ...over });
}

async function restart(core: StationCore, over: Partial<StationConfig> = {}): Promise<StationCore> {
  await cores.close(core);
  return station(over);
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const device = (core: StationCore, serial: string): DeviceView | undefined => core.listDevices().find((d) => d.serial === serial);
const inState = (core: StationCore, serial: string, state: string) => () => (device(core, serial)?.state === state ? device(core, serial) : undefined);

function doneSteps(core: StationCore, runId: string): string[] {
  return core.store
    .stepEvents(runId)
    .filter((e) => e.kind === 'done')
    .map((e) => e.step!);
}

describe('StationCore', () => {
  it('enrolls plugged devices to done, one run each, in a shift it opens for itself', async () => {
    const core = await station({ simulate: 3 });
    await until('3 done', () => (core.listDevices().filter((d) => d.state === 'done').length === 3 ? true : undefined));
    const shift = core.currentShift()!;
    expect(shift.operators).toEqual(['unassigned']);
    const runs = core.listRuns(shift.id);
    expect(runs.map((r) => r.state)).toEqual(['done', 'done', 'done']);
    expect(new Set(runs.map((r) => r.serial)).size).toBe(3);
    const bp = core.store.getBlueprint(core.store.getRun(runs[0]!.runId)!.blueprintId);
    expect(bp.id).toBe('school-ipad');
    for (const r of runs) expect(doneSteps(core, r.runId)).toEqual(bp.steps.map((s) => s.id));
    expect(core.listDevices().map((d) => d.slot)).toEqual(['A1', 'A2', 'A3']);
  });

  it('a simulated erase restarts the iPad: it leaves the bus, comes back, and the run goes on at the next step, one tile throughout', async () => {
    const core = await station({ simulate: 2 });
    await until('2 done', () => (core.listDevices().filter((d) => d.state === 'done').length === 2 ? true : undefined));
    expect(core.listDevices()).toHaveLength(2);
    for (const r of core.listRuns(core.currentShift()!.id)) {
      const events = core.store.stepEvents(r.runId).map((e) => `${e.kind} ${e.step}`);
      // Erase ran once: its restart ended the step, it was not interrupted and run again.
      expect(events.filter((e) => e === 'start erase')).toHaveLength(1);
      expect(events).toContain('waiting erase');
      expect(events).not.toContain('interrupted erase');
      expect(events.indexOf('done erase')).toBeGreaterThan(events.indexOf('waiting erase'));
      expect(events.indexOf('start supervise')).toBeGreaterThan(events.indexOf('done erase'));
    }
  });

  it('tells renderers when it opens a shift for itself, as it does for one opened by hand', async () => {
    const core = await station();
    const shifts: (string | null)[] = [];
    core.onEvent((event) => {
      if (event.type === 'shift') shifts.push(event.shift?.operators.join(',') ?? null);
    });
    expect(core.currentShift()).toBeNull();
    core.plugSimulated({ count: 1 });
    await until('a shift event', () => (shifts.length > 0 ? shifts : undefined));
    expect(shifts[0]).toBe('unassigned');
  });

  it('after a restart a done device is shown done and not enrolled again; --simulate adds no devices', async () => {
    let core = await station({ simulate: 2 });
    await until('2 done', () => (core.listDevices().filter((d) => d.state === 'done').length === 2 ? true : undefined));
    const before = core.store.db.prepare('SELECT id FROM runs ORDER BY id').all();
    core = await restart(core, { simulate: 2 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(core.store.db.prepare('SELECT id FROM runs ORDER BY id').all()).toEqual(before);
    expect(core.simulator!.list()).toHaveLength(2);
    expect(core.listDevices().map((d) => d.state)).toEqual(['done', 'done']);
  });

  it('a failed run is restored after a restart and a technician retry finishes it from the failed step', async () => {
    let core = await station();
    const [serial] = core.plugSimulated({ count: 1, model: 'iPad (10th generation)', failAt: 'supervise' });
    // supervise has one automatic retry (its 2 s backoff shrinks with --sim-speed) before it fails for good.
    const failed = await until('failed', inState(core, serial!, 'failed'), 15_000);
    expect(failed.step).toBe('supervise');
    expect(failed.error?.message).toMatch(/Activation Lock/);
    core = await restart(core);
    const restored = device(core, serial!)!;
    expect(restored).toMatchObject({ state: 'failed', step: 'supervise', runId: failed.runId });
    core.retryRun(failed.runId!);
    await until('done', inState(core, serial!, 'done'));
    const steps = core.store.getBlueprint(core.store.getRun(failed.runId!)!.blueprintId).steps.map((s) => s.id);
    expect(doneSteps(core, failed.runId!)).toEqual(steps);
  });

  it('a device unplugged while it waits for the technician is interrupted, and resumes at the same step when plugged back', async () => {
    const core = await station();
    const [serial] = core.plugSimulated({ count: 1, model: 'Notebook 14 (Schule)' });
    const waiting = await until('waiting', inState(core, serial!, 'waiting'));
    expect(waiting).toMatchObject({ step: 'check-hardware', waiting: { reason: 'technician' } });
    core.unplugSimulated(serial!);
    const interrupted = await until('interrupted', inState(core, serial!, 'interrupted'));
    expect(interrupted).toMatchObject({ step: 'check-hardware', present: false, runId: waiting.runId });
    core.replugSimulated(serial!);
    await until('waiting again', inState(core, serial!, 'waiting'));
    for (const step of ['check-hardware', 'check-boot', 'check-battery']) {
      await until(`${step} waits`, () => (device(core, serial!)?.state === 'waiting' && device(core, serial!)?.step === step ? true : undefined));
      core.confirmStep(waiting.runId!);
    }
    await until('done', inState(core, serial!, 'done'));
    expect(doneSteps(core, waiting.runId!)).toEqual(['identify', 'check-hardware', 'check-boot', 'check-battery', 'label']);
  });

  it('a run the database holds as queued (the station stopped right after creating it) starts at boot', async () => {
    let core = await station();
    await cores.close(core);
    // What a crash between creating a run and starting it leaves behind.
    const store = new StationStore(path.join(cores.dir(), 'station.db'));
    const now = new Date().toISOString();
    const serial = 'DMPQUEUED0001';
    store.saveSimDevice({
      serial,
      platform: 'ios',
      model: 'iPad (10th generation)',
      osVersion: '18.1',
      portPath: 'sim-1',
      plugged: true,
      failAt: null,
      state: {},
    });
    store.upsertDevice(
      { serial, family: 'simulated', platform: 'ios', model: 'iPad (10th generation)', osVersion: '18.1', portPath: 'sim-1', present: true },
      now,
    );
    const bpId = (store.db.prepare("SELECT id FROM blueprints WHERE name = 'school-ipad'").get() as { id: number }).id;
    const shiftId = store.ensureShift(now).id;
    store.createRun(
      queuedRun('run-left-queued', serial, bpId, shiftId, now),
      { stepIndex: null, step: null, kind: 'created', attempt: 1, message: null },
      testOutboxEvent(),
    );
    store.close();
    core = await station();
    await until('done', inState(core, serial, 'done'));
    expect(core.store.getRun('run-left-queued')!.state).toBe('done');
    expect(core.store.db.prepare('SELECT count(*) AS n FROM runs').get()).toEqual({ n: 1 });
  });

  it('technician actions name what is wrong: unknown run, finished run, mandatory step', async () => {
    const core = await station();
    const catchCode = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return err instanceof AppError ? err.code : (err as Error).name;
      }
      return 'no error';
    };
    expect(catchCode(() => core.retryRun('nope'))).toBe('not_found');
    expect(catchCode(() => core.cancelRun('nope'))).toBe('not_found');
    const [ok] = core.plugSimulated({ count: 1 });
    const done = await until('done', inState(core, ok!, 'done'));
    expect(catchCode(() => core.retryRun(done.runId!))).toBe('conflict');
    const [bad] = core.plugSimulated({ count: 1, model: 'iPad (10th generation)', failAt: 'profile-youth-protection' });
    const failed = await until('failed', inState(core, bad!, 'failed'), 20_000);
    expect(failed.step).toBe('profile-youth-protection');
    expect(catchCode(() => core.skipStep(failed.runId!))).toBe('conflict');
    expect(device(core, bad!)!.state).toBe('failed');
    core.cancelRun(failed.runId!);
    await until('cancelled', inState(core, bad!, 'cancelled'));
  });
});
