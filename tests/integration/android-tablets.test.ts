import { hasAdb } from '../emulators/android/adb-server.js';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { DeviceView } from '../../shared/contract/station-api.js';
import { makeTabletSpec, startAndroidEmulator, type AndroidEmulator, type EmulatedTablet, type EmulatedTabletSpec } from '../emulators/android/adb-emulator.js';
import { startAndroidFloor, WIFI_PASSWORD, WIFI_SSID, type AndroidFloor } from '../fixtures/android-floor.js';
import { EXAMPLE_APKS, EXAMPLE_OWNER } from '../fixtures/android-library.js';
import { requireBuild, startStation, stopStation, waitFor, type StationProcess } from './station-process.js';

/**
 * Emulated Android tablets (tests/emulators/android: adbd on loopback TCP) through the REAL adb
 * server (Debian adb 29, its own port and temp HOME) and the default android-tablet blueprint on
 * a real headless station with the Android driver. The tablets join with `adb connect`, as
 * tablets on the network do: adb lists them as 127.0.0.1:PORT without a USB path, so the station
 * shows each on a tile by its serial (ro.serialno). What the tablets hold afterwards is read from
 * the emulator; the shift log says how often each step was done. Then the faults of a real bench.
 */

const ADB = hasAdb();
if (!ADB) console.warn('android-tablets integration: skipped, no `adb` on PATH (Debian package adb)');

/** The steps of android-tablet with its baseline, in order. */
const STEPS = [
  'identify',
  'trust',
  'battery',
  'policy-youth-protection',
  'dpc',
  'app-browser',
  'app-geogebra',
  'device-owner',
  'settings',
  'wifi',
  'reboot',
  'rename',
  'verify',
  'label',
];
const INSTALL_STEPS = new Set(['policy-youth-protection', 'dpc', 'app-browser', 'app-geogebra']);

let floor: AndroidFloor | null = null;
let emulator: AndroidEmulator | null = null;
let station: StationProcess | null = null;
/** What the last station logged, kept past afterEach for a failing test's report. */
let lastOutput = '';

beforeAll(() => requireBuild());

/** A failing test prints what the station logged (the driver's view of adb): a flaky one shows why. */
function explainFailures(): void {
  onTestFailed(() => console.log(lastOutput.slice(-8000)));
}
afterEach(async () => {
  // BENCHLINE_ANDROID_TEST_LOG=1 prints what the station logged (the driver's view of adb).
  lastOutput = station?.output() ?? '';
  if (process.env['BENCHLINE_ANDROID_TEST_LOG']) console.log(lastOutput);
  if (station) await stopStation(station, 'SIGKILL');
  station = null;
  await emulator?.close();
  emulator = null;
  await floor?.close();
  floor = null;
});

/** Floor, tablets and station, the tablets joined with `adb connect`. */
async function bench(
  speed: number,
  specs: EmulatedTabletSpec[],
  apkBytes: number,
): Promise<{ floor: AndroidFloor; emulator: AndroidEmulator; station: StationProcess }> {
  floor = await startAndroidFloor({ speed, apkBytes });
  emulator = await startAndroidEmulator({ speed, devices: specs });
  station = await startStation(floor.dataDir, floor.args, 30_000, floor.env);
  await floor.connect(emulator.devices().map((d) => d.port));
  return { floor, emulator, station };
}

async function devices(s: StationProcess): Promise<DeviceView[]> {
  const res = await s.api<DeviceView[]>('GET', '/api/v1/devices');
  expect(res.status).toBe(200);
  return res.body;
}

async function settled(s: StationProcess, count: number, timeoutMs: number): Promise<DeviceView[]> {
  return waitFor(
    `${count} runs settled`,
    async () => {
      const list = await devices(s);
      return list.length === count && list.every((d) => d.state === 'done' || d.state === 'failed') ? list : undefined;
    },
    timeoutMs,
    200,
  );
}

interface ExportedStep {
  runId: string;
  step: string;
  status: string;
  attempt: number;
}

/** The shift log's steps (JSON export of the station's shift). */
async function shiftSteps(s: StationProcess): Promise<ExportedStep[]> {
  const shifts = await s.api<{ id: string }[]>('GET', '/api/v1/shifts');
  const exported = await s.api<{ steps: ExportedStep[] }>('GET', `/api/v1/shifts/${shifts.body[0]!.id}/export?format=json`);
  return exported.body.steps;
}

function doneSteps(steps: readonly ExportedStep[], runId: string): string[] {
  return steps.filter((s) => s.runId === runId && s.status === 'done').map((s) => s.step);
}

/** Every example app at its version, each committed by the package manager exactly once. */
function expectAppsInstalledOnce(tablet: EmulatedTablet): void {
  const serial = tablet.spec.serial;
  for (const apk of EXAMPLE_APKS) {
    const installed = tablet.packages.get(apk.packageName);
    expect(installed?.versionCode, `${serial}: ${apk.packageName}`).toBe(apk.versionCode);
    expect(installed?.lastUpdateTime, `${serial}: ${apk.packageName} installed once`).toBe(installed?.firstInstallTime);
  }
}

describe.skipIf(!ADB)('Android tablets through the real adb server and android-tablet', () => {
  it('8 tablets end with the apps, the DPC as device owner, the settings, the Wi-Fi and a name, each step done once', async () => {
    explainFailures();
    const SPEED = 50;
    const specs = [
      makeTabletSpec(0),
      makeTabletSpec(1),
      // Tablets that ask "Allow USB debugging?"; their users tap Allow after a while.
      makeTabletSpec(2, { usbDebugging: 'prompt', allowDebuggingAfterSeconds: 8 }),
      makeTabletSpec(3, { usbDebugging: 'prompt', allowDebuggingAfterSeconds: 15 }),
      // Nearly empty: the battery step waits while it charges (1 % a minute) to 30 %.
      makeTabletSpec(4, { batteryPercent: 20, charging: true }),
      // An Android 9 tablet with `cmd` but not abb_exec: apps are streamed through `exec:cmd package install`.
      makeTabletSpec(5, { features: ['shell_v2', 'cmd', 'stat_v2', 'ls_v2', 'fixed_push_mkdir', 'apex'] }),
      makeTabletSpec(6),
      makeTabletSpec(7),
    ];
    const { emulator, station } = await bench(SPEED, specs, 1024 * 1024);
    const ports = new Map(emulator.devices().map((d) => [d.serial, d.port]));

    const waits = new Set<string>();
    const final = await waitFor(
      'all 8 tablets done',
      async () => {
        const list = await devices(station);
        for (const d of list) if (d.waiting) waits.add(`${d.serial} ${d.step} ${d.waiting.reason} ${d.waiting.text?.code ?? ''}`);
        const failed = list.filter((d) => d.state === 'failed');
        if (failed.length > 0)
          throw new Error(`failed: ${failed.map((d) => `${d.serial} at ${d.step}: ${d.error?.message}`).join('; ')}\n${station.output().slice(-4000)}`);
        return list.length === specs.length && list.every((d) => d.state === 'done') ? list : undefined;
      },
      150_000,
      250,
    );

    // Each tablet on its own tile by its serial (ro.serialno, not adb's 127.0.0.1:PORT): no slot, its adb address as the port.
    expect(final.map((d) => d.serial).sort()).toEqual(specs.map((s) => s.serial).sort());
    for (const d of final) {
      expect(d, d.serial).toMatchObject({
        family: 'android',
        platform: 'android',
        slot: null,
        portPath: `adb:127.0.0.1:${ports.get(d.serial)}`,
        present: true,
      });
      expect(d.blueprint).toBe('android-tablet');
    }

    const names = new Set<string>();
    for (const spec of specs) {
      const tablet = emulator.device(spec.serial);
      expectAppsInstalledOnce(tablet);
      expect(tablet.deviceOwner, spec.serial).toBe(EXAMPLE_OWNER);
      expect(tablet.settings.system.get('screen_off_timeout')).toBe('300000');
      expect(tablet.settings.global.get('auto_time')).toBe('1');
      expect(tablet.settings.global.get('auto_time_zone')).toBe('1');
      expect(tablet.wifi.networks.map((n) => ({ ssid: n.ssid, security: n.security, passphrase: n.passphrase }))).toEqual([
        { ssid: WIFI_SSID, security: 'wpa2', passphrase: WIFI_PASSWORD },
      ]);
      // Rebooted once, and back on the school's network afterwards.
      expect(tablet.rebootCount, `${spec.serial} rebooted once`).toBe(1);
      expect(tablet.wifi.connectedSsid).toBe(WIFI_SSID);
      const name = tablet.settings.global.get('device_name');
      expect(name).toMatch(/^Schule-T\d{3}$/);
      expect(tablet.settings.secure.get('bluetooth_name')).toBe(name);
      expect(final.find((d) => d.serial === spec.serial)?.name).toBe(name);
      names.add(name!);
    }
    expect(names.size, 'every tablet has its own name').toBe(specs.length);
    // The tablet without abb_exec got its apps through `cmd package`, the others through abb_exec.
    expect(emulator.device(specs[5]!.serial).history.some((h) => h.startsWith('exec:cmd package install'))).toBe(true);
    expect(emulator.device(specs[5]!.serial).history.some((h) => h.startsWith('abb_exec:'))).toBe(false);
    expect(emulator.device(specs[0]!.serial).history.some((h) => h.startsWith('abb_exec:package\0install'))).toBe(true);

    // The shift log: every step of android-tablet done exactly once per run, in one attempt.
    const steps = await shiftSteps(station);
    for (const d of final) {
      expect(doneSteps(steps, d.runId!), `run of ${d.serial}`).toEqual(STEPS);
      expect(
        steps.filter((s) => s.runId === d.runId && s.status !== 'done'),
        `run of ${d.serial}: nothing failed or repeated`,
      ).toEqual([]);
    }
    // The low tablet waited at its battery step, saying to charge it, until it held 30 %.
    expect([...waits]).toContain(`${specs[4]!.serial} battery battery android.battery-low`);
    expect(emulator.device(specs[4]!.serial).batteryLevel()).toBeGreaterThanOrEqual(30);
  }, 200_000);

  it('the adb server killed mid-run, accounts on a tablet, a full tablet and an unplug mid-install end as the rules say, nothing done twice', async () => {
    explainFailures();
    const SPEED = 20;
    const specs = [
      makeTabletSpec(0),
      makeTabletSpec(1),
      makeTabletSpec(2, { accounts: [{ name: 'schueler@example.org', type: 'com.google' }] }),
      makeTabletSpec(3),
      makeTabletSpec(4),
      makeTabletSpec(5),
    ];
    const [plainA, plainB, withAccount, full, unplugged, pulledWhileDown] = specs.map((s) => s.serial) as [string, string, string, string, string, string];
    floor = await startAndroidFloor({ speed: SPEED, apkBytes: 4 * 1024 * 1024 });
    emulator = await startAndroidEmulator({ speed: SPEED, devices: specs });
    const emu = emulator;
    emu.device(full).faults.insufficientStorage = true;
    station = await startStation(floor.dataDir, floor.args, 30_000, floor.env);
    await floor.connect(emu.devices().map((d) => d.port));
    const s = station;
    const stateOf = async (serial: string) => (await devices(s)).find((d) => d.serial === serial)?.state;
    // The cable comes out halfway through an upload once the tablet has two apps (after the server's restart below).
    const unpluggedTablet = emu.device(unplugged);
    const userApps = (t: EmulatedTablet) => [...t.packages.values()].filter((p) => !p.system).length;
    const armed = waitFor('two apps on the tablet to unplug', async () => (userApps(unpluggedTablet) >= 2 ? true : undefined), 90_000, 5).then(() => {
      unpluggedTablet.faults.unplugDuringInstallAt = 0.5;
    });

    // 1. The adb server dies while apps install (no one restarts it but the station), and the runs
    // carry on; a tablet pulled while no server runs is forgotten by the new one: it counts as gone
    // (its run interrupted) and goes on once it is back.
    const atKill = await waitFor(
      'an app installing',
      async () => {
        const list = await devices(s);
        return list.some((d) => d.serial === plainA && d.state === 'running' && INSTALL_STEPS.has(d.step ?? '')) ? list : undefined;
      },
      60_000,
      20,
    );
    const killed = await floor.adb.run(['kill-server']);
    emu.unplug(pulledWhileDown);
    expect(killed.code).toBe(0);
    expect(
      atKill.filter((d) => d.state === 'done'),
      'no run was done when the server died',
    ).toEqual([]);
    await waitFor(
      'the tablet pulled while the server was down interrupted',
      async () => ((await stateOf(pulledWhileDown)) === 'interrupted' ? true : undefined),
      60_000,
      50,
    );
    await emu.replug(pulledWhileDown);

    // 2. The tablet unplugged mid-upload is interrupted, and goes on once it is back.
    await armed;
    await waitFor('the tablet unplugged mid-upload interrupted', async () => ((await stateOf(unplugged)) === 'interrupted' ? true : undefined), 60_000, 50);
    expect(emu.devices().find((d) => d.serial === unplugged)?.state).toBe('unplugged');
    expect(userApps(unpluggedTablet), 'unplugged during its third install').toBe(2);
    await emu.replug(unplugged);

    const final = await settled(s, specs.length, 150_000);
    const bySerial = new Map(final.map((d) => [d.serial, d]));
    const explain = () => final.map((d) => `${d.serial}: ${d.state} at ${d.step} ${d.error?.code ?? ''}`).join('\n') + '\n' + s.output().slice(-4000);

    // Accounts on the tablet: failed at the device owner with "remove the account", not retried; the apps before it are in.
    expect(bySerial.get(withAccount)?.state, explain()).toBe('failed');
    expect(bySerial.get(withAccount)?.step).toBe('device-owner');
    expect(bySerial.get(withAccount)?.error?.code).toBe('android.owner-accounts');
    expect(bySerial.get(withAccount)?.error?.message).toContain('already some accounts on the device');
    expect(emu.device(withAccount).deviceOwner).toBeNull();
    expectAppsInstalledOnce(emu.device(withAccount));

    // A full tablet: failed at the first install with the storage instruction, not retried; nothing installed.
    expect(bySerial.get(full)?.state, explain()).toBe('failed');
    expect(bySerial.get(full)?.step).toBe('policy-youth-protection');
    expect(bySerial.get(full)?.error?.code).toBe('android.install-storage');
    expect([...emu.device(full).packages.values()].filter((p) => !p.system)).toEqual([]);

    // The others are done, everything on them once, whatever happened under them.
    for (const serial of [plainA, plainB, unplugged, pulledWhileDown]) {
      expect(bySerial.get(serial)?.state, explain()).toBe('done');
      const tablet = emu.device(serial);
      expectAppsInstalledOnce(tablet);
      expect(tablet.deviceOwner).toBe(EXAMPLE_OWNER);
      expect(tablet.rebootCount, `${serial} rebooted once`).toBe(1);
      expect(tablet.wifi.connectedSsid).toBe(WIFI_SSID);
    }
    // The unplugged tablet's cut-off upload was sent again (installed once, above).
    const uploads = unpluggedTablet.history.filter((h) => h.startsWith('abb_exec:package\0install'));
    expect(uploads.length, 'one upload per app plus the one cut off').toBeGreaterThan(EXAMPLE_APKS.length);

    // The shift log: no step done twice in any run, and the unplugged run was interrupted on the way.
    const steps = await shiftSteps(s);
    // The refusals were final at once (retrying cannot help), and nothing else on those tablets failed.
    const failedSteps = (serial: string) => steps.filter((x) => x.runId === bySerial.get(serial)?.runId && x.status === 'failed').map((x) => x.step);
    expect(failedSteps(withAccount), 'the device owner refused for good: not retried').toEqual(['device-owner']);
    expect(failedSteps(full), 'a full tablet stays full: not retried').toEqual(['policy-youth-protection']);
    for (const d of final) {
      const done = doneSteps(steps, d.runId!);
      expect(new Set(done).size, `run of ${d.serial}: no step done twice`).toBe(done.length);
      if (d.state !== 'done') continue;
      expect(done, `run of ${d.serial}`).toEqual(STEPS);
      // A step cut off by the server's death or the unplug ran again once the tablet was back: it did not fail.
      expect(
        steps.filter((x) => x.runId === d.runId && x.status === 'failed'),
        `run of ${d.serial}: no failed step`,
      ).toEqual([]);
    }
    for (const serial of [unplugged, pulledWhileDown])
      expect(steps.some((x) => x.runId === bySerial.get(serial)?.runId && x.status === 'interrupted')).toBe(true);
    expect(s.output(), 'the station started the adb server again').toMatch(/adb server (connection )?lost/);
  }, 240_000);
});
