import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import type { EmulatedIpadSpec, ServiceHandler } from '../emulators/ios/emulated-ipad.js';
import { identityToP12, makeIdentity } from '../emulators/ios/identities.js';
import { makeIpadSpec, startIpadEmulator, type IpadEmulator } from '../emulators/ios/ipad-emulator.js';
import { decodePlist, servePlistMessages, sendPlistMessage, stringField } from '../emulators/ios/plist-wire.js';
import { findGoIos, findOnPath, runTool, sleep, type ToolRun } from './ios-emulator-tools.js';

/**
 * The emulated iPad against clients nobody here wrote: Debian's libimobiledevice-utils 1.3.0
 * (through libusbmuxd 2.0.2) and go-ios 1.2.0, pointed at the emulator with USBMUXD_SOCKET_ADDRESS
 * and a private HOME. Assertions are on what the tools print, so a broken usbmuxd, lockdownd, TLS
 * session or pairing step fails here. Timings: speed 10, so a device's "60 s until Trust" is 6 s.
 */

const SPEED = 10;
const running: IpadEmulator[] = [];
const homes: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
  for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
});

async function emulatorWith(specs: EmulatedIpadSpec[], services: Record<string, ServiceHandler> = {}, deviceKeys: 'shared' | 'per-device' = 'shared') {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-ios-emu-'));
  homes.push(home);
  const emulator = await startIpadEmulator({ listen: { path: path.join(home, 'usbmuxd') }, speed: SPEED, devices: specs, services, deviceKeys });
  running.push(emulator);
  const env = { address: emulator.address, home };
  return { emulator, home, env };
}

function requireTool(ctx: TestContext, tool: string): string {
  const found = findOnPath(tool);
  if (!found) ctx.skip(`${tool} is not installed (Debian libimobiledevice-utils; .ci/run installs it)`);
  return found;
}

function requireGoIos(ctx: TestContext): string {
  const found = findGoIos();
  if (!found) ctx.skip('go-ios is not installed ($BENCHLINE_GO_IOS or the npm package go-ios@1.2.0 under ~/.cache/benchline/go-ios; .ci/run installs it)');
  return found;
}

const PENDING = /Please accept the trust dialog/;

/** Pairs through idevicepair, retrying while the Trust prompt shows; returns every run. */
async function pairUntilAnswered(idevicepair: string, udid: string, env: { address: string; home: string }, limitMs: number): Promise<ToolRun[]> {
  const runs: ToolRun[] = [];
  const deadline = Date.now() + limitMs;
  for (;;) {
    const run = await runTool(idevicepair, ['-u', udid, 'pair'], env);
    runs.push(run);
    if (!PENDING.test(run.output) || Date.now() > deadline) return runs;
    await sleep(200);
  }
}

describe('emulated iPad against libimobiledevice-utils', () => {
  it('idevice_id -l lists every attached iPad by UDID', async (ctx) => {
    const tool = requireTool(ctx, 'idevice_id');
    const specs = [0, 1, 2].map((slot) => makeIpadSpec(slot));
    const { env } = await emulatorWith(specs);
    const run = await runTool(tool, ['-l'], env);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout.trim().split('\n').sort()).toEqual(specs.map((spec) => spec.udid).sort());
  });

  it('answers only public values before pairing (ideviceinfo -s) and everything in a TLS session after', async (ctx) => {
    const ideviceinfo = requireTool(ctx, 'ideviceinfo');
    const idevicepair = requireTool(ctx, 'idevicepair');
    const spec = makeIpadSpec(3, { trustAfterSeconds: 0, chargeSecondsPerPercent: 0, batteryPercent: 57 });
    const { emulator, env } = await emulatorWith([spec]);

    const simple = await runTool(ideviceinfo, ['-s', '-u', spec.udid], env);
    expect(simple.code, simple.output).toBe(0);
    expect(simple.stdout).toContain(`UniqueDeviceID: ${spec.udid}`);
    expect(simple.stdout).toContain('ProductType: iPad13,18');
    expect(simple.stdout).toContain('DevicePublicKey: ');
    expect(simple.stdout).not.toContain('SerialNumber');

    const paired = await runTool(idevicepair, ['-u', spec.udid, 'pair'], env);
    expect(paired.stdout).toContain(`SUCCESS: Paired with device ${spec.udid}`);

    const full = await runTool(ideviceinfo, ['-u', spec.udid], env);
    expect(full.code, full.output).toBe(0);
    expect(full.stdout).toContain(`SerialNumber: ${spec.serialNumber}`);
    expect(full.stdout).toContain('ActivationState: Activated');
    expect(full.stdout).toContain('ProductVersion: 17.5.1');

    const battery = await runTool(ideviceinfo, ['-u', spec.udid, '-q', 'com.apple.mobile.battery'], env);
    expect(battery.stdout).toContain('BatteryCurrentCapacity: 57');
    expect(battery.stdout).toContain('BatteryIsCharging: false');
    emulator.device(spec.udid).batteryPercent = 23;
    const later = await runTool(ideviceinfo, ['-u', spec.udid, '-q', 'com.apple.mobile.battery', '-k', 'BatteryCurrentCapacity'], env);
    expect(later.stdout.trim()).toBe('23');
  });

  it('idevicepair pair waits on the Trust prompt, pairs once the user tapped Trust, and validate then succeeds', async (ctx) => {
    const idevicepair = requireTool(ctx, 'idevicepair');
    const spec = makeIpadSpec(4, { trustAfterSeconds: 60 });
    const { emulator, env } = await emulatorWith([spec]);
    const trustMs = (60 * 1000) / SPEED;

    const started = Date.now();
    const runs = await pairUntilAnswered(idevicepair, spec.udid, env, trustMs * 3);
    const last = runs[runs.length - 1]!;
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs[0]!.output).toMatch(PENDING);
    expect(last.code, last.output).toBe(0);
    expect(last.stdout).toContain(`SUCCESS: Paired with device ${spec.udid}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(trustMs);
    // The host saved its record through usbmuxd (SavePairRecord), and the device trusts that host.
    expect(emulator.pairRecords.has(spec.udid)).toBe(true);
    expect(emulator.device(spec.udid).pairedHosts.size).toBe(1);

    const validated = await runTool(idevicepair, ['-u', spec.udid, 'validate'], env);
    expect(validated.code, validated.output).toBe(0);
    expect(validated.stdout).toContain(`SUCCESS: Validated pairing with device ${spec.udid}`);

    // Unpair: the device forgets the host and the host deletes its record through usbmuxd.
    const unpaired = await runTool(idevicepair, ['-u', spec.udid, 'unpair'], env);
    expect(unpaired.stdout).toContain(`SUCCESS: Unpaired with device ${spec.udid}`);
    expect(emulator.device(spec.udid).pairedHosts.size).toBe(0);
    expect(emulator.pairRecords.has(spec.udid)).toBe(false);
  });

  it('reports the user tapping "Don\'t Trust" and a passcode, and saves no pair record', async (ctx) => {
    const idevicepair = requireTool(ctx, 'idevicepair');
    const denied = makeIpadSpec(5, { trustAfterSeconds: 20 });
    const locked = makeIpadSpec(6, { trustAfterSeconds: 0 });
    const { emulator, env } = await emulatorWith([denied, locked]);
    emulator.device(denied.udid).faults.denyTrust = true;
    emulator.device(locked.udid).faults.passcode = true;

    const runs = await pairUntilAnswered(idevicepair, denied.udid, env, 20_000);
    expect(runs[0]!.output).toMatch(PENDING);
    expect(runs[runs.length - 1]!.output).toContain(`said that the user denied the trust dialog`);
    const withPasscode = await runTool(idevicepair, ['-u', locked.udid, 'pair'], env);
    expect(withPasscode.code).not.toBe(0);
    expect(withPasscode.output).toMatch(/passcode is set/);

    expect(emulator.pairRecords.size).toBe(0);
    expect(emulator.device(denied.udid).pairedHosts.size).toBe(0);
    // Without a record the tools cannot start a session: ideviceinfo tries to pair and meets the prompt.
    const validate = await runTool(idevicepair, ['-u', denied.udid, 'validate'], env);
    expect(validate.code).not.toBe(0);
  });

  it('pairs at once while the device is in Setup Assistant (after an erase): no Trust prompt to tap', async (ctx) => {
    const idevicepair = requireTool(ctx, 'idevicepair');
    const fresh = makeIpadSpec(14, { setupDone: false, trustAfterSeconds: 600 });
    const { emulator, env } = await emulatorWith([fresh]);
    const paired = await runTool(idevicepair, ['-u', fresh.udid, 'pair'], env);
    expect(paired.code, paired.output).toBe(0);
    expect(paired.stdout).toContain(`SUCCESS: Paired with device ${fresh.udid}`);
    expect(emulator.device(fresh.udid).pairedHosts.size).toBe(1);
  });

  it('idevicename renames the device in a session, and GetValue then answers the new name', async (ctx) => {
    const idevicename = requireTool(ctx, 'idevicename');
    const idevicepair = requireTool(ctx, 'idevicepair');
    const ideviceinfo = requireTool(ctx, 'ideviceinfo');
    const spec = makeIpadSpec(7, { trustAfterSeconds: 0 });
    const { emulator, env } = await emulatorWith([spec]);
    expect((await runTool(idevicepair, ['-u', spec.udid, 'pair'], env)).code).toBe(0);

    const renamed = await runTool(idevicename, ['-u', spec.udid, 'Klasse 7a – iPad 12'], env);
    expect(renamed.code, renamed.output).toBe(0);
    expect(renamed.stdout).toContain("device name set to 'Klasse 7a – iPad 12'");
    expect(emulator.device(spec.udid).deviceName).toBe('Klasse 7a – iPad 12');
    const name = await runTool(ideviceinfo, ['-u', spec.udid, '-k', 'DeviceName'], env);
    expect(name.stdout.trim()).toBe('Klasse 7a – iPad 12');
  });

  it('StartService hands a TLS connection to the registered service, and refuses services the device lacks', async (ctx) => {
    const idevicediagnostics = requireTool(ctx, 'idevicediagnostics');
    const idevicepair = requireTool(ctx, 'idevicepair');
    const spec = makeIpadSpec(8, { trustAfterSeconds: 0 });
    const requests: string[] = [];
    let encrypted = false;
    // A stand-in diagnostics_relay (the real one is EMU-SERVICES'): enough of it for idevicediagnostics.
    const diagnostics: ServiceHandler = (stream) => {
      encrypted = stream instanceof tls.TLSSocket && stream.encrypted;
      servePlistMessages(stream, (message) => {
        requests.push(stringField(message, 'Request') ?? '(none)');
        if (message['Request'] === 'Goodbye') {
          sendPlistMessage(stream, { Status: 'Success' });
          stream.end();
        } else sendPlistMessage(stream, { Status: 'Success', Diagnostics: { GasGauge: { CycleCount: 4711 } } });
      });
    };
    const { env } = await emulatorWith([spec], { 'com.apple.mobile.diagnostics_relay': diagnostics });
    expect((await runTool(idevicepair, ['-u', spec.udid, 'pair'], env)).code).toBe(0);

    const run = await runTool(idevicediagnostics, ['-u', spec.udid, 'diagnostics', 'GasGauge'], env);
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain('<key>CycleCount</key>');
    expect(run.stdout).toContain('<integer>4711</integer>');
    expect(requests).toEqual(['GasGauge', 'Goodbye']);
    expect(encrypted).toBe(true);

    const { env: bare } = await emulatorWith([makeIpadSpec(9, { trustAfterSeconds: 0 })]);
    expect((await runTool(idevicepair, ['pair'], bare)).code).toBe(0);
    const refused = await runTool(idevicediagnostics, ['diagnostics', 'GasGauge'], bare);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('Could not start diagnostics service');
  });
});

/** The part of appium-ios-device (untyped; what STEPS builds on) these checks call. */
interface AppiumUtilities {
  getConnectedDevices(socket: net.Socket): Promise<string[]>;
  getOSVersion(udid: string, socket: net.Socket): Promise<string>;
  startLockdownSession(udid: string, socket: net.Socket): Promise<{ getValue(query: { Key?: string; Domain?: string }): Promise<unknown> }>;
}

describe('emulated iPad against appium-ios-device', () => {
  it('lists the device, reads values before pairing and starts a TLS lockdown session with the record libimobiledevice saved', async (ctx) => {
    const idevicepair = requireTool(ctx, 'idevicepair');
    const appium = (createRequire(import.meta.url)('appium-ios-device') as { utilities: AppiumUtilities }).utilities;
    const spec = makeIpadSpec(13, { trustAfterSeconds: 0, chargeSecondsPerPercent: 0, batteryPercent: 88 });
    const { emulator, env } = await emulatorWith([spec]);
    const usbmuxd = (): net.Socket => net.connect(emulator.address.replace(/^UNIX:/, ''));
    expect(await appium.getConnectedDevices(usbmuxd())).toEqual([spec.udid]);
    expect(await appium.getOSVersion(spec.udid, usbmuxd())).toBe('17.5.1');
    expect((await runTool(idevicepair, ['-u', spec.udid, 'pair'], env)).code).toBe(0);
    // One request per session: appium-ios-device 3.1.23 pipes its plist splitter into the decoder a second time
    // when it enables session SSL, so every later answer is queued twice (its bug, not the device's).
    const session = await appium.startLockdownSession(spec.udid, usbmuxd());
    expect(await session.getValue({ Key: 'SerialNumber' })).toBe(spec.serialNumber);
    const battery = await appium.startLockdownSession(spec.udid, usbmuxd());
    expect(await battery.getValue({ Domain: 'com.apple.mobile.battery', Key: 'BatteryCurrentCapacity' })).toBe(88);
  });
});

describe('emulated iPad against go-ios 1.2.0', () => {
  it('ios list --details, ios info and ios batterycheck read a device paired through usbmuxd by libimobiledevice', async (ctx) => {
    const ios = requireGoIos(ctx);
    const idevicepair = requireTool(ctx, 'idevicepair');
    const specs = [10, 11].map((slot) => makeIpadSpec(slot, { trustAfterSeconds: 0, chargeSecondsPerPercent: 0, batteryPercent: 64 + slot }));
    const { emulator, home } = await emulatorWith(specs, {}, 'per-device');
    const libimobiledevice = { address: emulator.address, home };
    for (const spec of specs) expect((await runTool(idevicepair, ['-u', spec.udid, 'pair'], libimobiledevice)).code).toBe(0);
    // go-ios takes a bare socket path (it reads "UNIX:/path" as host:port); the binary record libimobiledevice saved is what it reads.
    const goIos = { address: emulator.address.replace(/^UNIX:/, ''), home };

    const list = await runTool(ios, ['list', '--details'], goIos);
    expect(list.code, list.output).toBe(0);
    const details = JSON.parse(list.stdout) as { deviceList: Array<Record<string, string>> };
    expect(details.deviceList.map((entry) => entry['Udid']).sort()).toEqual(specs.map((spec) => spec.udid).sort());
    for (const entry of details.deviceList) {
      expect(entry).toMatchObject({ ProductType: 'iPad13,18', ProductVersion: '17.5.1', ProductName: 'iPhone OS', ConnectionType: 'USB' });
    }

    const target = specs[1]!;
    const info = await runTool(ios, ['info', `--udid=${target.udid}`], goIos);
    expect(info.code, info.output).toBe(0);
    const values = JSON.parse(info.stdout) as Record<string, unknown>;
    expect(values).toMatchObject({ UniqueDeviceID: target.udid, SerialNumber: target.serialNumber, DeviceClass: 'iPad', DeviceName: 'iPad' });

    // Each device has its own key here ('per-device'): the other device's public key differs.
    const other = JSON.parse((await runTool(ios, ['info', `--udid=${specs[0]!.udid}`], goIos)).stdout) as Record<string, unknown>;
    expect(typeof values['DevicePublicKey']).toBe('string');
    expect(other['DevicePublicKey']).not.toEqual(values['DevicePublicKey']);

    const battery = await runTool(ios, ['batterycheck', `--udid=${target.udid}`], goIos);
    expect(battery.code, battery.output).toBe(0);
    expect(JSON.parse(battery.stdout)).toMatchObject({ BatteryCurrentCapacity: 75, BatteryIsCharging: false, HasBattery: true, FullyCharged: false });
  });

  it('ios listen sees the devices, sees usbmuxd die (EOF), reconnects and sees them attached again', async (ctx) => {
    const ios = requireGoIos(ctx);
    const specs = [15, 16].map((slot) => makeIpadSpec(slot));
    const { emulator, home } = await emulatorWith(specs);
    const child = spawn(ios, ['listen'], { env: { ...process.env, USBMUXD_SOCKET_ADDRESS: emulator.address.replace(/^UNIX:/, ''), HOME: home } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const attachedSerials = (): string[] =>
      stdout
        .split('\n')
        .filter((line) => line.includes('"MessageType":"Attached"'))
        .map((line) => (JSON.parse(line) as { Properties: { SerialNumber: string } }).Properties.SerialNumber);
    const until = async (condition: () => boolean, what: string): Promise<void> => {
      for (const deadline = Date.now() + 20_000; !condition(); await sleep(50)) {
        if (Date.now() > deadline) throw new Error(`go-ios listen: no ${what}\nstdout: ${stdout}\nstderr: ${stderr}`);
      }
    };
    try {
      await until(() => attachedSerials().length === 2, 'Attached for both devices');
      expect(attachedSerials().sort()).toEqual(specs.map((spec) => spec.udid).sort());
      await emulator.stopUsbmuxd();
      await until(() => stderr.includes('Stopped listening because of error'), 'EOF');
      await emulator.startUsbmuxd();
      // go-ios retries every 3 s; after reconnecting it gets Attached for both devices again.
      await until(() => attachedSerials().length === 4, 'Attached after the restart');
      expect(attachedSerials().slice(2).sort()).toEqual(specs.map((spec) => spec.udid).sort());
    } finally {
      child.kill();
    }
  });

  it('ios pair --p12file pairs a device we supervise without the Trust prompt, and go-ios then uses the record it saved', async (ctx) => {
    const ios = requireGoIos(ctx);
    const password = 'benchline';
    const supervisor = makeIdentity('Benchline Supervision Test');
    const stranger = makeIdentity('Another Organisation');
    const supervised = makeIpadSpec(12, { trustAfterSeconds: 600 });
    const { emulator, home } = await emulatorWith([supervised]);
    emulator.device(supervised.udid).cloudConfiguration = { IsSupervised: true, AllowPairing: true, SupervisorHostCertificates: [supervisor.certificateDer] };
    const goIos = { address: emulator.address.replace(/^UNIX:/, ''), home };
    fs.writeFileSync(path.join(home, 'stranger.p12'), identityToP12(stranger, password));
    fs.writeFileSync(path.join(home, 'supervisor.p12'), identityToP12(supervisor, password));

    // Another organisation's identity gets no challenge: the device shows the Trust prompt instead.
    const refused = await runTool(ios, ['pair', `--p12file=${path.join(home, 'stranger.p12')}`, `--password=${password}`, `--udid=${supervised.udid}`], goIos);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('PairingDialogResponsePending');
    expect(emulator.device(supervised.udid).pairedHosts.size).toBe(0);

    const paired = await runTool(ios, ['pair', `--p12file=${path.join(home, 'supervisor.p12')}`, `--password=${password}`, `--udid=${supervised.udid}`], goIos);
    expect(paired.code, paired.output).toBe(0);
    expect(emulator.device(supervised.udid).pairedHosts.size).toBe(1);
    // go-ios saves an XML record (libimobiledevice a binary one); usbmuxd keeps it as sent.
    const record = emulator.pairRecords.get(supervised.udid)!;
    expect(record.subarray(0, 5).toString()).toBe('<?xml');
    expect(decodePlist(record)).toMatchObject({ HostID: expect.any(String), SystemBUID: emulator.systemBuid });

    const info = await runTool(ios, ['info', `--udid=${supervised.udid}`], goIos);
    expect(info.code, info.output).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ SerialNumber: supervised.serialNumber });
  });
});
