import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StepContext, StepOutcome } from '../../main/drivers/driver.js';
import { StepAbortedError } from '../../main/drivers/step-errors.js';
import { LaneScheduler, laneKeys, parseLaneCaps } from '../../main/pipeline/lanes.js';
import { RunController, type LiveRun } from '../../main/pipeline/run-controller.js';
import { StationStore } from '../../main/store/station-store.js';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import { tempDir, testBlueprint, testDevice } from '../fixtures/store-helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('lane scheduler', () => {
  const ask = (s: LaneScheduler, runId: string, lanes: string[], at: string, log: string[]) => s.request(runId, lanes, at, () => log.push(runId));
  const places = (s: LaneScheduler, ids: string[]) => ids.map((id) => s.position(id));

  it('serves the first plugged first, tells each waiter how many are ahead, and hands a released lane on in order', async () => {
    const s = new LaneScheduler({ heavy: 2, driver: 25 });
    const granted: string[] = [];
    let moved = 0;
    s.onMoved(() => moved++);
    // Asked in another order than plugged (as after a restart): served by plug time.
    for (const [id, at] of [
      ['r3', '08:03'],
      ['r1', '08:01'],
      ['r5', '08:05'],
      ['r2', '08:02'],
      ['r4', '08:04'],
    ] as const)
      ask(s, id, ['bus:1'], at, granted);
    await settle();
    expect(granted).toEqual(['r1', 'r2']);
    expect(places(s, ['r1', 'r2', 'r3', 'r4', 'r5'])).toEqual([null, null, 0, 1, 2]);
    expect(moved).toBe(1);
    s.release('r2');
    await settle();
    expect(granted).toEqual(['r1', 'r2', 'r3']);
    expect(places(s, ['r4', 'r5'])).toEqual([0, 1]);
    expect(s.running).toBe(2);
  });

  it('a device on a free bus does not wait behind a full one; nobody overtakes inside a lane', async () => {
    const s = new LaneScheduler({ heavy: 1, driver: 25 });
    const granted: string[] = [];
    ask(s, 'a', ['driver:ios', 'bus:1'], '1', granted);
    ask(s, 'b', ['driver:ios', 'bus:1'], '2', granted);
    ask(s, 'c', ['driver:ios', 'bus:2'], '3', granted);
    await settle();
    expect(granted).toEqual(['a', 'c']);
    ask(s, 'd', ['driver:ios', 'bus:1'], '4', granted);
    s.release('a');
    await settle();
    // b was first in line for bus 1: d, plugged later, stays behind it.
    expect(granted).toEqual(['a', 'c', 'b']);
    expect(s.position('d')).toBe(0);
  });

  it('a withdrawn request (run cancelled, device gone) gives its place up', async () => {
    const s = new LaneScheduler({ heavy: 1, driver: 25 });
    const granted: string[] = [];
    ask(s, 'a', ['bus:1'], '1', granted);
    const cancelB = ask(s, 'b', ['bus:1'], '2', granted);
    ask(s, 'c', ['bus:1'], '3', granted);
    await settle();
    expect(s.position('c')).toBe(1);
    cancelB();
    await settle();
    expect(s.position('c')).toBe(0);
    s.release('a');
    await settle();
    expect(granted).toEqual(['a', 'c']);
  });

  it('takes the lanes from the driver and the bus of the port path', () => {
    expect(laneKeys('ios', '1-4.2')).toEqual(['driver:ios', 'bus:1']);
    expect(laneKeys('android', '3-1')).toEqual(['driver:android', 'bus:3']);
    expect(laneKeys('simulated', 'sim-12')).toEqual(['driver:simulated', 'bus:sim']);
    expect(laneKeys('serial', '/dev/ttyS0')).toEqual(['driver:serial']);
  });

  it('reads caps as --lane-cap gives them, over a base, and refuses what is not a cap', () => {
    expect(parseLaneCaps('heavy=2')).toEqual({ heavy: 2, driver: 25 });
    expect(parseLaneCaps('driver=4', { heavy: 3, driver: 9 })).toEqual({ heavy: 3, driver: 4 });
    expect(parseLaneCaps('')).toEqual({ heavy: 10, driver: 25 });
    expect(() => parseLaneCaps('heavy=0')).toThrow('--lane-cap takes e.g. "heavy=10,driver=25"');
    expect(() => parseLaneCaps('fast=3')).toThrow('not "fast=3"');
  });
});

describe('lanes in the pipeline', () => {
  let tmp: ReturnType<typeof tempDir>;
  const stores: StationStore[] = [];
  const controllers: RunController[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    tmp = tempDir();
  });
  afterEach(() => {
    for (const c of controllers.splice(0)) c.stopAll();
    for (const s of stores.splice(0)) if (s.db.open) s.close();
    vi.useRealTimers();
    tmp.cleanup();
  });

  /** Six iPads on one bus; erase is held until the test finishes it, everything else is instant. */
  function bench(blueprint: Blueprint, existing?: StationStore) {
    const store = existing ?? new StationStore(path.join(tmp.dir, 'station.db'));
    if (!existing) stores.push(store);
    const blueprintId = store.saveBlueprint(blueprint, null, new Date().toISOString());
    const shiftId = store.ensureShift(new Date().toISOString()).id;
    const serials = ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'];
    for (const s of serials) store.upsertDevice({ ...testDevice(s), portPath: `1-4.${s.slice(1)}` }, new Date().toISOString());
    let heavyNow = 0;
    let heavyMax = 0;
    const erasing = new Map<string, () => void>();
    const contexts = new Map<string, StepContext>();
    const order: string[] = [];
    const light: string[] = [];
    const controller = new RunController({
      clock: { now: () => Date.now(), speed: 1 },
      stationId: 'station-test',
      createRun: (run, event, outbox) => store.createRun(run, event, outbox),
      commitTransition: (...args) => store.commitTransition(...args),
      executeStep: (serial: string, ctx: StepContext): Promise<StepOutcome> => {
        if (ctx.step.type !== 'erase') {
          light.push(`${serial} ${ctx.step.id}`);
          return Promise.resolve({});
        }
        heavyNow++;
        heavyMax = Math.max(heavyMax, heavyNow);
        order.push(serial);
        contexts.set(serial, ctx);
        return new Promise((resolve, reject) => {
          const end = () => (heavyNow--, erasing.delete(serial));
          erasing.set(serial, () => (end(), resolve({})));
          ctx.signal.addEventListener('abort', () => (end(), reject(new StepAbortedError())), { once: true });
        });
      },
      deviceName: () => null,
      log: () => {},
      laneKeys: (serial) => laneKeys('ios', store.getDevice(serial)?.portPath ?? null),
      laneCaps: { heavy: 2, driver: 25 },
    });
    controllers.push(controller);
    const plug = (serial: string): LiveRun => {
      vi.advanceTimersByTime(1000); // one a second: plug order is queue order
      return controller.start({ serial, shiftId, slot: null, operator: null, blueprint, blueprintId });
    };
    return { store, controller, serials, erasing, contexts, order, light, plug, heavy: () => ({ now: heavyNow, max: heavyMax }) };
  }

  const eraseBlueprint = () => testBlueprint([{ id: 'identify' }, { id: 'erase', type: 'erase', params: {} }, { id: 'verify' }]);

  it('a lane cap of 2 with 6 devices never runs more than 2 heavy steps, serves them in plug order, and shows the waiting their place', async () => {
    const b = bench(eraseBlueprint());
    const runs = b.serials.map((s) => b.plug(s));
    await settle();
    expect(b.heavy()).toEqual({ now: 2, max: 2 });
    expect(b.order).toEqual(['S1', 'S2']);
    // Light steps of every device ran at once, none waited behind the erases.
    expect(b.light).toEqual(b.serials.map((s) => `${s} identify`));
    const s5 = runs[4]!;
    expect(b.store.getRun(s5.id)).toMatchObject({ state: 'queued', phase: 'lane', stepIndex: 1 });
    expect(s5.waiting).toMatchObject({ reason: 'lane', message: 'Waiting for a free lane (2 ahead)', text: { code: 'wait.lane', params: { ahead: 2 } } });
    while (b.erasing.size > 0) {
      b.erasing.values().next().value!();
      await settle();
      expect(b.heavy().now).toBeLessThanOrEqual(2);
    }
    expect(b.heavy().max).toBe(2);
    expect(b.order).toEqual(b.serials);
    for (const run of runs) expect(b.store.getRun(run.id)?.state).toBe('done');
  });

  it('the queue survives a restart: waiting runs are served by their plug time, whatever order they are restored in', async () => {
    const b = bench(eraseBlueprint());
    const runs = b.serials.map((s) => b.plug(s));
    await settle();
    b.controller.stopAll();
    const again = bench(eraseBlueprint(), b.store);
    // Restored in reverse: S6 first. The two that were erasing resume first, then S3, S4, ...
    for (const run of [...runs].reverse()) again.controller.restore(again.store.getRun(run.id)!, run.blueprint);
    await settle();
    expect(again.order).toEqual(['S1', 'S2']);
    expect(again.heavy().max).toBe(2);
    while (again.erasing.size > 0) {
      again.erasing.values().next().value!();
      await settle();
    }
    expect(again.order).toEqual(b.serials);
    expect(again.heavy().max).toBe(2);
  });

  it("a step whose heavy part is over (an app's upload) hands its lane on while it goes on (the device installing)", async () => {
    const b = bench(eraseBlueprint());
    const runs = b.serials.map((s) => b.plug(s));
    await settle();
    expect(b.order).toEqual(['S1', 'S2']);
    b.contexts.get('S1')!.laneDone!();
    await settle();
    // S3 got S1's lane; S1's step still runs (three steps, two lanes held).
    expect(b.order).toEqual(['S1', 'S2', 'S3']);
    expect(b.heavy().now).toBe(3);
    expect(b.store.getRun(runs[0]!.id)).toMatchObject({ state: 'running', stepIndex: 1 });
    // S1 ending releases nothing more: S4 still waits for S2's or S3's lane.
    b.erasing.get('S1')!();
    await settle();
    expect(b.order).toEqual(['S1', 'S2', 'S3']);
    expect(b.store.getRun(runs[3]!.id)).toMatchObject({ state: 'queued', phase: 'lane' });
    while (b.erasing.size > 0) {
      b.erasing.values().next().value!();
      await settle();
    }
    expect(b.order).toEqual(b.serials);
    for (const run of runs) expect(b.store.getRun(run.id)?.state).toBe('done');
  });

  it('a blueprint can make a step light: it then never waits for a lane', async () => {
    const b = bench(testBlueprint([{ id: 'erase', type: 'erase', params: {}, heavy: false }]));
    b.serials.map((s) => b.plug(s));
    await settle();
    expect(b.heavy().max).toBe(6);
  });
});
