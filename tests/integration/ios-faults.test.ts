import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceView } from '../../shared/contract/station-api.js';
import type { UploadFaults } from '../emulators/ios/services/index.js';
import { makeIpadSpec } from '../emulators/ios/ipad-emulator.js';
import { startIosFloor, type IosFloor } from '../fixtures/ios-floor.js';
import { requireBuild, startStation, stopStation, waitFor, type StationProcess } from './station-process.js';

/**
 * The faults of a real bench, on emulated iPads through school-ipad and the real iOS driver: the
 * user denies Trust, an app fails verification, an iPad is unplugged mid-upload and plugged back,
 * usbmuxd dies and comes back mid-run, the station is SIGKILLed while an iPad erases; and, with a
 * blueprint that does not erase first, an iPad that is already configured (MCInstall 14002). Each
 * ends as the pipeline's rules say, and nothing is done twice.
 */
const SPEED = 50;

let floor: IosFloor | null = null;
let station: StationProcess | null = null;

beforeAll(() => requireBuild());
afterEach(async () => {
  if (station) await stopStation(station, 'SIGKILL');
  station = null;
  await floor?.close();
  floor = null;
});

async function devices(s: StationProcess): Promise<DeviceView[]> {
  const res = await s.api<DeviceView[]>('GET', '/api/v1/devices');
  expect(res.status).toBe(200);
  return res.body;
}

async function deviceOf(s: StationProcess, udid: string): Promise<DeviceView | undefined> {
  return (await devices(s)).find((d) => d.serial === udid);
}

const used = { batteryPercent: 70 };
const fresh = { setupDone: false, activationState: 'Unactivated' as const, batteryPercent: 60 };

describe('iOS faults on a bench of emulated iPads', () => {
  it('denied Trust, a failing app, unplug mid-upload, usbmuxd restart and a station killed mid-erase end as the rules say, nothing twice', async () => {
    const specs = [makeIpadSpec(0, used), makeIpadSpec(1, used), makeIpadSpec(2, used), makeIpadSpec(3, fresh), makeIpadSpec(4, used), makeIpadSpec(5, fresh)];
    const [denied, failing, unplugged, fresh1, killedMidErase, fresh2] = specs.map((s) => s.udid) as [string, string, string, string, string, string];
    floor = await startIosFloor({ speed: SPEED, devices: [], appBytes: 2 * 1024 * 1024 });
    const pagesIpa = floor.library.files.find((f) => f.name.startsWith('Pages'))!;
    for (const spec of specs) await floor.emulator.plug(spec);
    floor.state(denied).faults.denyTrust = true;
    floor.state(failing).faults.failVerification = ['com.apple.Keynote'];
    const uploadFaults: UploadFaults = floor.state(unplugged).faults;
    uploadFaults.unplugDuringUploadAt = 0.5;
    uploadFaults.uploadSizeBytes = fs.statSync(pagesIpa.path).size;

    station = await startStation(floor.dataDir, floor.args, 30_000, floor.env);

    // 1. The station dies (SIGKILL: no shutdown code runs) while an iPad erases, and starts again.
    await waitFor('an iPad erasing', async () => ((await deviceOf(station!, killedMidErase))?.step === 'erase' ? true : undefined), 60_000, 20);
    await stopStation(station, 'SIGKILL');
    station = await startStation(floor.dataDir, floor.args, 30_000, floor.env);

    // 2. usbmuxd dies while apps install, and comes back a moment later; the runs carry on.
    await waitFor(
      'an app installing',
      async () => ((await devices(station!)).some((d) => d.state === 'running' && d.step?.startsWith('app-')) ? true : undefined),
      60_000,
      50,
    );
    await floor.emulator.stopUsbmuxd();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await floor.emulator.startUsbmuxd();

    // 3. The iPad unplugged mid-upload is interrupted, and goes on when it is back.
    await waitFor(
      'the unplugged iPad interrupted',
      async () => ((await deviceOf(station!, unplugged))?.state === 'interrupted' ? true : undefined),
      60_000,
      50,
    );
    await floor.emulator.replug(unplugged);

    const final = await waitFor(
      'every run settled',
      async () => {
        const list = await devices(station!);
        return list.length === specs.length && list.every((d) => d.state === 'done' || d.state === 'failed') ? list : undefined;
      },
      120_000,
      200,
    );
    const byUdid = new Map(final.map((d) => [d.serial, d]));
    const explain = () => final.map((d) => `${d.serial}: ${d.state} at ${d.step} ${d.error?.code ?? ''}`).join('\n') + '\n' + station!.output().slice(-3000);

    // Trust denied: failed where it happened, with what to do; nothing else was done to the iPad.
    expect(byUdid.get(denied)?.state, explain()).toBe('failed');
    expect(byUdid.get(denied)?.step).toBe('trust');
    expect(byUdid.get(denied)?.error?.code).toBe('ios.trust-denied');
    expect(floor.erasures(denied)).toBe(0);
    // The app that fails verification: failed at its step; the app before it is installed.
    expect(byUdid.get(failing)?.state, explain()).toBe('failed');
    expect(byUdid.get(failing)?.step).toBe('app-keynote');
    expect(byUdid.get(failing)?.error?.code).toBe('ios.app-verification-failed');
    expect([...floor.state(failing).apps.keys()]).toEqual(['com.apple.Pages']);
    // Everyone else is done, each used iPad erased exactly once (the one erasing when the station died too).
    for (const udid of [unplugged, fresh1, killedMidErase, fresh2]) {
      expect(byUdid.get(udid)?.state, explain()).toBe('done');
      expect([...floor.state(udid).apps.keys()].sort()).toEqual(['com.apple.Keynote', 'com.apple.Pages', 'com.apple.schoolwork.ClassKitApp']);
      // The upload cut off by the unplug left no partial file behind.
      expect([...floor.state(udid).files.keys()].filter((f) => f.startsWith('PublicStaging/'))).toEqual([]);
    }
    for (const udid of [failing, unplugged, killedMidErase]) expect(floor.erasures(udid), `${udid} erased once`).toBe(1);
    for (const udid of [fresh1, fresh2]) expect(floor.erasures(udid), `${udid} never erased`).toBe(0);
    expect(floor.activation.counts.activated, 'one activation per iPad past trust').toBe(5);

    // The shift log: no step done twice in any run.
    const shifts = await station.api<{ id: string }[]>('GET', '/api/v1/shifts');
    const exported = await station.api<{ steps: { runId: string; step: string; status: string; attempt: number }[] }>(
      'GET',
      `/api/v1/shifts/${shifts.body[0]!.id}/export?format=json`,
    );
    for (const d of final) {
      const done = exported.body.steps.filter((s) => s.runId === d.runId && s.status === 'done').map((s) => s.step);
      expect(new Set(done).size, `run ${d.runId}: no step done twice`).toBe(done.length);
    }
    const keynoteTries = exported.body.steps.filter((s) => s.runId === byUdid.get(failing)!.runId && s.step === 'app-keynote' && s.status === 'failed');
    // The same package fails verification the same way every time: no automatic retry, the technician decides.
    expect(keynoteTries.length, 'the failing app is not retried automatically').toBe(1);
  }, 240_000);

  it('an iPad already configured answers 14002 at supervise: failed at once with "erase first", not retried', async () => {
    const configured = makeIpadSpec(0, used);
    floor = await startIosFloor({ speed: SPEED, devices: [] });
    const blueprint = path.join(floor.work, 'supervise-only.yaml');
    fs.writeFileSync(
      blueprint,
      [
        'id: supervise-only',
        'name: Betreuen ohne Löschen',
        'version: 1',
        'platform: ios',
        'steps:',
        '  - { id: identify, type: identify, timeout: 30s }',
        '  - { id: trust, type: wait-for-trust, timeout: 2m }',
        '  - { id: supervise, type: supervise, timeout: 2m, retries: 2, params: { organization: "Schulträger" } }',
        '',
      ].join('\n'),
    );
    const ipad = await floor.emulator.plug(configured);
    ipad.cloudConfiguration = { OrganizationName: 'Andere Schule', IsSupervised: true };
    station = await startStation(floor.dataDir, [...floor.args, '--blueprint', blueprint], 30_000, floor.env);
    const failed = await waitFor(
      'supervise refused',
      async () => {
        const d = await deviceOf(station!, configured.udid);
        return d?.state === 'failed' ? d : undefined;
      },
      60_000,
      100,
    );
    expect(failed.step).toBe('supervise');
    expect(failed.error?.code).toBe('ios.already-configured');
    expect(failed.attempts, 'refused for good: retrying cannot help').toBe(1);
    // The device keeps its old configuration: nothing was overwritten.
    expect((floor.state(configured.udid).cloudConfiguration as { OrganizationName?: string }).OrganizationName).toBe('Andere Schule');
  }, 120_000);
});
