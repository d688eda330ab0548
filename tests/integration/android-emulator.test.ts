import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTabletSpec, startAndroidEmulator, type AndroidEmulator } from '../emulators/android/adb-emulator.js';
import { startAdbServer, type AdbServer } from '../emulators/android/adb-server.js';
import { writeApk } from '../fixtures/library-files.js';
import { tempDir } from '../fixtures/store-helpers.js';
import { until } from '../fixtures/until.js';
import { REPO } from './hub-processes.js';

/**
 * The emulated Android tablets cross-checked with the real adb client and server (Debian adb 29):
 * each tablet is reached with `adb connect 127.0.0.1:PORT`, and every assertion reads what adb
 * printed or what the tablet now holds.
 */

const SPEED = 10;
const PLAIN = makeTabletSpec(0);
const LEGACY = makeTabletSpec(1, { legacy: true });
const ACCOUNTS = makeTabletSpec(2, { accounts: [{ name: 'lehrer@schule.de', type: 'com.google' }] });
const PROMPT = makeTabletSpec(3, { usbDebugging: 'prompt' });
const REBOOT = makeTabletSpec(4);
const FAULTS = makeTabletSpec(5);
/** An Android 8 tablet: cmd and shell v2, no abb_exec. */
const OREO = makeTabletSpec(6, { androidRelease: '8.1.0', sdk: 27, features: ['shell_v2', 'cmd', 'stat_v2'] });

let adb: AdbServer;
let emulator: AndroidEmulator;
let dir: { dir: string; cleanup: () => void };
const apk = { app: '', appOld: '', splitDe: '', dpc: '' };

/** adb's name for a tablet reached over TCP. */
function address(serial: string): string {
  const d = emulator.devices().find((x) => x.serial === serial);
  if (!d) throw new Error(`no tablet ${serial}`);
  return `127.0.0.1:${d.port}`;
}

function on(serial: string, args: string[], input?: string, timeoutMs?: number) {
  return adb.run(['-s', address(serial), ...args], { ...(input === undefined ? {} : { input }), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}

beforeAll(async () => {
  dir = tempDir('benchline-android-emu-');
  apk.app = await writeApk(path.join(dir.dir, 'app.apk'), dir.dir, { package: 'de.schule.lernapp', versionCode: 5, versionName: '1.5.0', minSdk: 24 }, null);
  apk.appOld = await writeApk(
    path.join(dir.dir, 'app-old.apk'),
    dir.dir,
    { package: 'de.schule.lernapp', versionCode: 3, versionName: '1.3.0', minSdk: 24 },
    null,
  );
  apk.splitDe = await writeApk(
    path.join(dir.dir, 'split-de.apk'),
    dir.dir,
    { package: 'de.schule.lernapp', versionCode: 5, versionName: '1.5.0', minSdk: 24, split: 'config.de' },
    null,
  );
  apk.dpc = await writeApk(path.join(dir.dir, 'dpc.apk'), dir.dir, { package: 'de.benchline.dpc', versionCode: 12, versionName: '2.1', minSdk: 26 }, null);
  adb = await startAdbServer();
  emulator = await startAndroidEmulator({ speed: SPEED, devices: [PLAIN, LEGACY, ACCOUNTS, PROMPT, REBOOT, FAULTS, OREO] });
  for (const spec of [PLAIN, LEGACY, ACCOUNTS, REBOOT, FAULTS, OREO]) {
    const connected = await adb.run(['connect', address(spec.serial)]);
    expect(connected.stdout.trim()).toBe(`connected to ${address(spec.serial)}`);
  }
});

afterAll(async () => {
  await adb?.stop();
  await emulator?.close();
  dir?.cleanup();
});

describe('connection and identity', () => {
  it('adb devices -l lists each connected tablet in state device with its banner and no usb: path', async () => {
    const list = await adb.run(['devices', '-l']);
    for (const spec of [PLAIN, LEGACY, ACCOUNTS]) {
      const line = list.stdout.split('\n').find((l) => l.startsWith(`${address(spec.serial)} `));
      expect(line).toMatch(
        new RegExp(
          `^${address(spec.serial)}\\s+device product:${spec.productName} model:${spec.model.replace('-', '_')} device:${spec.device} transport_id:\\d+$`,
        ),
      );
    }
    expect(list.stdout).not.toContain('usb:');
    expect(emulator.devices().find((d) => d.serial === PLAIN.serial)?.state).toBe('connected');
  });

  it('getprop answers single keys and the whole list as an Android 14 tablet', async () => {
    expect((await on(PLAIN.serial, ['shell', 'getprop', 'ro.product.model'])).stdout).toBe(`${PLAIN.model}\n`);
    expect((await on(PLAIN.serial, ['shell', 'getprop', 'ro.serialno'])).stdout).toBe(`${PLAIN.serial}\n`);
    expect((await on(ACCOUNTS.serial, ['shell', 'getprop', 'ro.serialno'])).stdout).toBe(`${ACCOUNTS.serial}\n`);
    const all = (await on(PLAIN.serial, ['shell', 'getprop'])).stdout;
    expect(all).toContain('[ro.build.version.release]: [14]\n');
    expect(all).toContain('[ro.build.version.sdk]: [34]\n');
    expect(all).toContain(`[ro.product.manufacturer]: [${PLAIN.manufacturer}]\n`);
    expect(all).toContain('[sys.boot_completed]: [1]\n');
  });

  it('adb shell returns the exit status over shell v2 and keeps stderr apart', async () => {
    expect((await on(PLAIN.serial, ['shell', 'echo hi; exit 3'])).code).toBe(3);
    expect((await on(PLAIN.serial, ['shell', 'false'])).code).toBe(1);
    const missing = await on(PLAIN.serial, ['shell', 'nosuch', '--flag']);
    expect(missing).toMatchObject({ code: 127, stdout: '', stderr: '/system/bin/sh: nosuch: inaccessible or not found\n' });
    expect((await on(PLAIN.serial, ['shell', 'false; echo $?; id -u && id -un'])).stdout).toBe('1\n2000\nshell\n');
    expect((await on(PLAIN.serial, ['shell', 'if [ "$(getprop ro.build.version.sdk)" -ge 33 ]; then echo new; else echo old; fi'])).stdout).toBe('new\n');
    // `adb shell` without a command runs standard input as a script.
    expect((await on(PLAIN.serial, ['shell'], 'echo one\nexit 7\necho never\n')).code).toBe(7);
  });

  it('an endless loop (adbkit waitBootComplete) stops when the host closes the stream', async () => {
    const tablet = emulator.device(PLAIN.serial);
    const polls = () => tablet.history.filter((h) => h === 'getprop sys.boot_completed').length;
    const before = polls();
    const killed = await on(PLAIN.serial, ['shell', 'while getprop sys.boot_completed 2>/dev/null; do sleep 1; done'], undefined, 1500);
    expect(killed.stdout).toMatch(/^(1\n){3,}$/);
    const atKill = await until(
      async () => {
        const n = polls();
        await new Promise((r) => setTimeout(r, 400));
        return polls() === n && n;
      },
      'the loop to stop polling',
      5000,
    );
    expect(atKill - before).toBeGreaterThan(2);
  });
});

describe('files and installs', () => {
  it('adb push writes the file (several DATA chunks) where ls, stat and adb pull find it', async () => {
    const data = randomBytes(300_000);
    const local = path.join(dir.dir, 'payload.bin');
    fs.writeFileSync(local, data);
    const pushed = await on(PLAIN.serial, ['push', local, '/data/local/tmp/']);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toContain('1 file pushed');
    expect((await on(PLAIN.serial, ['shell', 'ls', '/data/local/tmp'])).stdout).toBe('payload.bin\n');
    expect((await on(PLAIN.serial, ['shell', 'stat', '-c', '%s', '/data/local/tmp/payload.bin'])).stdout).toBe(`${data.length}\n`);
    const held = emulator.device(PLAIN.serial).fs.read('/data/local/tmp/payload.bin');
    expect(typeof held === 'string' ? held : createHash('sha256').update(held.data).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    const back = path.join(dir.dir, 'back.bin');
    expect((await on(PLAIN.serial, ['pull', '/data/local/tmp/payload.bin', back])).code).toBe(0);
    expect(fs.readFileSync(back).equals(data)).toBe(true);
    const denied = await on(PLAIN.serial, ['push', local, '/system/payload.bin']);
    expect(denied.code).not.toBe(0);
    // adb 29 prints a failed copy on stdout.
    expect(denied.stdout).toContain("failed to copy '" + local + "' to '/system/payload.bin': remote couldn't create file: Permission denied");
  });

  it('adb install streams the APK through abb_exec; pm lists it with its versionCode and refuses a downgrade', async () => {
    const installed = await on(PLAIN.serial, ['install', apk.app]);
    expect(installed).toMatchObject({ code: 0 });
    expect(installed.stdout).toBe('Performing Streamed Install\nSuccess\n');
    const size = fs.statSync(apk.app).size;
    expect(emulator.device(PLAIN.serial).history).toContain(`abb_exec:package\0install\0-S\0${size}`);
    expect((await on(PLAIN.serial, ['shell', 'pm', 'list', 'packages', '--show-versioncode', 'lernapp'])).stdout).toBe(
      'package:de.schule.lernapp versionCode:5\n',
    );
    expect((await on(PLAIN.serial, ['shell', 'pm dump de.schule.lernapp | grep versionName'])).stdout).toBe('    versionName=1.5.0\n');
    const downgrade = await on(PLAIN.serial, ['install', apk.appOld]);
    expect(downgrade.code).toBe(1);
    expect(downgrade.stderr).toContain('Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update version code 3 is older than current 5]');
    expect(emulator.device(PLAIN.serial).packages.get('de.schule.lernapp')?.versionCode).toBe(5);
  });

  it('a tablet with cmd but no abb_exec gets the streamed install through exec:cmd package install -S', async () => {
    const installed = await on(OREO.serial, ['install', apk.app]);
    expect(installed).toMatchObject({ code: 0, stdout: 'Performing Streamed Install\nSuccess\n' });
    const size = fs.statSync(apk.app).size;
    expect(emulator.device(OREO.serial).history).toContain(`exec:cmd package 'install' -S ${size}`);
    expect(emulator.device(OREO.serial).history.some((h) => h.startsWith('abb_exec:'))).toBe(false);
  });

  it('adb install-multiple installs a split APK through an install session', async () => {
    const result = await on(PLAIN.serial, ['install-multiple', apk.app, apk.splitDe]);
    expect(result).toMatchObject({ code: 0, stdout: 'Success\n' });
    expect(emulator.device(PLAIN.serial).history.some((h) => /^exec:cmd package install-commit \d+$/.test(h))).toBe(true);
    expect((await on(PLAIN.serial, ['shell', 'pm', 'path', 'de.schule.lernapp'])).stdout).toMatch(/\/base\.apk\npackage:.*\/split_config\.de\.apk\n$/);
  });

  it('a legacy tablet (no shell_v2/cmd/abb_exec) gets push + pm install, and adb shell cannot report exit codes', async () => {
    const list = await adb.run(['devices', '-l']);
    expect(list.stdout).toMatch(new RegExp(`${address(LEGACY.serial)}\\s+device product:`));
    const installed = await on(LEGACY.serial, ['install', apk.app]);
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(/^Performing Push Install\n.*1 file pushed.*\nSuccess\n$/s);
    const history = emulator.device(LEGACY.serial).history;
    expect(history).toContain("shell:pm 'install' '/data/local/tmp/app.apk'");
    expect(history.some((h) => h.startsWith('abb_exec:') || h.startsWith('shell,v2'))).toBe(false);
    expect(emulator.device(LEGACY.serial).fs.list('/data/local/tmp')).toEqual([]);
    expect((await on(LEGACY.serial, ['shell', 'pm list packages -3 --show-versioncode'])).stdout).toBe('package:de.schule.lernapp versionCode:5\n');
    expect((await on(LEGACY.serial, ['shell', 'exit 4'])).code).toBe(0);
    expect((await on(LEGACY.serial, ['shell', 'cmd package list packages'])).stdout).toBe('/system/bin/sh: cmd: inaccessible or not found\n');
  });
});

describe('device owner, settings, Wi-Fi, battery', () => {
  it('dpm set-device-owner says "Unknown admin" without the DPC, sets the owner with it, and dumpsys device_policy shows it', async () => {
    const unknown = await on(PLAIN.serial, ['shell', 'dpm', 'set-device-owner', 'de.benchline.dpc/.AdminReceiver']);
    expect(unknown.code).toBe(0);
    expect(unknown.stderr).toContain(
      "Exception occurred while executing 'set-device-owner':\njava.lang.IllegalArgumentException: Unknown admin: ComponentInfo{de.benchline.dpc/de.benchline.dpc.AdminReceiver}\n",
    );
    expect((await on(PLAIN.serial, ['install', apk.dpc])).code).toBe(0);
    const set = await on(PLAIN.serial, ['shell', 'dpm', 'set-device-owner', 'de.benchline.dpc/.AdminReceiver']);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toBe(
      'Success: Device owner set to package de.benchline.dpc\nActive admin set to component {de.benchline.dpc/de.benchline.dpc.AdminReceiver}\n',
    );
    expect((await on(PLAIN.serial, ['shell', 'dumpsys', 'device_policy'])).stdout).toContain(
      '  Device Owner: \n    admin=ComponentInfo{de.benchline.dpc/de.benchline.dpc.AdminReceiver}\n',
    );
    const again = await on(PLAIN.serial, ['shell', 'dpm', 'set-device-owner', 'de.benchline.dpc/.AdminReceiver']);
    expect(again.stderr).toContain(
      'java.lang.IllegalStateException: Trying to set the device owner (de.benchline.dpc/.AdminReceiver), but device owner (de.benchline.dpc/.AdminReceiver) is already set.',
    );
    expect((await on(PLAIN.serial, ['shell', 'pm', 'uninstall', 'de.benchline.dpc'])).stdout).toBe('Failure [DELETE_FAILED_DEVICE_POLICY_MANAGER]\n');
  });

  it('with an account on the tablet dpm prints the exception, exits 0 and sets no owner', async () => {
    expect((await on(ACCOUNTS.serial, ['install', apk.dpc])).code).toBe(0);
    const result = await on(ACCOUNTS.serial, ['shell', 'dpm', 'set-device-owner', 'de.benchline.dpc/.AdminReceiver']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^Exception occurred while executing 'set-device-owner':\njava\.lang\.IllegalStateException: Not allowed to set the device owner because there are already some accounts on the device\.\n\tat com\.android\.server\.devicepolicy\./,
    );
    expect(emulator.device(ACCOUNTS.serial).deviceOwner).toBeNull();
  });

  it('settings put/get per namespace, cmd wifi connect-network/list-networks and dumpsys battery', async () => {
    expect((await on(PLAIN.serial, ['shell', 'settings get global stay_on_while_plugged_in'])).stdout).toBe('0\n');
    expect((await on(PLAIN.serial, ['shell', 'settings put global stay_on_while_plugged_in 7 && settings get global stay_on_while_plugged_in'])).stdout).toBe(
      '7\n',
    );
    expect((await on(PLAIN.serial, ['shell', 'settings get secure no_such_key'])).stdout).toBe('null\n');
    expect(emulator.device(PLAIN.serial).settings.global.get('stay_on_while_plugged_in')).toBe('7');
    expect((await on(PLAIN.serial, ['shell', 'cmd wifi connect-network "Schulnetz 5G" wpa2 "geheim 123"'])).stdout).toBe('Connection initiated \n');
    expect((await on(PLAIN.serial, ['shell', 'cmd wifi list-networks'])).stdout).toMatch(/^Network Id\s+SSID\s+Security type\n0\s+Schulnetz 5G\s+wpa2-psk\n$/);
    expect(emulator.device(PLAIN.serial).wifi.networks[0]).toMatchObject({ ssid: 'Schulnetz 5G', passphrase: 'geheim 123' });
    emulator.device(PLAIN.serial).setBattery(12, false);
    const battery = (await on(PLAIN.serial, ['shell', 'dumpsys', 'battery'])).stdout;
    expect(battery).toContain('\n  level: 12\n');
    expect(battery).toContain('\n  status: 3\n');
  });
});

describe('failures', () => {
  it('a full tablet answers INSTALL_FAILED_INSUFFICIENT_STORAGE', async () => {
    emulator.device(FAULTS.serial).faults.insufficientStorage = true;
    const result = await on(FAULTS.serial, ['install', apk.app]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE]');
    emulator.device(FAULTS.serial).faults.insufficientStorage = false;
  });

  it('unplugged mid-install: adb install fails, the tablet goes offline, nothing is installed; replugged it comes back', async () => {
    const tablet = emulator.device(FAULTS.serial);
    tablet.faults.unplugDuringInstallAt = 0.5;
    const result = await on(FAULTS.serial, ['install', apk.app]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('Success');
    expect(tablet.packages.has('de.schule.lernapp')).toBe(false);
    expect(emulator.devices().find((d) => d.serial === FAULTS.serial)?.state).toBe('unplugged');
    await until(
      async () => (await adb.run(['devices'])).stdout.includes(`${address(FAULTS.serial)}\toffline`),
      'adb to list the unplugged tablet as offline',
      5000,
    );
    await emulator.replug(FAULTS.serial);
    // adb 29 retries a dropped TCP device only every ~10 s; disconnect + connect reattaches at once.
    await adb.run(['disconnect', address(FAULTS.serial)]);
    expect((await adb.run(['connect', address(FAULTS.serial)])).stdout.trim()).toBe(`connected to ${address(FAULTS.serial)}`);
    expect((await on(FAULTS.serial, ['install', apk.app])).stdout).toContain('Success');
  });

  it('USB debugging not yet allowed: adb shows unauthorized until the user allows, and remembers the key', async () => {
    const connect = await adb.run(['connect', address(PROMPT.serial)]);
    expect(connect.stdout.trim()).toBe(`failed to authenticate to ${address(PROMPT.serial)}`);
    expect((await adb.run(['devices'])).stdout).toContain(`${address(PROMPT.serial)}\tunauthorized\n`);
    expect(emulator.devices().find((d) => d.serial === PROMPT.serial)?.state).toBe('unauthorized');
    const refused = await on(PROMPT.serial, ['shell', 'echo', 'hi']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('device unauthorized');
    emulator.device(PROMPT.serial).allowDebugging();
    await until(
      async () => (await adb.run(['devices'])).stdout.includes(`${address(PROMPT.serial)}\tdevice\n`),
      'adb to list the allowed tablet as device',
      5000,
    );
    expect((await on(PROMPT.serial, ['shell', 'echo', 'hi'])).stdout).toBe('hi\n');
    // A new connection signs the token with the allowed key: no prompt again.
    await adb.run(['disconnect', address(PROMPT.serial)]);
    expect((await adb.run(['connect', address(PROMPT.serial)])).stdout.trim()).toBe(`connected to ${address(PROMPT.serial)}`);
    expect(emulator.device(PROMPT.serial).allowedKeys).toHaveLength(1);
  });

  it('adb reboot: the tablet goes away, adbd returns before boot completes, a boot wait loop ends when sys.boot_completed turns 1', async () => {
    const tablet = emulator.device(REBOOT.serial);
    // Boot completes only when the test says so, so the "adbd up, not booted" phase cannot race the machine's load.
    tablet.faults.bootHangs = true;
    const rebooted = await on(REBOOT.serial, ['reboot']);
    expect(rebooted.code).toBe(0);
    expect(tablet.rebootCount).toBe(1);
    expect(emulator.devices().find((d) => d.serial === REBOOT.serial)?.state).toBe('rebooting');
    const waiting = on(REBOOT.serial, ['wait-for-device']);
    await until(() => emulator.devices().find((d) => d.serial === REBOOT.serial)?.state === 'listening', 'adbd to listen again after the reboot', 10_000);
    // adb 29 retries a dropped TCP device only every ~10 s; disconnect + connect reattaches at once.
    await adb.run(['disconnect', address(REBOOT.serial)]);
    await adb.run(['connect', address(REBOOT.serial)]);
    expect((await waiting).code).toBe(0);
    expect((await on(REBOOT.serial, ['shell', 'getprop', 'sys.boot_completed'])).stdout).toBe('\n');
    expect((await on(REBOOT.serial, ['shell', 'pm', 'list', 'packages'])).stderr).toBe("cmd: Can't find service: package\n");
    const booted = on(REBOOT.serial, ['shell', 'while [ "$(getprop sys.boot_completed)" != "1" ]; do sleep 1; done; echo booted']);
    await until(() => tablet.history.filter((h) => h === 'getprop sys.boot_completed').length >= 3, 'the boot wait loop to poll', 10_000);
    tablet.completeBoot();
    expect((await booted).stdout).toBe('booted\n');
    expect((await on(REBOOT.serial, ['shell', 'pm', 'list', 'packages', 'android'])).stdout).toContain('package:android\n');
  });
});

describe('run-android-emulator.ts', () => {
  it('Node runs the CLI directly; it prints the ports and serials, and adb reaches those tablets', async () => {
    const child = spawn(process.execPath, ['tests/emulators/android/run-android-emulator.ts', '--devices', '2', '--speed', '50', '--legacy'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      const line = await until(() => output.includes('\n') && output.split('\n')[0], 'the CLI to print its JSON line', 20_000);
      const started = JSON.parse(line) as { ports: number[]; serials: string[] };
      expect(started.serials).toEqual([makeTabletSpec(0).serial, makeTabletSpec(1).serial]);
      const second = `127.0.0.1:${started.ports[1]}`;
      expect((await adb.run(['connect', second])).stdout.trim()).toBe(`connected to ${second}`);
      expect((await adb.run(['-s', second, 'shell', 'getprop', 'ro.serialno'])).stdout).toBe(`${started.serials[1]}\n`);
      // --legacy: no shell v2, so no exit status comes back.
      expect((await adb.run(['-s', second, 'shell', 'exit 5'])).code).toBe(0);
      await adb.run(['disconnect', second]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
