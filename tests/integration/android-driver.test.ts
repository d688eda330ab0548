import { execFileSync } from 'node:child_process';
import { hasAdb } from '../emulators/android/adb-server.js';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachedDevice, LibraryFile, PortNotice, StepOutcome } from '../../main/drivers/driver.js';
import { DeviceGoneError, StepFailedError } from '../../main/drivers/step-errors.js';
import { YumeAdbServer } from '../../main/drivers/android/adb-client.js';
import { startAdbServer } from '../../main/drivers/android/adb-server-process.js';
import { AndroidDriver } from '../../main/drivers/android/android-driver.js';
import { scaledTimings } from '../../main/drivers/android/android-timings.js';
import { makeTabletSpec, startAndroidEmulator, type AndroidEmulator } from '../emulators/android/adb-emulator.js';
import { androidStep, libraryApk, stepContext, type StepContextOptions } from '../fixtures/android-step-context.js';
import { makeCertificate, writeApk } from '../fixtures/library-files.js';

// The Android driver against emulated tablets through the REAL adb server (Debian adb 29): its
// own port and a temp HOME (adb keeps its keys in ~/.android), killed at the end.

const SPEED = 50;
const DPC = 'de.benchline.mdm';
const OWNER = `${DPC}/.AdminReceiver`;

const ADB = hasAdb();
if (!ADB) console.warn('android-driver integration: skipped, no `adb` on PATH (Debian package adb)');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function apk(dir: string, pkg: string, versionCode: number, signer: ReturnType<typeof makeCertificate>, split?: string): Promise<LibraryFile> {
  const file = path.join(dir, `${pkg}-${versionCode}${split ? `-${split}` : ''}.apk`);
  await writeApk(file, dir, { package: pkg, versionCode, versionName: `1.${versionCode}`, minSdk: 23, ...(split ? { split } : {}) }, signer);
  return libraryApk(file);
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!ADB)('Android driver through the real adb server', () => {
  let dir: string;
  let port: number;
  let emulator: AndroidEmulator;
  let driver: AndroidDriver;
  const attached: AttachedDevice[] = [];
  const detached: string[] = [];
  const notices: PortNotice[] = [];
  let library: Record<string, LibraryFile>;
  const specs = [
    makeTabletSpec(0),
    makeTabletSpec(1, { legacy: true, androidRelease: '9', sdk: 28 }),
    makeTabletSpec(2, { accounts: [{ name: 'schueler@example.org', type: 'com.google' }] }),
    makeTabletSpec(3),
    makeTabletSpec(4, { usbDebugging: 'prompt', allowDebuggingAfterSeconds: null }),
  ];
  const serial = (i: number) => specs[i]!.serial;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-android-'));
    fs.mkdirSync(path.join(dir, 'home'));
    // adb (and the server the driver starts) keep keys under $HOME/.android: never the user's.
    process.env.HOME = path.join(dir, 'home');
    port = await freePort();
    const signer = makeCertificate(dir, 'dpc');
    library = {
      [DPC]: await apk(dir, DPC, 7, signer),
      'org.example.reader': await apk(dir, 'org.example.reader', 12, signer),
    };
    const base = await apk(dir, 'org.example.atlas', 3, signer);
    library['org.example.atlas'] = {
      ...base,
      splits: [await apk(dir, 'org.example.atlas', 3, signer, 'config.de')].map((s) => ({ path: s.path, split: 'config.de', sha256: s.sha256, size: s.size })),
    };
    emulator = await startAndroidEmulator({ speed: SPEED, devices: specs });
    driver = new AndroidDriver({
      server: new YumeAdbServer(port),
      startServer: () => startAdbServer('adb', port),
      timings: scaledTimings(SPEED),
      slotForPort: (p) => (p === `adb:127.0.0.1:${emulator.devices()[0]!.port}` ? 'B3' : null),
      ...(process.env['BENCHLINE_ANDROID_TEST_LOG'] ? { log: (level: string, text: string) => console.log(level, text) } : {}),
    });
    await driver.start({
      attached: (d) => void attached.push(d),
      detached: (s) => void detached.push(s),
      notice: (n) => void notices.push(n),
      noticeCleared: () => {},
    });
    await emulator.connectAll(port);
    await until('four tablets attached', () => new Set(attached.map((d) => d.serial)).size >= 4);
  });

  afterAll(async () => {
    await driver?.stop();
    await emulator?.close();
    try {
      execFileSync('adb', ['-P', String(port), 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no server left
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(i: number, step: ReturnType<typeof androidStep>, options: StepContextOptions = {}) {
    const { ctx, record } = stepContext(serial(i), step, { library, ...options });
    const outcome: StepOutcome = await driver.executeStep(ctx);
    return { outcome, record };
  }

  it('reports each tablet by ro.serialno with adb:HOST:PORT as its port path, and identifies it', async () => {
    const first = attached.find((d) => d.serial === serial(0))!;
    expect(first).toMatchObject({
      family: 'android',
      platform: 'android',
      model: 'SM-X200',
      osVersion: '14',
      portPath: `adb:127.0.0.1:${emulator.devices()[0]!.port}`,
    });
    const { outcome } = await run(0, androidStep('identify', {}));
    expect(outcome.captured).toMatchObject({ serialNumber: serial(0), manufacturer: 'samsung', model: 'SM-X200', osVersion: '14', sdk: '34' });
    // A charging tablet gains a percent now and then (dumpsys battery, read as the tablet says it).
    expect(Number(outcome.captured?.battery)).toBe(emulator.device(serial(0)).batteryLevel());
  });

  it('shows "allow USB debugging" with the serial for an unauthorized tablet, and attaches it once allowed', async () => {
    const port4 = emulator.devices()[4]!.port;
    await until('the unauthorized notice', () => notices.some((n) => n.portPath === `adb:127.0.0.1:${port4}` && n.kind === 'unauthorized'));
    const notice = notices.find((n) => n.kind === 'unauthorized')!;
    expect(notice.text).toEqual({
      code: 'android.unauthorized',
      params: { where: { code: 'android.where-serial', params: { serial: `127.0.0.1:${port4}` } } },
    });
    expect(attached.some((d) => d.serial === serial(4))).toBe(false);
    emulator.device(serial(4)).allowDebugging();
    await until('the allowed tablet attached', () => attached.some((d) => d.serial === serial(4)));
  });

  it('installs by streaming (abb_exec) with progress, and skips the same versionCode next time', async () => {
    const { outcome, record } = await run(0, androidStep('install-apk', { app: 'org.example.reader' }));
    expect(outcome.captured).toEqual({ 'app:org.example.reader': '12' });
    expect(emulator.device(serial(0)).packages.get('org.example.reader')?.versionCode).toBe(12);
    expect(emulator.device(serial(0)).history.some((h) => h.startsWith('abb_exec:package\0install'))).toBe(true);
    expect(record.progress.at(-1)?.percent).toBe(100);
    const installsBefore = emulator.device(serial(0)).history.filter((h) => h.includes('install')).length;
    const again = await run(0, androidStep('install-apk', { app: 'org.example.reader' }));
    expect(again.outcome.message).toContain('already installed');
    expect(emulator.device(serial(0)).history.filter((h) => h.includes('install')).length).toBe(installsBefore);
  });

  it('installs on an older tablet by push + pm install, and a split APK through an install session', async () => {
    await run(1, androidStep('install-apk', { app: DPC }));
    const legacy = emulator.device(serial(1));
    expect(legacy.packages.get(DPC)?.versionCode).toBe(7);
    expect(legacy.history.some((h) => h.startsWith('sync:'))).toBe(true);
    expect(legacy.history.some((h) => /pm install -r \/data\/local\/tmp\/benchline-/.test(h))).toBe(true);
    await run(0, androidStep('install-app', { app: 'org.example.atlas' }));
    expect(emulator.device(serial(0)).packages.get('org.example.atlas')).toMatchObject({ versionCode: 3, splits: ['config.de'] });
  });

  it('sets the device owner, finds it set on a second run, and says what helps when it cannot', async () => {
    await run(0, androidStep('install-apk', { app: DPC }));
    const { outcome } = await run(0, androidStep('set-device-owner', { component: OWNER }));
    expect(outcome.captured).toEqual({ deviceOwner: `${DPC}/${DPC}.AdminReceiver` });
    expect(emulator.device(serial(0)).deviceOwner).toContain(DPC);
    await run(0, androidStep('set-device-owner', { component: OWNER }));

    await run(2, androidStep('install-apk', { app: DPC }));
    const accounts = await run(2, androidStep('set-device-owner', { component: OWNER })).catch((e: unknown) => e);
    expect(accounts).toBeInstanceOf(StepFailedError);
    expect(accounts).toMatchObject({
      code: 'android.owner-accounts',
      retryable: false,
      params: { reason: expect.stringContaining('already some accounts on the device') },
    });

    const unknown = await run(3, androidStep('set-device-owner', { component: OWNER })).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'android.owner-unknown-admin', params: { dpc: DPC, reason: expect.stringContaining('Unknown admin') } });
  });

  it('writes settings and reads them back; renames; verify checks what the run set', async () => {
    const values = [
      { namespace: 'system' as const, key: 'screen_off_timeout', value: '600000' },
      { namespace: 'global' as const, key: 'stay_on_while_plugged_in', value: '7' },
    ];
    const { outcome } = await run(0, androidStep('settings', { values }));
    expect(emulator.device(serial(0)).settings.system.get('screen_off_timeout')).toBe('600000');
    const renamed = await run(0, androidStep('rename', { template: '{school}-T{seq:000}' }), { deviceName: 'GS-Nord-T001' });
    expect(emulator.device(serial(0)).settings.global.get('device_name')).toBe('GS-Nord-T001');
    const captured = { ...outcome.captured, ...renamed.outcome.captured, deviceOwner: OWNER, 'app:org.example.reader': '12' };
    await run(0, androidStep('verify', { checks: ['apps', 'device-owner', 'settings', 'name'] }), { captured });
    emulator.device(serial(0)).settings.system.set('screen_off_timeout', '30000');
    const failed = await run(0, androidStep('verify', { checks: ['settings'] }), { captured }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: 'android.verify-failed' });
  });

  it('configures Wi-Fi with the secret and reads it back; an older tablet says it cannot', async () => {
    const secrets = { 'wifi-school': { kind: 'wifi' as const, password: 'Sch00l net!' } };
    const { outcome, record } = await run(0, androidStep('wifi', { ssid: 'Schulnetz', security: 'wpa2', secret: 'wifi-school' }), { secrets });
    expect(outcome.captured).toEqual({ 'wifi:Schulnetz': 'wpa2' });
    expect(emulator.device(serial(0)).wifi.networks.find((n) => n.ssid === 'Schulnetz')?.passphrase).toBe('Sch00l net!');
    expect(record.log.join('\n')).not.toContain('Sch00l net!');
    const legacy = await run(1, androidStep('wifi', { ssid: 'Schulnetz', security: 'wpa2', secret: 'wifi-school' }), { secrets }).catch((e: unknown) => e);
    expect(legacy).toMatchObject({ code: 'android.wifi-unsupported', retryable: false });
  });

  it('reboots: the step ends with the tablet back and booted (or the tablet left, as the pipeline expects)', async () => {
    const tablet = emulator.device(serial(3));
    const result = await run(3, androidStep('reboot', {})).then(
      (r) => r,
      (e: unknown) => e,
    );
    expect(tablet.rebootCount).toBe(1);
    if (result instanceof DeviceGoneError) {
      await until('the rebooted tablet back', () => attached.filter((d) => d.serial === serial(3)).length >= 2);
    } else {
      expect(result).toMatchObject({ record: { reattachExpected: true } });
    }
    // Whichever way: the next step runs on the booted tablet.
    const { outcome } = await run(3, androidStep('identify', {}));
    expect(tablet.bootCompleted).toBe(true);
    expect(outcome.captured?.serialNumber).toBe(serial(3));
  });

  it('carries on when the adb server is killed mid-run: restarted, tracking back, no detach, the step completes', async () => {
    const before = { attached: attached.length, detached: detached.length };
    const install = run(3, androidStep('install-apk', { app: 'org.example.reader' }));
    await until('the install started', () => emulator.device(serial(3)).history.some((h) => h.includes('install')), 10_000);
    execFileSync('adb', ['-P', String(port), 'kill-server']);
    const { outcome } = await install;
    expect(outcome.captured).toEqual({ 'app:org.example.reader': '12' });
    expect(emulator.device(serial(3)).packages.get('org.example.reader')?.versionCode).toBe(12);
    await until('every tablet back on the new server', () => driver.list().filter((t) => t.state === 'device').length >= 5);
    expect(detached.length).toBe(before.detached);
    expect(attached.length).toBe(before.attached);
    const { outcome: again } = await run(0, androidStep('identify', {}));
    expect(again.captured?.serialNumber).toBe(serial(0));
  });
});
