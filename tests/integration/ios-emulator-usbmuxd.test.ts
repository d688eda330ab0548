import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import tls from 'node:tls';
import { build as buildPlist } from 'plist';
import { afterEach, describe, expect, it } from 'vitest';
import { makeIpadSpec, slotLocationId, startIpadEmulator, type IpadEmulator } from '../emulators/ios/ipad-emulator.js';
import { rolloutIpadSpec } from '../emulators/ios/ipad-spec.js';
import type { EmulatedIpadSpec } from '../emulators/ios/emulated-ipad.js';
import { makeIdentity, type Identity } from '../emulators/ios/identities.js';
import { findOnPath, lockdownFrame, networkPort, readLockdownFrame, runTool, sleep, UsbmuxProbe, type ProbeMessage } from './ios-emulator-tools.js';

/**
 * The emulated usbmuxd seen by a bare protocol probe: Listen with Attached/Detached/Paired, Connect
 * with its byte-swapped port, pair records, devices leaving and returning, usbmuxd dying and coming
 * back while clients reconnect, many clients at once, and the CLI the bench and Playwright start.
 */

const SPEED = 100;
const CLI = fileURLToPath(new URL('../emulators/ios/run-ios-emulator.ts', import.meta.url));
const LOCKDOWN = 62078;
const running: IpadEmulator[] = [];
const dirs: string[] = [];
const probes: UsbmuxProbe[] = [];

afterEach(async () => {
  for (const probe of probes.splice(0)) probe.close();
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-usbmuxd-'));
  dirs.push(dir);
  return dir;
}

async function emulatorWith(specs: EmulatedIpadSpec[], listen: { path: string } | { port: number } = { path: path.join(tempDir(), 'usbmuxd') }) {
  const emulator = await startIpadEmulator({ listen, speed: SPEED, devices: specs });
  running.push(emulator);
  return emulator;
}

async function probe(address: string): Promise<UsbmuxProbe> {
  const connected = await UsbmuxProbe.connect(address);
  probes.push(connected);
  return connected;
}

/** Sends one request and returns the answer with the same tag. */
async function ask(client: UsbmuxProbe, message: ProbeMessage): Promise<ProbeMessage> {
  const tag = client.send(message);
  const answer = await client.next();
  expect(answer.tag).toBe(tag);
  return answer.message;
}

/** Opens a usbmuxd connection piped to the device's lockdownd. */
async function lockdownPipe(address: string, deviceId: number): Promise<net.Socket> {
  const client = await probe(address);
  expect(await ask(client, { MessageType: 'Connect', DeviceID: deviceId, PortNumber: networkPort(LOCKDOWN) })).toEqual({ MessageType: 'Result', Number: 0 });
  return client.socket;
}

describe('emulated usbmuxd', () => {
  it('Listen reports every device, then Detached on unplug, Attached with a new DeviceID on replug and after a reboot', async () => {
    const specs = [0, 5, 17].map((slot) => makeIpadSpec(slot));
    const emulator = await emulatorWith(specs);
    const listener = await probe(emulator.address);
    expect(await ask(listener, { MessageType: 'Listen' })).toEqual({ MessageType: 'Result', Number: 0 });
    const attached = await Promise.all(specs.map(() => listener.next()));
    expect(attached.map(({ message }) => message['MessageType'])).toEqual(['Attached', 'Attached', 'Attached']);
    expect(attached.map(({ message }) => (message['Properties'] as ProbeMessage)['SerialNumber'])).toEqual(specs.map((spec) => spec.udid));
    expect(attached[2]!.message['Properties']).toMatchObject({ ConnectionType: 'USB', LocationID: slotLocationId(17), ConnectionSpeed: 480_000_000 });
    expect(slotLocationId(17)).toBe(0x02120000);

    const target = specs[1]!;
    const firstId = emulator.deviceId(target.udid)!;
    const pipe = await lockdownPipe(emulator.address, firstId);
    const pipeClosed = once(pipe, 'close');
    emulator.unplug(target.udid);
    expect((await listener.next()).message).toEqual({ MessageType: 'Detached', DeviceID: firstId });
    await pipeClosed;

    await emulator.replug(target.udid);
    const back = (await listener.next()).message;
    expect(back).toMatchObject({ MessageType: 'Attached', Properties: { SerialNumber: target.udid } });
    expect(back['DeviceID']).not.toBe(firstId);

    let rebooted = false;
    emulator.reboot(target.udid, 3_000, () => (rebooted = true));
    expect((await listener.next()).message).toEqual({ MessageType: 'Detached', DeviceID: back['DeviceID'] });
    const afterReboot = (await listener.next()).message;
    expect(rebooted).toBe(true);
    expect(afterReboot).toMatchObject({ MessageType: 'Attached', Properties: { SerialNumber: target.udid } });
    expect(afterReboot['DeviceID']).not.toBe(back['DeviceID']);
  });

  it('keeps pair records (XML or binary), announces Paired to listeners, and answers ReadBUID', async () => {
    const spec = makeIpadSpec(1);
    const emulator = await emulatorWith([spec]);
    const listener = await probe(emulator.address);
    await ask(listener, { MessageType: 'Listen' });
    await listener.next();
    const client = await probe(emulator.address);

    expect(await ask(client, { MessageType: 'ReadPairRecord', PairRecordID: spec.udid })).toEqual({ MessageType: 'Result', Number: 2 });
    const record = Buffer.from(buildPlist({ HostID: 'HOST-1', SystemBUID: emulator.systemBuid }));
    const deviceId = emulator.deviceId(spec.udid);
    const saved = await ask(client, { MessageType: 'SavePairRecord', PairRecordID: spec.udid, PairRecordData: record, DeviceID: deviceId });
    expect(saved).toEqual({ MessageType: 'Result', Number: 0 });
    expect((await listener.next()).message).toEqual({ MessageType: 'Paired', DeviceID: deviceId });
    const read = await ask(client, { MessageType: 'ReadPairRecord', PairRecordID: spec.udid });
    expect(Buffer.from(read['PairRecordData'] as Uint8Array).equals(record)).toBe(true);
    expect(await ask(client, { MessageType: 'SavePairRecord', PairRecordID: spec.udid, PairRecordData: Buffer.from('not a plist') })).toEqual({
      MessageType: 'Result',
      Number: 22,
    });
    expect(await ask(client, { MessageType: 'DeletePairRecord', PairRecordID: spec.udid })).toEqual({ MessageType: 'Result', Number: 0 });
    expect(await ask(client, { MessageType: 'ReadPairRecord', PairRecordID: spec.udid })).toEqual({ MessageType: 'Result', Number: 2 });
    expect(await ask(client, { MessageType: 'ReadBUID' })).toEqual({ BUID: emulator.systemBuid });
  });

  it('Connect takes the port byte-swapped, refuses unknown devices and closed ports, and lockdownd guards what needs pairing', async () => {
    const spec = makeIpadSpec(2);
    const emulator = await emulatorWith([spec]);
    const deviceId = emulator.deviceId(spec.udid)!;
    const client = await probe(emulator.address);
    expect(await ask(client, { MessageType: 'Connect', DeviceID: 999, PortNumber: networkPort(LOCKDOWN) })).toEqual({ MessageType: 'Result', Number: 2 });
    expect(await ask(client, { MessageType: 'Connect', DeviceID: deviceId, PortNumber: LOCKDOWN })).toEqual({ MessageType: 'Result', Number: 3 });
    expect(await ask(client, { MessageType: 'Connect', DeviceID: deviceId, PortNumber: networkPort(49999) })).toEqual({ MessageType: 'Result', Number: 3 });

    const pipe = await lockdownPipe(emulator.address, deviceId);
    pipe.write(lockdownFrame({ Request: 'QueryType', Label: 'probe' }));
    expect(await readLockdownFrame(pipe)).toEqual({ Request: 'QueryType', Type: 'com.apple.mobile.lockdown' });
    pipe.write(lockdownFrame({ Request: 'GetValue', Key: 'SerialNumber' }));
    expect(await readLockdownFrame(pipe)).toMatchObject({ Request: 'GetValue', Error: 'GetProhibited' });
    pipe.write(lockdownFrame({ Request: 'StartSession', HostID: 'UNKNOWN-HOST', SystemBUID: emulator.systemBuid }));
    expect(await readLockdownFrame(pipe)).toMatchObject({ Request: 'StartSession', Error: 'InvalidHostID' });
    pipe.write(lockdownFrame({ Request: 'StartService', Service: 'com.apple.afc' }));
    expect(await readLockdownFrame(pipe)).toMatchObject({ Request: 'StartService', Error: 'SessionInactive' });
    pipe.write(lockdownFrame({ Request: 'SetValue', Key: 'DeviceName', Value: 'x' }));
    expect(await readLockdownFrame(pipe)).toMatchObject({ Request: 'SetValue', Error: 'SetProhibited' });
    expect(emulator.device(spec.udid).deviceName).toBe('iPad');
  });

  it('session TLS: the paired host certificate gets answers, another certificate or plaintext after StartSession gets none', async () => {
    const spec = makeIpadSpec(3);
    const emulator = await emulatorWith([spec]);
    const deviceId = emulator.deviceId(spec.udid)!;
    const paired = makeIdentity('paired host');
    const other = makeIdentity('other host');
    emulator.device(spec.udid).pairedHosts.set('HOST-A', { hostCertificatePem: paired.certificatePem, rootCertificatePem: paired.certificatePem });

    async function session(identity: Identity): Promise<tls.TLSSocket> {
      const pipe = await lockdownPipe(emulator.address, deviceId);
      pipe.write(lockdownFrame({ Request: 'StartSession', HostID: 'HOST-A', SystemBUID: emulator.systemBuid }));
      expect(await readLockdownFrame(pipe)).toMatchObject({ Request: 'StartSession', EnableSessionSSL: true, SessionID: expect.any(String) });
      const secure = tls.connect({ socket: pipe, cert: identity.certificatePem, key: identity.keyPem, rejectUnauthorized: false, minVersion: 'TLSv1.2' });
      secure.on('error', () => {});
      await once(secure, 'secureConnect');
      return secure;
    }

    const good = await session(paired);
    good.write(lockdownFrame({ Request: 'GetValue', Key: 'SerialNumber' }));
    expect(await readLockdownFrame(good as unknown as net.Socket)).toMatchObject({ Request: 'GetValue', Value: spec.serialNumber });
    good.destroy();

    const refused = await session(other);
    const closed = once(refused, 'close');
    refused.write(lockdownFrame({ Request: 'GetValue', Key: 'SerialNumber' }));
    await closed;

    const plain = await lockdownPipe(emulator.address, deviceId);
    plain.write(lockdownFrame({ Request: 'StartSession', HostID: 'HOST-A', SystemBUID: emulator.systemBuid }));
    await readLockdownFrame(plain);
    plain.write(lockdownFrame({ Request: 'GetValue', Key: 'SerialNumber' }));
    await expect(readLockdownFrame(plain)).rejects.toThrow(/closed before the lockdown answer/);
  });

  it('usbmuxd dies and comes back: clients see EOF, pipes close, a reconnecting Listen client sees every device again', async () => {
    const specs = [0, 1, 2].map((slot) => makeIpadSpec(slot));
    const emulator = await emulatorWith(specs);
    emulator.pairRecords.set(specs[0]!.udid, Buffer.from(buildPlist({ HostID: 'KEPT' })));
    const listener = await probe(emulator.address);
    await ask(listener, { MessageType: 'Listen' });
    for (const _ of specs) await listener.next();
    const pipe = await lockdownPipe(emulator.address, emulator.deviceId(specs[2]!.udid)!);
    const pipeClosed = once(pipe, 'close');

    await emulator.stopUsbmuxd();
    await listener.whenEnded();
    await pipeClosed;
    await expect(UsbmuxProbe.connect(emulator.address)).rejects.toThrow();

    const restarted = emulator.startUsbmuxd();
    let reconnected: UsbmuxProbe | null = null;
    for (let attempt = 0, delay = 20; !reconnected && attempt < 30; attempt += 1, delay = Math.min(delay * 2, 500)) {
      reconnected = await UsbmuxProbe.connect(emulator.address).catch(() => null);
      if (!reconnected) await sleep(delay);
    }
    await restarted;
    expect(reconnected).not.toBeNull();
    probes.push(reconnected!);
    expect(await ask(reconnected!, { MessageType: 'Listen' })).toEqual({ MessageType: 'Result', Number: 0 });
    const again = await Promise.all(specs.map(() => reconnected!.next()));
    expect(again.map(({ message }) => (message['Properties'] as ProbeMessage)['SerialNumber']).sort()).toEqual(specs.map((spec) => spec.udid).sort());
    // A freshly started usbmuxd numbers its devices from 1 again.
    expect(again.map(({ message }) => message['DeviceID']).sort()).toEqual([1, 2, 3]);
    const client = await probe(emulator.address);
    expect(await ask(client, { MessageType: 'ReadPairRecord', PairRecordID: specs[0]!.udid })).toHaveProperty('PairRecordData');

    const idevice_id = findOnPath('idevice_id');
    if (idevice_id) {
      const listed = await runTool(idevice_id, ['-l'], { address: emulator.address, home: tempDir() });
      expect(listed.stdout.trim().split('\n').sort()).toEqual(specs.map((spec) => spec.udid).sort());
    }
  });

  it('serves 64 devices and 256 lockdown connections at once over TCP', async () => {
    const specs = Array.from({ length: 64 }, (_, slot) => makeIpadSpec(slot));
    const emulator = await emulatorWith(specs, { port: 0 });
    expect(emulator.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const lister = await probe(emulator.address);
    const list = (await ask(lister, { MessageType: 'ListDevices' }))['DeviceList'] as ProbeMessage[];
    expect(list).toHaveLength(64);
    expect(new Set(list.map((entry) => (entry['Properties'] as ProbeMessage)['LocationID'])).size).toBe(64);

    const answers = await Promise.all(
      Array.from({ length: 256 }, async (_, index) => {
        const spec = specs[index % 64]!;
        const pipe = await lockdownPipe(emulator.address, emulator.deviceId(spec.udid)!);
        pipe.write(lockdownFrame({ Request: 'GetValue', Key: 'UniqueDeviceID' }));
        const answer = await readLockdownFrame(pipe, 30_000);
        pipe.destroy();
        return answer['Value'] === spec.udid;
      }),
    );
    expect(answers.filter(Boolean)).toHaveLength(256);
  });
});

describe('run-ios-emulator CLI', () => {
  it('prints its address as one JSON line, serves the devices, and closes on SIGTERM', async () => {
    const socketPath = path.join(tempDir(), 'usbmuxd');
    const child = spawn(process.execPath, [CLI, '--listen', socketPath, '--devices', '3', '--speed', '50'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const ready = JSON.parse(line.toString().trim()) as { address: string; udids: string[] };
    expect(ready.address).toBe(`UNIX:${socketPath}`);
    expect(ready.udids).toEqual([0, 1, 2].map((slot) => makeIpadSpec(slot).udid));
    const client = await probe(ready.address);
    const list = (await ask(client, { MessageType: 'ListDevices' }))['DeviceList'] as ProbeMessage[];
    expect(list.map((entry) => (entry['Properties'] as ProbeMessage)['SerialNumber'])).toEqual(ready.udids);

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code, stderr).toBe(0);
    expect(fs.existsSync(socketPath)).toBe(false);
  });

  it('--activation-stub serves the activation stub the devices use and prints its URL; --mix rollout; bad options exit 2 with the usage', async () => {
    const socketPath = path.join(tempDir(), 'usbmuxd');
    const child = spawn(process.execPath, [CLI, '--listen', socketPath, '--devices', '2', '--activation-stub', '--mix', 'rollout'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const ready = JSON.parse(line.toString().trim()) as { address: string; udids: string[]; activationUrl: string | null };
    expect(ready.udids).toEqual([rolloutIpadSpec(0).udid, rolloutIpadSpec(1).udid]);
    expect(ready.activationUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/deviceservices$/);
    // The stub's own answer to a form without activation-info (a real server refuses it alike).
    const refused = await fetch(`${ready.activationUrl}/deviceActivation`, {
      method: 'POST',
      body: 'x=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/no activation-info field/);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(((await exited) as [number | null])[0]).toBe(0);
    // The mix: the even slots fresh from the box, the odd ones used.
    expect([rolloutIpadSpec(0).setupDone, rolloutIpadSpec(0).activationState, rolloutIpadSpec(1).setupDone]).toEqual([false, 'Unactivated', true]);

    for (const bad of [
      ['--mix', 'new'],
      ['--activation-stub', '--activation-url', 'http://127.0.0.1:1/'],
      ['--devices', '2', '--colour', 'red'],
    ]) {
      const refusedRun = spawn(process.execPath, [CLI, '--listen', path.join(tempDir(), 'usbmuxd'), ...bad], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      refusedRun.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const [code] = (await once(refusedRun, 'exit')) as [number | null];
      expect(code, bad.join(' ')).toBe(2);
      expect(err).toMatch(/usage: run-ios-emulator\.ts/);
    }
  });

  it('refuses bad options with a message saying what is wrong', async () => {
    const child = spawn(process.execPath, [CLI, '--listen', '/tmp/x', '--speed', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('--speed must be a positive number');
  });
});
