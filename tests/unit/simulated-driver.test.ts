import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlueprintStep } from '../../shared/blueprint/schema.js';
import type { AttachedDevice, StepContext } from '../../main/drivers/driver.js';
import { DeviceGoneError, StepAbortedError, StepFailedError } from '../../main/drivers/step-errors.js';
import { SimulatedDriver, SimulatorError } from '../../main/drivers/simulated/simulated-driver.js';
import { loadSimProfiles } from '../../main/drivers/simulated/sim-profiles.js';
import { StationStore } from '../../main/store/station-store.js';
import { tempDir } from '../fixtures/store-helpers.js';

const profiles = loadSimProfiles(path.join(fileURLToPath(new URL('../..', import.meta.url)), 'resources', 'simulator', 'profiles.json'));

let tmp: ReturnType<typeof tempDir>;
let store: StationStore;
beforeEach(() => {
  tmp = tempDir();
  store = new StationStore(path.join(tmp.dir, 'station.db'));
});
afterEach(() => {
  vi.useRealTimers();
  store.close();
  tmp.cleanup();
});

function driver(opts: { speed?: number; failRate?: number; seed?: number } = {}) {
  const d = new SimulatedDriver({
    storage: store,
    profiles,
    speed: opts.speed ?? Number.POSITIVE_INFINITY,
    failRate: opts.failRate ?? 0,
    seed: opts.seed ?? 1,
  });
  const attached: AttachedDevice[] = [];
  const detached: string[] = [];
  void d.start({ attached: (a) => attached.push(a), detached: (s) => detached.push(s) });
  return { d, attached, detached };
}

function step(type: string, id = type, extra: Partial<BlueprintStep> = {}): BlueprintStep {
  const params: Record<string, unknown> = type === 'manual-check' ? { prompt: 'Check it' } : type === 'rename' ? { template: '{school}-{seq}' } : {};
  return { id, type, params, timeout: 60_000, retries: 2, backoff: 1_000, ...extra } as BlueprintStep;
}

function ctx(serial: string, s: BlueprintStep, over: Partial<StepContext> = {}): StepContext & { waits: string[] } {
  const waits: string[] = [];
  return {
    runId: 'run-1',
    serial,
    step: s,
    attempt: 1,
    captured: {},
    deviceName: null,
    signal: new AbortController().signal,
    waitFor: async (reason, _message, until) => {
      waits.push(reason);
      return until;
    },
    confirmByTechnician: async () => {
      waits.push('technician');
    },
    log: () => {},
    waits,
    ...over,
  };
}

describe('simulated hub', () => {
  it('plugs devices into free ports with serials of their model, stores and announces them', () => {
    const { d, attached } = driver();
    const serials = d.plug({ count: 3, model: 'iPad (10th generation)' });
    expect(serials).toHaveLength(3);
    expect(new Set(serials).size).toBe(3);
    for (const s of serials) expect(s).toMatch(/^DMP[A-Z0-9]{9}$/);
    expect(attached.map((a) => a.portPath)).toEqual(['sim-1', 'sim-2', 'sim-3']);
    expect(attached.every((a) => a.family === 'simulated' && a.platform === 'ios')).toBe(true);
    expect(store.listSimDevices().map((r) => r.serial)).toEqual(serials);
  });

  it('an unknown model is refused and nothing is plugged', () => {
    const { d, attached } = driver();
    expect(() => d.plug({ count: 2, model: 'Nokia 3310' })).toThrow(SimulatorError);
    expect(attached).toEqual([]);
    expect(store.listSimDevices()).toEqual([]);
  });

  it('an unplugged device frees its port; plugged devices survive a restart of the driver, unplugged ones stay out', () => {
    const first = driver();
    const [a, b, c] = first.d.plug({ count: 3 });
    first.d.unplug(b!);
    expect(first.detached).toEqual([b]);
    expect(first.d.plug({ count: 1 }).length).toBe(1);
    expect(first.attached.at(-1)!.portPath).toBe('sim-2');
    const second = driver();
    expect(second.attached.map((x) => x.serial).sort()).toEqual([a, c, first.attached.at(-1)!.serial].sort());
    second.d.replug(b!);
    expect(second.attached.at(-1)!.serial).toBe(b);
  });

  it('the same seed plugs the same devices', () => {
    const one = driver({ seed: 42 }).d.plug({ count: 5 });
    store.close();
    tmp.cleanup();
    tmp = tempDir();
    store = new StationStore(path.join(tmp.dir, 'station.db'));
    const two = driver({ seed: 42 }).d.plug({ count: 5 });
    expect(two).toEqual(one);
  });
});

describe('simulated steps', () => {
  it('identify captures what a real device reports; rename captures the name it was given', async () => {
    const { d } = driver();
    const [serial] = d.plug({ count: 1, model: 'iPad Air (5th generation)' });
    await expect(d.executeStep(ctx(serial!, step('identify')))).resolves.toEqual({
      captured: { serialNumber: serial, model: 'iPad Air (5th generation)', osVersion: '18.1' },
    });
    await expect(d.executeStep(ctx(serial!, step('rename'), { deviceName: 'Schule-007' }))).resolves.toEqual({ captured: { deviceName: 'Schule-007' } });
  });

  it('waits for Trust the first time only, and remembers it across a restart', async () => {
    const first = driver();
    const [serial] = first.d.plug({ count: 1 });
    const c1 = ctx(serial!, step('wait-for-trust'));
    await first.d.executeStep(c1);
    expect(c1.waits).toEqual(['trust']);
    const c2 = ctx(serial!, step('wait-for-trust'));
    await driver().d.executeStep(c2);
    expect(c2.waits).toEqual([]);
  });

  it('manual checks wait for the technician', async () => {
    const { d } = driver();
    const [serial] = d.plug({ count: 1 });
    const c = ctx(serial!, step('manual-check'));
    await d.executeStep(c);
    expect(c.waits).toEqual(['technician']);
  });

  it('failAt fails the step until its automatic retries are used up, then a technician retry succeeds, also after a restart', async () => {
    const first = driver();
    const [serial] = first.d.plug({ count: 1, failAt: 'erase' });
    const erase = step('erase', 'erase', { retries: 1 });
    await expect(first.d.executeStep(ctx(serial!, erase))).rejects.toBeInstanceOf(StepFailedError);
    const second = driver();
    await expect(second.d.executeStep(ctx(serial!, erase, { attempt: 2 }))).rejects.toThrow(/busy/);
    await expect(second.d.executeStep(ctx(serial!, erase, { attempt: 1 }))).resolves.toEqual({});
    await expect(second.d.executeStep(ctx(serial!, step('verify')))).resolves.toEqual({});
  });

  it('a fail rate with a seed fails the same steps every time', async () => {
    const outcomes = async () => {
      const { d } = driver({ failRate: 0.3, seed: 9 });
      const [serial] = d.plug({ count: 1 });
      const results: boolean[] = [];
      for (let i = 0; i < 40; i++)
        results.push(
          await d.executeStep(ctx(serial!, step('verify'))).then(
            () => true,
            () => false,
          ),
        );
      return results;
    };
    const one = await outcomes();
    store.close();
    tmp.cleanup();
    tmp = tempDir();
    store = new StationStore(path.join(tmp.dir, 'station.db'));
    expect(await outcomes()).toEqual(one);
    expect(one.filter((ok) => !ok).length).toBeGreaterThan(3);
    expect(one.filter((ok) => ok).length).toBeGreaterThan(15);
  });

  it('a step on an unplugged device reports the device gone', async () => {
    const { d } = driver();
    const [serial] = d.plug({ count: 1 });
    d.unplug(serial!);
    await expect(d.executeStep(ctx(serial!, step('verify')))).rejects.toBeInstanceOf(DeviceGoneError);
  });

  it('unplugging mid-step reports the device gone; aborting the step (timeout, cancel) reports it stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { d } = driver({ speed: 1 });
    const [serial] = d.plug({ count: 1 });
    const unplugged = d.executeStep(ctx(serial!, step('verify')));
    d.unplug(serial!);
    await expect(unplugged).rejects.toBeInstanceOf(DeviceGoneError);
    d.replug(serial!);
    const abort = new AbortController();
    const aborted = d.executeStep(ctx(serial!, step('verify'), { signal: abort.signal }));
    abort.abort();
    await expect(aborted).rejects.toBeInstanceOf(StepAbortedError);
    // At real speed a step takes its profile's time: verify is 10 s +-25 %.
    const timed = d.executeStep(ctx(serial!, step('verify')));
    let settled = false;
    void timed.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(7_000);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(settled).toBe(true);
  });
});

describe("a real device's habits", () => {
  it('after an erase the device leaves the bus, saying so first, and the same serial comes back on its own', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { d, attached, detached } = driver({ speed: 1000 });
    const [serial] = d.plug({ count: 1, platform: 'ios' });
    let announced = false;
    let left = false;
    const running = d.executeStep(ctx(serial!, step('erase'), { expectReattach: () => void (announced = true) }));
    const outcome = running.catch((err: unknown) => {
      left = detached.length === 1 && attached.length === 1;
      return err;
    });
    await vi.advanceTimersByTimeAsync(400); // 240 s of erasing at 1000x, with jitter, then 40 s of restarting
    expect(await outcome).toBeInstanceOf(DeviceGoneError);
    expect(announced).toBe(true);
    expect(left).toBe(true);
    expect(detached).toEqual([serial]);
    expect(attached.map((a) => a.serial)).toEqual([serial, serial]);
    // The stored plug state never said "unplugged": a station restarted meanwhile finds it back.
    expect(store.listSimDevices().find((r) => r.serial === serial)?.plugged).toBe(true);
  });

  it('a device pulled while it restarts does not come back by itself', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { d, attached, detached } = driver({ speed: 1000 });
    const [serial] = d.plug({ count: 1, platform: 'ios' });
    const erasing = d.executeStep(ctx(serial!, step('erase'), { expectReattach: () => {} })).catch(() => {});
    await vi.advanceTimersByTimeAsync(240 * 1.25 + 1); // erased at the latest now, and restarting
    await erasing;
    expect(detached).toEqual([serial]); // away, restarting
    d.unplug(serial!);
    const before = attached.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(attached.length).toBe(before);
    expect(store.listSimDevices().find((r) => r.serial === serial)?.plugged).toBe(false);
  });

  it('an app install reports percent, bytes and bytes per second as it uploads', async () => {
    const { d } = driver();
    const [serial] = d.plug({ count: 1, platform: 'ios' });
    const reports: { percent: number; bytes?: number; total?: number; bytesPerSecond?: number }[] = [];
    await d.executeStep(ctx(serial!, step('install-app'), { progress: (p) => void reports.push(p) }));
    expect(reports.length).toBe(20);
    expect(reports.map((r) => r.percent)).toEqual([...reports.map((r) => r.percent)].sort((a, b) => a - b));
    expect(reports.at(-1)).toMatchObject({ percent: 100 });
    expect(reports.at(-1)!.bytes).toBe(reports.at(-1)!.total);
    expect(reports[0]!.bytesPerSecond).toBeGreaterThan(0);
  });
});
