import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AttachedDevice, LibraryFile, PortNotice } from '../../main/drivers/driver.js';
import { AdbLinkError, type AdbDeviceLink, type AdbServer, type ShellResult } from '../../main/drivers/android/adb-client.js';
import { AdbStartError } from '../../main/drivers/android/adb-server-process.js';
import { AndroidDriver } from '../../main/drivers/android/android-driver.js';
import { scaledTimings } from '../../main/drivers/android/android-timings.js';
import type { AdbDeviceEntry } from '../../main/drivers/android/device-list.js';
import { androidStep, libraryApk, stepContext } from '../fixtures/android-step-context.js';
import { writeApk } from '../fixtures/library-files.js';

// The driver's tracking, reconnect and step logic against a fake adb server: the mock sits at the
// client module's boundary (AdbServer / AdbDeviceLink), everything above it is the real code.

interface FakeTablet {
  serial: string;
  features: string[];
  /** What the tablet answers to a shell command. */
  answer(command: string): string;
  streamed: string[];
}

function tablet(serial: string, features = ['shell_v2', 'cmd', 'abb_exec'], answer: (command: string) => string = () => ''): FakeTablet {
  const props: Record<string, string> = {
    'ro.serialno': serial,
    'ro.product.manufacturer': 'samsung',
    'ro.product.model': 'SM-X200',
    'ro.build.version.release': '14',
    'ro.build.version.sdk': '34',
    'sys.boot_completed': '1',
  };
  return {
    serial,
    features,
    streamed: [],
    answer: (command) => {
      const prop = /^getprop (\S+)$/.exec(command);
      return prop ? `${props[prop[1]!] ?? ''}\n` : answer(command);
    },
  };
}

class FakeServer implements AdbServer {
  readonly port = 5037;
  up = true;
  starts = 0;
  connects: string[] = [];
  list: AdbDeviceEntry[] = [];
  readonly tablets = new Map<string, FakeTablet>();
  private listener: ((devices: AdbDeviceEntry[]) => void) | null = null;
  private endTracking: ((err: AdbLinkError) => void) | null = null;

  async version(): Promise<number> {
    if (!this.up) throw new AdbLinkError('server-unreachable', 'connect ECONNREFUSED');
    return 41;
  }
  track(onList: (devices: AdbDeviceEntry[]) => void, signal: AbortSignal): Promise<void> {
    if (!this.up) return Promise.reject(new AdbLinkError('server-unreachable', 'connect ECONNREFUSED'));
    this.listener = onList;
    onList(this.list);
    return new Promise((resolve, reject) => {
      this.endTracking = reject;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  async devices(): Promise<AdbDeviceEntry[]> {
    if (!this.up) throw new AdbLinkError('server-unreachable', 'connect ECONNREFUSED');
    return this.list;
  }
  async connect(address: string): Promise<string> {
    this.connects.push(address);
    return `connected to ${address}`;
  }
  async disconnect(address: string): Promise<string> {
    return `disconnected ${address}`;
  }
  async reconnectOffline(): Promise<void> {}
  async open(serial: string, transportId: string): Promise<AdbDeviceLink> {
    const t = this.tablets.get(serial);
    const entry = this.list.find((e) => e.serial === serial);
    if (!this.up || !t || entry?.transportId !== transportId || entry.state !== 'device') throw new AdbLinkError('device-gone', `device '${serial}' not found`);
    const isUp = () => this.up;
    return {
      serial,
      transportId,
      features: new Set(t.features),
      async shell(command: string): Promise<ShellResult> {
        if (!isUp()) throw new AdbLinkError('server-unreachable', 'ECONNRESET');
        return { text: t.answer(command), exitCode: 0 };
      },
      async streamFile(service: string): Promise<string> {
        t.streamed.push(service);
        return t.answer(service);
      },
      async push(): Promise<void> {},
      async reboot(): Promise<void> {},
      close() {},
    };
  }
  /** The server publishes a new list. */
  set(entries: AdbDeviceEntry[]): void {
    this.list = entries;
    this.listener?.(entries);
  }
  kill(): void {
    this.up = false;
    this.endTracking?.(new AdbLinkError('server-unreachable', 'ExactReadable ended'));
  }
  startServer = async (): Promise<void> => {
    this.starts += 1;
    this.up = true;
  };
}

const entry = (serial: string, state: string, transportId: string, usbPath: string | null = `1-4.${serial.length % 9}`): AdbDeviceEntry => ({
  serial,
  state,
  usbPath,
  product: null,
  model: null,
  device: null,
  transportId,
});

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const drivers: AndroidDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
});

function start(server: FakeServer, slots: Record<string, string> = {}, startServer = server.startServer) {
  const events = { attached: [] as AttachedDevice[], detached: [] as string[], notices: [] as PortNotice[], cleared: [] as string[] };
  const driver = new AndroidDriver({ server, startServer, timings: scaledTimings(1000), slotForPort: (p) => slots[p] ?? null });
  drivers.push(driver);
  const started = driver.start({
    attached: (d) => void events.attached.push(d),
    detached: (s) => void events.detached.push(s),
    notice: (n) => void events.notices.push(n),
    noticeCleared: (p) => void events.cleared.push(p),
  });
  return { driver, events, started };
}

describe('Android driver: tracking', () => {
  it('starts the adb server when none answers, then reports a tablet by ro.serialno at its usb: port path', async () => {
    const server = new FakeServer();
    server.up = false;
    server.tablets.set('R52N1', tablet('R52N1'));
    server.list = [entry('R52N1', 'device', '1', '1-4.2')];
    const { events, started } = start(server);
    await started;
    await until('attached', () => events.attached.length === 1);
    expect(server.starts).toBe(1);
    expect(events.attached[0]).toEqual({ serial: 'R52N1', family: 'android', platform: 'android', model: 'SM-X200', osVersion: '14', portPath: '1-4.2' });
  });

  it('shows "allow USB debugging" with the slot label for an unauthorized tablet, by serial when the layout lacks the port', async () => {
    const server = new FakeServer();
    server.list = [entry('R52N1', 'unauthorized', '1', '1-4.3'), entry('10.0.0.7:5555', 'unauthorized', '2', null)];
    const { events, started } = start(server, { '1-4.3': 'B3' });
    await started;
    await until('two notices', () => events.notices.filter((n) => n.kind === 'unauthorized').length === 2);
    const [slot, serial] = events.notices.filter((n) => n.kind === 'unauthorized');
    expect(slot).toMatchObject({
      portPath: '1-4.3',
      text: { code: 'android.unauthorized', params: { where: { code: 'android.where-slot', params: { slot: 'B3' } } } },
    });
    expect(slot!.message).toBe('Allow USB debugging on the tablet in slot B3 (tick “Always allow”)');
    expect(serial).toMatchObject({
      portPath: 'adb:10.0.0.7:5555',
      text: { params: { where: { code: 'android.where-serial', params: { serial: '10.0.0.7:5555' } } } },
    });
    server.tablets.set('R52N1', tablet('R52N1'));
    server.set([entry('R52N1', 'device', '1', '1-4.3'), entry('10.0.0.7:5555', 'unauthorized', '2', null)]);
    await until('attached once allowed', () => events.attached.length === 1);
    expect(events.cleared).toContain('1-4.3');
  });

  it('keeps tablets attached when the adb server dies: restarts it, re-identifies them silently, and steps carry on', async () => {
    const server = new FakeServer();
    server.tablets.set(
      'R52N1',
      tablet('R52N1', undefined, (c) => (c.startsWith('dumpsys battery') ? '  level: 80\n  scale: 100\n' : '')),
    );
    server.list = [entry('R52N1', 'device', '1')];
    // `adb start-server` takes its time: the test lets it finish.
    let release!: () => void;
    const starting = new Promise<void>((resolve) => (release = resolve));
    const { driver, events, started } = start(server, {}, async () => {
      await starting;
      await server.startServer();
    });
    await started;
    await until('attached', () => events.attached.length === 1);
    server.kill();
    const { ctx, record } = stepContext('R52N1', androidStep('battery', { minPercent: 30 }));
    const step = driver.executeStep(ctx);
    await until('the step waiting for the server', () => record.waits.some((w) => (w.text as { code: string }).code === 'android.adb-restarting'));
    // The restarted server lists the tablet under a new transport id.
    server.list = [entry('R52N1', 'device', '7')];
    release();
    await expect(step).resolves.toEqual({ captured: { battery: '80' } });
    expect(server.starts).toBe(1);
    expect(events.detached).toEqual([]);
    expect(events.attached).toHaveLength(1);
  });

  it('does not count a tablet missing right after a restart as gone until the settle time passes', async () => {
    const server = new FakeServer();
    server.tablets.set('R52N1', tablet('R52N1'));
    server.list = [entry('R52N1', 'device', '1')];
    const { driver, events, started } = start(server);
    await started;
    await until('attached', () => events.attached.length === 1);
    server.kill();
    server.list = [];
    driver['tracker'].retryNow();
    await until('server back', () => server.starts === 1);
    await new Promise((r) => setTimeout(r, 5));
    expect(events.detached).toEqual([]);
    await until('gone after the settle time', () => events.detached.length === 1);
    expect(events.detached).toEqual(['R52N1']);
  });

  it('asks adb connect again for a network tablet after a restart (a new server forgets it)', async () => {
    const server = new FakeServer();
    server.tablets.set('127.0.0.1:40001', tablet('R52N9'));
    server.list = [entry('127.0.0.1:40001', 'device', '1', null)];
    const { driver, events, started } = start(server);
    await started;
    await until('attached', () => events.attached.length === 1);
    expect(events.attached[0]!.portPath).toBe('adb:127.0.0.1:40001');
    server.kill();
    server.list = [];
    driver['tracker'].retryNow();
    await until('adb connect asked', () => server.connects.includes('127.0.0.1:40001'));
  });

  it('tells the technician when adb is missing, and keeps trying', async () => {
    const server = new FakeServer();
    server.up = false;
    let tries = 0;
    const { started } = start(server, {}, async () => {
      tries += 1;
      throw new AdbStartError('missing', '/opt/adb', 'ENOENT');
    });
    await started;
    await until('a second try', () => tries >= 2);
  });
});

describe('Android driver: steps through the driver', () => {
  let dir: string;
  let reader: LibraryFile;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-android-unit-'));
    const file = path.join(dir, 'reader.apk');
    await writeApk(file, dir, { package: 'org.example.reader', versionCode: 12, versionName: '1.12', minSdk: 23 }, null);
    reader = await libraryApk(file);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('waits with the trust instruction while the tablet is unauthorized, then runs the step', async () => {
    const server = new FakeServer();
    server.tablets.set('R52N1', tablet('R52N1'));
    server.list = [entry('R52N1', 'device', '1', '1-4.3')];
    const { driver, events, started } = start(server, { '1-4.3': 'B3' });
    await started;
    await until('attached', () => events.attached.length === 1);
    server.set([entry('R52N1', 'unauthorized', '1', '1-4.3')]);
    const { ctx, record } = stepContext('R52N1', androidStep('wait-for-trust', {}));
    const step = driver.executeStep(ctx);
    await until('waiting for trust', () => record.waits.length === 1);
    expect(record.waits[0]).toEqual({
      reason: 'trust',
      text: { code: 'android.unauthorized', params: { where: { code: 'android.where-slot', params: { slot: 'B3' } } } },
    });
    server.set([entry('R52N1', 'device', '2', '1-4.3')]);
    await expect(step).resolves.toMatchObject({ message: 'USB debugging allowed' });
    expect(events.detached).toEqual([]);
  });

  it('streams through abb_exec, else through cmd; reads "Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE]" as "free storage"', async () => {
    const server = new FakeServer();
    const full = tablet('R52N1', ['shell_v2', 'cmd', 'abb_exec'], (c) =>
      c.startsWith('abb_exec:') ? 'Failure [INSTALL_FAILED_INSUFFICIENT_STORAGE: Failed to override installation location]\n' : '',
    );
    let installed = false;
    const older = tablet('R52N2', ['shell_v2', 'cmd'], (c) => {
      if (c.startsWith('pm list packages')) return installed ? 'package:org.example.reader versionCode:12\n' : '';
      if (c.startsWith('exec:cmd package install')) {
        installed = true;
        return 'Success\n';
      }
      return '';
    });
    server.tablets.set('R52N1', full);
    server.tablets.set('R52N2', older);
    server.list = [entry('R52N1', 'device', '1'), entry('R52N2', 'device', '2')];
    const { driver, events, started } = start(server);
    await started;
    await until('attached', () => events.attached.length === 2);
    const library = { 'org.example.reader': reader };
    const failed = await driver
      .executeStep(stepContext('R52N1', androidStep('install-apk', { app: 'org.example.reader' }), { library }).ctx)
      .catch((e: unknown) => e);
    expect(failed).toMatchObject({
      code: 'android.install-storage',
      retryable: false,
      params: { app: 'org.example.reader', reason: expect.stringContaining('INSTALL_FAILED_INSUFFICIENT_STORAGE') },
    });
    expect(full.streamed).toEqual([`abb_exec:package\0install\0-r\0-S\0${reader.size}`]);
    const done = await driver.executeStep(stepContext('R52N2', androidStep('install-apk', { app: 'org.example.reader' }), { library }).ctx);
    expect(done.captured).toEqual({ 'app:org.example.reader': '12' });
    expect(older.streamed).toEqual([`exec:cmd package install -r -S ${reader.size}`]);
  });
});
