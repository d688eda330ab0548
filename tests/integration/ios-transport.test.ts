import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttachedDevice, DriverEvents, PortNotice } from '../../main/drivers/driver.js';
import { IosDriver } from '../../main/drivers/ios/ios-driver.js';
import type { IosDevice, IosLinkError } from '../../main/drivers/ios/ios-link.js';
import type { TlsLockdownSession } from '../../main/drivers/ios/lockdown/lockdown-session.js';
import { parseUsbmuxdAddress, socketDialer } from '../../main/drivers/ios/usbmux/usbmux-address.js';
import { UsbmuxClient } from '../../main/drivers/ios/usbmux/usbmux-client.js';
import { DeviceGoneError, QUARANTINE_CODES, StepFailedError } from '../../main/drivers/step-errors.js';
import { UsbPortFeed } from '../../main/drivers/usb/usb-port-feed.js';
import { createSupervisionIdentity } from '../../main/secrets/identities.js';
import { makeIpadSpec, startIpadEmulator, type IpadEmulator } from '../emulators/ios/ipad-emulator.js';
import type { ServiceHandler } from '../emulators/ios/emulated-ipad.js';
import { LengthPrefixedFrames, decodePlistDict, frameLengthPrefixed } from '../emulators/ios/plist-wire.js';
import { promisify } from 'node:util';
import { iosStep, iosStepContext } from '../fixtures/ios-step-context.js';
import { usbIpad } from '../fixtures/ios-usb.js';
import { until } from '../fixtures/until.js';

// Over 400 lines on purpose: every transport scenario of the plan shares one emulator rig (startDriver, setBattery).
// The iOS transport against the emulated iPads (tests/emulators/ios): discovery with slots, pairing
// (Trust prompt, denial, supervised), TLS sessions, services, and usbmuxd dying under the driver.
// In-process: the emulator listens on a unix socket, the driver dials it like a station would.

const SPEED = 50;
const ECHO_SERVICE = 'com.benchline.test.echo';

/** A plist service that answers every message with {Echo: message}: enough to show the service's TLS and framing. */
const echoService: ServiceHandler = (stream) => {
  const frames = new LengthPrefixedFrames();
  stream.on('data', (chunk: Buffer) => {
    for (const body of frames.push(chunk)) stream.write(frameLengthPrefixed({ Echo: decodePlistDict(body) }));
  });
};

let dir: string;
let emulator: IpadEmulator;
let driver: IosDriver | null = null;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-ios-transport-'));
  emulator = await startIpadEmulator({
    listen: { path: path.join(dir, 'usbmuxd') },
    speed: SPEED,
    devices: [makeIpadSpec(0), makeIpadSpec(1), makeIpadSpec(17)],
    services: { [ECHO_SERVICE]: echoService },
  });
});

afterEach(async () => {
  await driver?.stop();
  driver = null;
  await emulator.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function client(): UsbmuxClient {
  const address = parseUsbmuxdAddress(emulator.address, 'linux');
  return new UsbmuxClient(socketDialer(address), { progName: 'benchline-test', clientVersionString: 'test' }, emulator.address);
}

interface Recorded {
  logs: string[];
  attached: AttachedDevice[];
  detached: string[];
  notices: PortNotice[];
  cleared: string[];
}

async function startDriver(usbPorts: UsbPortFeed | null = null): Promise<{ driver: IosDriver; events: Recorded }> {
  const events: Recorded = { logs: [], attached: [], detached: [], notices: [], cleared: [] };
  const sink: DriverEvents = {
    attached: (d) => events.attached.push(d),
    detached: (s) => events.detached.push(s),
    notice: (n) => events.notices.push(n),
    noticeCleared: (p) => events.cleared.push(p),
  };
  driver = new IosDriver({
    client: client(),
    usbPorts,
    usbmuxdSilentMs: 100,
    activationUrl: null,
    sysfsRoot: null,
    pendingPollMs: 50,
    pollMs: 50,
    identifyRetryMs: 100,
    reconnectBaseMs: 50,
    reconnectMaxMs: 400,
    log: (_level, text) => events.logs.push(text),
  });
  await driver.start(sink);
  return { driver, events };
}

/** The IosDevice the driver hands to steps for a serial. */
async function deviceOf(d: IosDriver, serial: string): Promise<IosDevice> {
  const device = d.device(serial);
  if (!device) throw new Error(`driver does not hold ${serial}`);
  return Promise.resolve(device);
}

const udid = (slot: number) => makeIpadSpec(slot).udid;

/**
 * Sets a paired device's battery and charge rate from now on: the emulator counts the charge from
 * its last reading, so a reading while the rate is 0 restarts the count.
 */
async function setBattery(d: IosDriver, serial: string, percent: number, secondsPerPercent: number): Promise<void> {
  const state = emulator.device(serial);
  state.chargeSecondsPerPercent = 0;
  const session = await d.device(serial)!.session(AbortSignal.timeout(10_000));
  await session.getValue('com.apple.mobile.battery', 'BatteryCurrentCapacity');
  session.close();
  state.batteryPercent = percent;
  state.chargeSecondsPerPercent = secondsPerPercent;
}

describe('discovery', () => {
  it('reports each iPad with the port path of its LocationID, model and iOS version, and its leaving and return', async () => {
    const { events } = await startDriver();
    expect(events.attached.map((a) => [a.serial, a.portPath, a.model, a.osVersion, a.family, a.platform]).sort()).toEqual(
      [
        [udid(0), '1-1.1', 'iPad (10th generation)', '17.5.1', 'ios', 'ios'],
        [udid(1), '1-1.2', 'iPad (10th generation)', '17.5.1', 'ios', 'ios'],
        [udid(17), '2-1.2', 'iPad (10th generation)', '17.5.1', 'ios', 'ios'],
      ].sort(),
    );
    // Each port showed "identifying" until its device was known.
    expect(
      events.notices
        .filter((n) => n.kind === 'identifying')
        .map((n) => n.portPath)
        .sort(),
    ).toEqual(['1-1.1', '1-1.2', '2-1.2']);
    expect(events.cleared.sort()).toEqual(['1-1.1', '1-1.2', '2-1.2']);

    emulator.unplug(udid(1));
    await until(() => events.detached.includes(udid(1)), 'the unplugged iPad reported detached', 10_000, 20);
    expect(events.detached).toEqual([udid(1)]);
    await emulator.replug(udid(1));
    await until(() => events.attached.filter((a) => a.serial === udid(1)).length === 2, 'the iPad reported again', 10_000, 20);
  });
});

describe('discovery with the USB watcher', () => {
  it("maps Linux usbmuxd's (bus << 16) | address LocationID to the port the watcher saw the device at", async () => {
    const feed = new UsbPortFeed();
    const { events } = await startDriver(feed);
    // Linux usbmuxd names the device by bus 3, address 12; the watcher knows it is in port 3-2.4.
    const linux = makeIpadSpec(40, { locationId: (3 << 16) | 12 });
    const plugged = emulator.plug(linux);
    feed.attached('ios', usbIpad('3-2.4', 3, 12));
    await plugged;
    await until(() => events.attached.find((a) => a.serial === linux.udid), 'the Linux-located iPad reported', 10_000, 20);
    expect(events.attached.find((a) => a.serial === linux.udid)?.portPath).toBe('3-2.4');
  });

  it('gives a port a notice when the watcher sees an iPad there that usbmuxd does not report, and takes it away when it leaves', async () => {
    const feed = new UsbPortFeed();
    const { events } = await startDriver(feed);
    feed.attached('ios', usbIpad('4-1', 4, 3));
    // An iPad usbmuxd does report gets no such notice.
    feed.attached('ios', usbIpad('1-1.1', 1, 2));
    await until(() => events.notices.find((n) => n.portPath === '4-1'), 'the notice', 10_000, 20);
    await new Promise((r) => setTimeout(r, 150));
    const silent = events.notices.filter((n) => n.text?.code === 'ios.usbmuxd-silent');
    expect(silent.map((n) => [n.portPath, n.kind, n.text])).toEqual([
      ['4-1', 'no-answer', { code: 'ios.usbmuxd-silent', params: { address: emulator.address } }],
    ]);
    expect(silent[0]?.usb).toMatchObject({ vendorId: 0x05ac, productId: 0x12ab });
    feed.detached('ios', usbIpad('4-1', 4, 3));
    expect(events.cleared).toContain('4-1');
  });
});

describe('pairing', () => {
  it('pairs with the Trust prompt: the tile names the slot while the device answers pending, then the record is in usbmuxd', async () => {
    const { driver: d } = await startDriver();
    const { ctx, waits } = iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A7' });
    const outcome = await d.executeStep(ctx);
    expect(waits).toEqual([{ reason: 'trust', message: { code: 'ios.trust', params: { slot: 'A7' } }, ended: true }]);
    expect(emulator.device(udid(0)).pairedHosts.size).toBe(1);
    // What only a paired device tells is captured now.
    expect(outcome.captured).toMatchObject({
      udid: udid(0),
      serialNumber: makeIpadSpec(0).serialNumber,
      activationLock: 'off',
      model: 'iPad (10th generation)',
    });
    const record = await client().readPairRecord(udid(0), AbortSignal.timeout(5000));
    expect(Object.keys(record ?? {}).sort()).toEqual(
      [
        'DeviceCertificate',
        'EscrowBag',
        'HostCertificate',
        'HostID',
        'HostPrivateKey',
        'RootCertificate',
        'RootPrivateKey',
        'SystemBUID',
        'WiFiMACAddress',
      ].sort(),
    );
    // A second run of the step finds the device paired: no prompt.
    const again = iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A7' });
    expect((await d.executeStep(again.ctx)).message).toMatch(/^already paired/);
    expect(again.waits).toEqual([]);
  });

  it('fails with what to do when the user taps "Don\'t Trust", and not as retryable', async () => {
    const { driver: d } = await startDriver();
    emulator.device(udid(1)).faults.denyTrust = true;
    const { ctx } = iosStepContext({ serial: udid(1), step: iosStep('wait-for-trust'), slot: 'B2' });
    const err = await d.executeStep(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect({ code: (err as StepFailedError).code, params: (err as StepFailedError).params, retryable: (err as StepFailedError).retryable }).toEqual({
      code: 'ios.trust-denied',
      params: { reason: 'UserDeniedPairing' },
      retryable: false,
    });
    expect(emulator.device(udid(1)).pairedHosts.size).toBe(0);
  });

  it('waits with "unlock" while the device is locked, and pairs once it is unlocked', async () => {
    const { driver: d } = await startDriver();
    emulator.device(udid(0)).faults.passcode = true;
    const { ctx, waits } = iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A1' });
    const step = d.executeStep(ctx);
    await until(() => waits.length > 0, 'the unlock instruction', 10_000, 20);
    expect(waits[0]).toMatchObject({ reason: 'trust', message: { code: 'ios.unlock', params: { slot: 'A1' } } });
    emulator.device(udid(0)).faults.passcode = false;
    await step;
    expect(waits.map((w) => (typeof w.message === 'string' ? w.message : w.message.code))).toEqual(['ios.unlock', 'ios.trust']);
    expect(waits.every((w) => w.ended)).toBe(true);
  });

  it('pairs a device supervised by the station identity without the Trust tap (MCChallengeRequired, signed challenge)', async () => {
    const { driver: d } = await startDriver();
    const identity = createSupervisionIdentity('Schulträger Test');
    const state = emulator.device(udid(17));
    state.cloudConfiguration = { IsSupervised: true, SupervisorHostCertificates: [Buffer.from(identity.certificatePem)] };
    // A Trust prompt would never be answered: only supervised pairing can succeed.
    state.trustAfterSeconds = 3600;
    const { ctx, waits } = iosStepContext({ serial: udid(17), step: iosStep('wait-for-trust'), slot: 'B2', secrets: { 'supervision-identity': identity } });
    const outcome = await d.executeStep(ctx);
    expect(waits).toEqual([]);
    expect(outcome.message).toMatch(/^paired/);
    expect(state.pairedHosts.size).toBe(1);
  });

  it('pairs a device in Setup Assistant (just erased) without showing the Trust instruction', async () => {
    const { driver: d } = await startDriver();
    emulator.device(udid(0)).setupDone = false;
    const { ctx, waits } = iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A1' });
    expect((await d.executeStep(ctx)).message).toMatch(/^paired/);
    expect(waits).toEqual([]);
  });

  it('falls back to the Trust prompt when the station identity does not supervise the device', async () => {
    const { driver: d } = await startDriver();
    const identity = createSupervisionIdentity('Andere Organisation');
    const { ctx, waits } = iosStepContext({ serial: udid(1), step: iosStep('wait-for-trust'), slot: 'A2', secrets: { 'supervision-identity': identity } });
    await d.executeStep(ctx);
    expect(waits.map((w) => w.message)).toEqual([{ code: 'ios.trust', params: { slot: 'A2' } }]);
  });

  it('quarantines an Activation-Locked device: read once paired, failed for good', async () => {
    const { driver: d } = await startDriver();
    emulator.device(udid(0)).activationLocked = true;
    // Unpaired, Find My is not told: identify passes and leaves it to wait-for-trust.
    const identify = await d.executeStep(iosStepContext({ serial: udid(0), step: iosStep('identify') }).ctx);
    expect(identify.captured?.activationLock).toBeUndefined();
    const err = (await d
      .executeStep(iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A1' }).ctx)
      .catch((e: unknown) => e)) as StepFailedError;
    expect([err.code, err.retryable, QUARANTINE_CODES.has(err.code)]).toEqual(['ios.activation-locked', false, true]);
    expect(err.params).toEqual({ serial: makeIpadSpec(0).serialNumber, reason: 'com.apple.fmip IsAssociated = true' });
  });

  it('a device unplugged while its Trust prompt shows ends the step as gone, and the link call as device-gone', async () => {
    const { driver: d } = await startDriver();
    emulator.device(udid(1)).trustAfterSeconds = 3600;
    const device = await deviceOf(d, udid(1));
    const { ctx, waits } = iosStepContext({ serial: udid(1), step: iosStep('wait-for-trust'), slot: 'A2' });
    const step = d.executeStep(ctx).catch((e: unknown) => e);
    const direct = device.pair({ signal: new AbortController().signal, onTrustPrompt: () => {} }).catch((e: unknown) => e);
    await until(() => waits.length > 0, 'the Trust prompt', 10_000, 20);
    emulator.unplug(udid(1));
    expect(await step).toBeInstanceOf(DeviceGoneError);
    const linkError = (await direct) as IosLinkError;
    expect([linkError.name, linkError.kind]).toEqual(['IosLinkError', 'device-gone']);
  });
});

describe('sessions and services', () => {
  it('runs the session inside TLS (1.2 at least) and reads what only a session may', async () => {
    const { driver: d } = await startDriver();
    await d.executeStep(iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A1' }).ctx);
    const device = await deviceOf(d, udid(0));
    const session = await device.session(AbortSignal.timeout(10_000));
    try {
      expect(['TLSv1.2', 'TLSv1.3']).toContain((session as TlsLockdownSession).tlsProtocol);
      expect(await session.getValue(null, 'SerialNumber')).toBe(makeIpadSpec(0).serialNumber);
      expect(await session.getValue('com.apple.mobile.battery', 'BatteryCurrentCapacity')).toBeGreaterThan(0);
      await session.setValue(null, 'DeviceName', 'GS-Nord-001');
      expect(emulator.device(udid(0)).deviceName).toBe('GS-Nord-001');
    } finally {
      session.close();
    }
  });

  it('refuses a session to an unpaired device as not-paired, and a device that forgot the station as invalid-host-id', async () => {
    const { driver: d } = await startDriver();
    const device = await deviceOf(d, udid(1));
    expect(await device.isPaired(AbortSignal.timeout(5000))).toBe(false);
    expect(((await device.session(AbortSignal.timeout(5000)).catch((e: unknown) => e)) as IosLinkError).kind).toBe('not-paired');
    await d.executeStep(iosStepContext({ serial: udid(1), step: iosStep('wait-for-trust'), slot: 'A2' }).ctx);
    expect(await device.isPaired(AbortSignal.timeout(5000))).toBe(true);
    emulator.device(udid(1)).pairedHosts.clear();
    const forgot = (await device.session(AbortSignal.timeout(5000)).catch((e: unknown) => e)) as IosLinkError;
    expect([forgot.kind, forgot.deviceReason]).toEqual(['invalid-host-id', 'InvalidHostID']);
  });

  it('starts a service over a new usbmuxd connection wrapped in TLS, speaking plists; an unknown service is refused', async () => {
    const { driver: d } = await startDriver();
    await d.executeStep(iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A1' }).ctx);
    const session = await (await deviceOf(d, udid(0))).session(AbortSignal.timeout(10_000));
    try {
      const service = await session.startService(ECHO_SERVICE);
      expect(service.stream).toBeInstanceOf(tls.TLSSocket);
      expect(['TLSv1.2', 'TLSv1.3']).toContain((service.stream as tls.TLSSocket).getProtocol());
      await service.plist.send({ Hello: 'iPad', Count: 3 });
      expect(await service.plist.receive(AbortSignal.timeout(5000))).toEqual({ Echo: { Hello: 'iPad', Count: 3 } });
      service.close();
      const refused = (await session.startService('com.apple.nonexistent').catch((e: unknown) => e)) as IosLinkError;
      expect([refused.kind, refused.deviceReason]).toEqual(['service-refused', 'InvalidService']);
    } finally {
      session.close();
    }
  });

  it('waits for the battery level with the charge instruction, then captures the level', async () => {
    const { driver: d } = await startDriver();
    await d.executeStep(iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A1' }).ctx);
    await setBattery(d, udid(0), 20, 2); // 40 ms per percent at speed 50
    const { ctx, waits } = iosStepContext({ serial: udid(0), step: iosStep('battery', { minPercent: 25 }), slot: 'A1' });
    const outcome = await d.executeStep(ctx);
    expect(waits).toEqual([{ reason: 'battery', message: { code: 'wait.battery', params: { percent: 25 } }, ended: true }]);
    expect(Number(outcome.captured?.batteryPercent)).toBeGreaterThanOrEqual(25);
  });

  it('a battery already charged passes at once, pairing first when needed', async () => {
    const { driver: d } = await startDriver();
    emulator.device(udid(1)).batteryPercent = 90;
    const { ctx, waits } = iosStepContext({ serial: udid(1), step: iosStep('battery', { minPercent: 30 }), slot: 'A2' });
    const outcome = await d.executeStep(ctx);
    expect(waits.map((w) => w.message)).toEqual([{ code: 'ios.trust', params: { slot: 'A2' } }]);
    expect(Number(outcome.captured?.batteryPercent)).toBeGreaterThanOrEqual(90);
  });
});

describe('usbmuxd restarting', () => {
  it('keeps the devices through a usbmuxd stop and start: no detach, no second attach, renumbered DeviceIDs in use', async () => {
    const { driver: d, events } = await startDriver();
    await d.executeStep(iosStepContext({ serial: udid(1), step: iosStep('wait-for-trust'), slot: 'A2' }).ctx);
    const idBefore = d.device(udid(1))!.deviceId;
    const attachedBefore = events.attached.length;
    await emulator.stopUsbmuxd();
    // A device pulled while usbmuxd is away is found gone when it is back; the others keep their attachment.
    emulator.unplug(udid(0));
    await emulator.startUsbmuxd();
    await until(() => events.detached.includes(udid(0)), 'the device pulled during the outage reported gone', 10_000, 20);
    expect(events.detached).toEqual([udid(0)]);
    expect(events.attached.length).toBe(attachedBefore);
    expect(
      d
        .list()
        .map((e) => e.serial)
        .sort(),
    ).toEqual([udid(1), udid(17)].sort());
    // The restarted usbmuxd numbers the devices anew; the device's calls go to its new DeviceID.
    const idAfter = d.device(udid(1))!.deviceId;
    expect(idAfter).toBe(emulator.deviceId(udid(1)));
    expect(idAfter).not.toBe(idBefore);
    const session = await (await deviceOf(d, udid(1))).session(AbortSignal.timeout(10_000));
    expect(await session.getValue(null, 'SerialNumber')).toBe(makeIpadSpec(1).serialNumber);
    session.close();
  });

  it('a step under way when usbmuxd restarts carries on once it is back, without the run seeing the device leave', async () => {
    const { driver: d, events } = await startDriver();
    await d.executeStep(iosStepContext({ serial: udid(1), step: iosStep('wait-for-trust'), slot: 'A2' }).ctx);
    await setBattery(d, udid(1), 10, 20); // 400 ms per percent at speed 50: the step waits a while
    const { ctx, waits } = iosStepContext({ serial: udid(1), step: iosStep('battery', { minPercent: 12 }), slot: 'A2' });
    const step = d.executeStep(ctx);
    await until(() => waits.some((w) => typeof w.message !== 'string' && w.message.code === 'wait.battery'), 'the battery wait', 10_000, 20);
    await emulator.stopUsbmuxd();
    await new Promise((r) => setTimeout(r, 150));
    await emulator.startUsbmuxd();
    const outcome = await step;
    expect(Number(outcome.captured?.batteryPercent)).toBeGreaterThanOrEqual(12);
    expect(events.detached).toEqual([]);
    // The step's next reading hit the outage: it was run again once usbmuxd was back.
    expect(events.logs.filter((l) => l.startsWith('usbmuxd restarted during the step'))).toHaveLength(1);
  });
});

describe('pair records other tools share (libimobiledevice)', () => {
  const tool = (name: string) => ['/usr/bin', '/usr/local/bin'].map((d) => path.join(d, name)).find((p) => fs.existsSync(p)) ?? null;
  const ideviceinfo = tool('ideviceinfo');
  const idevicepair = tool('idevicepair');
  const run = (file: string, args: string[]) =>
    promisify(execFile)(file, args, { env: { ...process.env, USBMUXD_SOCKET_ADDRESS: emulator.address, HOME: dir }, timeout: 20_000 });

  it('our pair record serves ideviceinfo, and the record idevicepair saves serves our session', async (t) => {
    if (!ideviceinfo || !idevicepair) {
      console.log('skipped: ideviceinfo/idevicepair (Debian libimobiledevice-utils) are not installed here; CI installs them');
      t.skip();
      return;
    }
    const { driver: d } = await startDriver();
    await d.executeStep(iosStepContext({ serial: udid(0), step: iosStep('wait-for-trust'), slot: 'A1' }).ctx);
    const info = await run(ideviceinfo, ['-u', udid(0), '-k', 'SerialNumber']);
    expect(info.stdout.trim()).toBe(makeIpadSpec(0).serialNumber);

    emulator.device(udid(1)).trustAfterSeconds = 0;
    await run(idevicepair, ['-u', udid(1), 'pair']);
    const session = await d.device(udid(1))!.session(AbortSignal.timeout(10_000));
    expect(await session.getValue(null, 'SerialNumber')).toBe(makeIpadSpec(1).serialNumber);
    session.close();
  });
});
