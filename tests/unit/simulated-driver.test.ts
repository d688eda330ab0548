import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BlueprintStep } from '../../shared/blueprint/schema.js';
import type { AttachedDevice, StepContext } from '../../main/drivers/driver.js';
import { DeviceGoneError, StepAbortedError, StepFailedError } from '../../main/drivers/step-errors.js';
import { SimulatedDriver, SimulatorError } from '../../main/drivers/simulated/simulated-driver.js';
import { loadSimProfiles } from '../../main/drivers/simulated/sim-profiles.js';
import { loadBlueprint } from '../../main/blueprints/blueprint-loader.js';
import { StationStore } from '../../main/store/station-store.js';
import { formatMessage } from '../../shared/messages/format.js';
import type { Message } from '../../shared/messages/catalogue.js';
import { tempDir } from '../fixtures/store-helpers.js';

const RESOURCES = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'resources');
const profiles = loadSimProfiles(path.join(RESOURCES, 'simulator', 'profiles.json'));

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

function driver(opts: { speed?: number; failRate?: number; seed?: number; lowBatteryShare?: number } = {}) {
  const d = new SimulatedDriver({
    storage: store,
    profiles: { ...profiles, lowBatteryShare: opts.lowBatteryShare ?? profiles.lowBatteryShare },
    speed: opts.speed ?? Number.POSITIVE_INFINITY,
    failRate: opts.failRate ?? 0,
    seed: opts.seed ?? 1,
  });
  const attached: AttachedDevice[] = [];
  const detached: string[] = [];
  void d.start({ attached: (a) => attached.push(a), detached: (s) => detached.push(s) });
  return { d, attached, detached };
}

/** Params as the blueprint parser leaves them (defaults filled in) for the types whose steps read them. */
const PARAMS: Record<string, Record<string, unknown>> = {
  'manual-check': { prompt: 'Check it' },
  rename: { template: '{school}-{seq}' },
  battery: { minPercent: 30 },
  'enroll-mdm': { profile: 'de.schultraeger.mdm.enroll' },
  'remove-profile': { profile: 'de.schultraeger.policy.youth-protection' },
};

function step(type: string, id = type, extra: Partial<BlueprintStep> = {}): BlueprintStep {
  const params = PARAMS[type] ?? {};
  return { id, type, params, timeout: 60_000, retries: 2, backoff: 1_000, ...extra } as BlueprintStep;
}

function ctx(serial: string, s: BlueprintStep, over: Partial<StepContext> = {}): StepContext & { waits: string[]; waitTexts: (Message | string)[] } {
  const waits: string[] = [];
  const waitTexts: (Message | string)[] = [];
  return {
    runId: 'run-1',
    serial,
    step: s,
    attempt: 1,
    captured: {},
    deviceName: null,
    signal: new AbortController().signal,
    waitFor: async (reason, text, until) => {
      waits.push(reason);
      waitTexts.push(text);
      return until;
    },
    confirmByTechnician: async () => {
      waits.push('technician');
    },
    log: () => {},
    waits,
    waitTexts,
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
    // At real speed a step takes its profile's time (verify: 8 s) +-25 %.
    const verifyMs = profiles.platforms.ios.steps['verify']! * 1000;
    const timed = d.executeStep(ctx(serial!, step('verify')));
    let settled = false;
    void timed.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(verifyMs * 0.75 - 100);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(verifyMs * 0.5 + 200);
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

describe('the iPad steps of the real driver', () => {
  const ios = profiles.platforms.ios;

  it('battery: a charged iPad passes at once; a low one waits, saying to charge, until it holds the level, which it keeps', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const charged = driver({ speed: 1, lowBatteryShare: 0 });
    const [full] = charged.d.plug({ count: 1, platform: 'ios' });
    const quick = ctx(full!, step('battery'));
    await charged.d.executeStep(quick);
    expect(quick.waits).toEqual([]);

    const low = driver({ speed: 1, lowBatteryShare: 1 });
    const [empty] = low.d.plug({ count: 1, platform: 'ios' });
    const charging = ctx(empty!, step('battery'));
    let settled = false;
    const running = low.d.executeStep(charging).then(() => (settled = true));
    // From 12 % to 30 % at the profile's charge rate, +-25 %.
    const chargeMs = (30 - 12) * ios.chargeSecondsPerPercent! * 1000;
    await vi.advanceTimersByTimeAsync(chargeMs * 0.75 - 1000);
    expect(settled).toBe(false);
    expect(charging.waits).toEqual(['battery']);
    expect(formatMessage(charging.waitTexts[0] as Message, 'de')).toBe('Vor dem Löschen auf 30 % laden: Gerät am Hub lassen');
    await vi.advanceTimersByTimeAsync(chargeMs * 0.5 + 2000);
    await running;
    expect(store.listSimDevices().find((r) => r.serial === empty)?.state.battery).toBe(30);
    // Charged now, also for a restarted station: the step passes without waiting.
    const again = ctx(empty!, step('battery'));
    await driver({ speed: Number.POSITIVE_INFINITY }).d.executeStep(again);
    expect(again.waits).toEqual([]);
  });

  it('erase no longer waits for charge by itself: the blueprint says when (its battery step)', async () => {
    const { d } = driver({ lowBatteryShare: 1 });
    const [serial] = d.plug({ count: 1, platform: 'ios' });
    const c = ctx(serial!, step('erase'));
    await d.executeStep(c);
    expect(c.waits).toEqual([]);
  });

  it('restart: the iPad leaves the bus and comes back after the same time away as after an erase', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { d, attached, detached } = driver({ speed: 1 });
    const [serial] = d.plug({ count: 1, platform: 'ios' });
    let announced = false;
    const restarting = d.executeStep(ctx(serial!, step('restart'), { expectReattach: () => void (announced = true) })).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(ios.steps['restart']! * 1250 + 1);
    expect(await restarting).toBeInstanceOf(DeviceGoneError);
    expect(announced).toBe(true);
    expect(detached).toEqual([serial]);
    const awayMs = ios.restartSeconds! * 1000;
    await vi.advanceTimersByTimeAsync(awayMs * 0.75 - 100);
    expect(attached.map((a) => a.serial)).toEqual([serial]);
    await vi.advanceTimersByTimeAsync(awayMs * 0.5 + 200);
    expect(attached.map((a) => a.serial)).toEqual([serial, serial]);
  });

  it.each(['activate', 'supervise', 'enroll-mdm', 'install-profile', 'remove-profile', 'wifi'])('%s takes the profile time of a real iPad', async (type) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { d } = driver({ speed: 1 });
    const [serial] = d.plug({ count: 1, platform: 'ios' });
    const ms = ios.steps[type]! * 1000;
    expect(ms).toBeGreaterThan(0);
    let settled = false;
    const running = d.executeStep(ctx(serial!, step(type))).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(ms * 0.75 - 100);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(ms * 0.5 + 200);
    await running;
    expect(settled).toBe(true);
  });

  it.each(['battery', 'activate', 'enroll-mdm', 'remove-profile', 'restart'])('%s fails with its own cause, in German and English', async (type) => {
    const { d } = driver();
    const [serial] = d.plug({ count: 1, platform: 'ios', failAt: type });
    const err = await d.executeStep(ctx(serial!, step(type, type, { retries: 0 }), { expectReattach: () => {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    const failed = err as StepFailedError;
    expect(failed.code).toBe(`sim.${type}`);
    const text = { code: failed.code, params: failed.params } as Message;
    expect(formatMessage(text, 'de')).not.toBe(failed.code);
    expect(formatMessage(text, 'en')).toBe(failed.message);
    expect(formatMessage(text, 'de')).not.toBe(formatMessage(text, 'en'));
  });
});

describe('the Android tablet steps of the real driver', () => {
  const android = profiles.platforms.android;

  it('the profile times every step android-tablet takes (its baseline included)', () => {
    const blueprint = loadBlueprint(path.join(RESOURCES, 'blueprints', 'android-tablet.yaml'), [path.join(RESOURCES, 'blueprints', 'baselines')]);
    const types = [...new Set(blueprint.steps.map((s) => s.type))];
    expect(types).toEqual(
      expect.arrayContaining([
        'identify',
        'wait-for-trust',
        'battery',
        'install-apk',
        'set-device-owner',
        'settings',
        'wifi',
        'reboot',
        'rename',
        'verify',
        'print-label',
      ]),
    );
    expect(types.filter((t) => android.steps[t] === undefined)).toEqual([]);
  });

  it('reboot: the tablet leaves the bus and comes back after the time a real one takes to boot', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { d, attached, detached } = driver({ speed: 1 });
    const [serial] = d.plug({ count: 1, platform: 'android' });
    let announced = false;
    const rebooting = d.executeStep(ctx(serial!, step('reboot'), { expectReattach: () => void (announced = true) })).catch((err: unknown) => err);
    await vi.advanceTimersByTimeAsync(android.steps['reboot']! * 1250 + 1);
    expect(await rebooting).toBeInstanceOf(DeviceGoneError);
    expect(announced).toBe(true);
    expect(detached).toEqual([serial]);
    const awayMs = android.restartSeconds! * 1000;
    await vi.advanceTimersByTimeAsync(awayMs * 0.75 - 100);
    expect(attached.map((a) => a.serial)).toEqual([serial]);
    await vi.advanceTimersByTimeAsync(awayMs * 0.5 + 200);
    expect(attached.map((a) => a.serial)).toEqual([serial, serial]);
  });

  it('an APK install reports its upload as an app install does', async () => {
    const { d } = driver();
    const [serial] = d.plug({ count: 1, platform: 'android' });
    const reports: { percent: number }[] = [];
    await d.executeStep(ctx(serial!, step('install-apk'), { progress: (p) => void reports.push(p) }));
    expect(reports.length).toBe(20);
    expect(reports.at(-1)).toMatchObject({ percent: 100 });
  });

  it("battery: a low tablet waits with the Android driver's words (percent now and needed), not the iPad's", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { d } = driver({ speed: 1, lowBatteryShare: 1 });
    const [serial] = d.plug({ count: 1, platform: 'android' });
    const charging = ctx(serial!, step('battery'));
    const running = d.executeStep(charging);
    await vi.advanceTimersByTimeAsync((30 - 12) * android.chargeSecondsPerPercent! * 1250 + 2000);
    await running;
    expect(charging.waits).toEqual(['battery']);
    expect(charging.waitTexts[0]).toEqual({ code: 'android.battery-low', params: { percent: 12, min: 30 } });
  });

  it.each([
    ['install-apk', 'sim.install-apk'],
    ['settings', 'sim.settings'],
    ['wifi', 'sim.wifi'],
    ['reboot', 'sim.reboot'],
    ['battery', 'sim.battery-android'],
  ])('%s fails with its own cause, in German and English', async (type, code) => {
    const { d } = driver();
    const [serial] = d.plug({ count: 1, platform: 'android', failAt: type });
    const err = await d.executeStep(ctx(serial!, step(type, type, { retries: 0 }), { expectReattach: () => {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    const failed = err as StepFailedError;
    expect(failed.code).toBe(code);
    const text = { code: failed.code, params: failed.params } as Message;
    expect(formatMessage(text, 'en')).toBe(failed.message);
    expect(formatMessage(text, 'de')).not.toBe(formatMessage(text, 'en'));
    expect(formatMessage(text, 'en')).not.toContain('iPad');
  });
});
