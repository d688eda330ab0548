import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AttachedDevice, LibraryFile, SecretValue, StepOutcome } from '../../main/drivers/driver.js';
import { IosDriver } from '../../main/drivers/ios/ios-driver.js';
import { encodePlistXml } from '../../main/drivers/ios/plist-codec.js';
import { ActivationServer } from '../../main/drivers/ios/services/activation-server.js';
import { wifiProfileIdentifier } from '../../main/drivers/ios/services/profile-payload.js';
import { DEFAULT_SUPERVISION_IDENTITY } from '../../main/drivers/ios/steps/ios-step.js';
import { parseUsbmuxdAddress, socketDialer } from '../../main/drivers/ios/usbmux/usbmux-address.js';
import { UsbmuxClient } from '../../main/drivers/ios/usbmux/usbmux-client.js';
import { DeviceGoneError } from '../../main/drivers/step-errors.js';
import { createSupervisionIdentity } from '../../main/secrets/identities.js';
import type { StepType } from '../../shared/blueprint/schema.js';
import { formatMessage } from '../../shared/messages/format.js';
import { startActivationServer, type ActivationServer as ActivationStub } from '../emulators/ios/activation-server.js';
import type { EmulatedIpadSpec } from '../emulators/ios/emulated-ipad.js';
import { makeIpadSpec, startIpadEmulator, type IpadEmulator } from '../emulators/ios/ipad-emulator.js';
import { IPAD_SERVICES } from '../emulators/ios/services/index.js';
import { approveProfiles } from '../emulators/ios/services/profiles.js';
import { infoPlist, writeZip } from '../fixtures/library-files.js';
import { paramsOf, recordingContext, serviceStep, stepFailure, type RecordingContext } from '../fixtures/ios-service-context.js';
import { until } from '../fixtures/until.js';

// The service steps against the emulated iPads (tests/emulators/ios) through the real transport
// (IosDriver -> usbmuxd -> lockdown TLS -> services), with the activation stub over HTTP. In-process:
// no station, so no build needed; each test drives steps like the pipeline would, carrying
// `captured` from step to step.

/** Real-device seconds / SPEED: an erase is away ~1 s, a Trust tap comes after 20 ms. */
const SPEED = 200;

let dir: string;
let emulator: IpadEmulator;
let stub: ActivationStub;
let driver: IosDriver;
let attached: AttachedDevice[];
let library: LibraryFile[];

const identity = createSupervisionIdentity('Schulträger');
const secrets: Record<string, SecretValue> = {
  [DEFAULT_SUPERVISION_IDENTITY]: identity,
  'wifi-school': { kind: 'wifi', password: 'Sch00l-Pass' },
};

async function ipa(bundleId: string, version: string, paddingBytes: number): Promise<LibraryFile> {
  const file = path.join(dir, `${bundleId}-${version}.ipa`);
  await writeZip(file, {
    'Payload/App.app/Info.plist': infoPlist({ CFBundleIdentifier: bundleId, CFBundleShortVersionString: version, CFBundleName: bundleId }, false),
    'Payload/App.app/_CodeSignature/CodeResources': 'signed',
    // Incompressible, so the upload takes several AFC packets.
    'Payload/App.app/App': crypto.randomBytes(paddingBytes),
  });
  const size = fs.statSync(file).size;
  return {
    path: file,
    identifier: bundleId,
    version,
    displayName: bundleId,
    size,
    sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
  };
}

function profile(identifier: string, displayName: string): LibraryFile {
  const file = path.join(dir, `${identifier}.mobileconfig`);
  const bytes = encodePlistXml({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: crypto.randomUUID().toUpperCase(),
    PayloadDisplayName: displayName,
    PayloadContent: [],
  });
  fs.writeFileSync(file, bytes);
  return { path: file, identifier, version: '1', displayName, size: bytes.length, sha256: 'f'.repeat(64) };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-ios-steps-'));
  library = [
    await ipa('com.apple.Pages', '14.1', 3 * 1024 * 1024),
    await ipa('com.bad.app', '1.0', 1024),
    profile('de.schultraeger.mdm.enroll', 'MDM Schulträger'),
    profile('de.school.filter', 'Jugendschutz'),
  ];
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function startBench(specs: EmulatedIpadSpec[]): Promise<void> {
  stub = await startActivationServer({ isActivationLocked: (udid) => emulator.device(udid).activationLocked });
  emulator = await startIpadEmulator({
    listen: { path: path.join(dir, `usbmuxd-${crypto.randomUUID().slice(0, 8)}`) },
    speed: SPEED,
    activationUrl: stub.url,
    devices: specs,
    services: IPAD_SERVICES,
  });
  attached = [];
  const address = parseUsbmuxdAddress(emulator.address, 'linux');
  driver = new IosDriver({
    client: new UsbmuxClient(socketDialer(address), { progName: 'benchline-test', clientVersionString: 'test' }, emulator.address),
    usbPorts: null,
    activationUrl: stub.url,
    sysfsRoot: null,
    pendingPollMs: 50,
    pollMs: 50,
    identifyRetryMs: 100,
    reconnectBaseMs: 50,
    reconnectMaxMs: 400,
    log: () => {},
  });
  await driver.start({ attached: (d) => attached.push(d), detached: () => {} });
  await until(() => specs.every((s) => attached.some((a) => a.serial === s.udid)), 'the iPads attached', 20_000, 20);
}

afterEach(async () => {
  await driver?.stop();
  await emulator?.close();
  await stub?.close();
});

/** Runs one step as the pipeline would, carrying what earlier steps captured. */
class Run {
  captured: Record<string, string> = {};
  contexts: RecordingContext[] = [];
  constructor(readonly udid: string) {}

  start(type: StepType, params: Record<string, unknown> = {}, deviceName: string | null = null): { ctx: RecordingContext; outcome: Promise<StepOutcome> } {
    const ctx = recordingContext(serviceStep(type, params), { serial: this.udid, secrets, library, captured: { ...this.captured }, deviceName });
    this.contexts.push(ctx);
    const outcome = driver.executeStep(ctx).then((o) => {
      Object.assign(this.captured, o.captured ?? {});
      return o;
    });
    outcome.catch(() => {});
    return { ctx, outcome };
  }

  step(type: StepType, params: Record<string, unknown> = {}, deviceName: string | null = null): Promise<StepOutcome> {
    return this.start(type, params, deviceName).outcome;
  }

  /** A step the device leaves during (erase, restart): DeviceGoneError, then the same UDID attaches again. */
  async leavesAndReturns(type: StepType): Promise<RecordingContext> {
    const before = attached.filter((a) => a.serial === this.udid).length;
    const { ctx, outcome } = this.start(type);
    await expect(outcome).rejects.toBeInstanceOf(DeviceGoneError);
    expect(ctx.reattachExpected).toBe(1);
    await until(() => attached.filter((a) => a.serial === this.udid).length > before, `${this.udid} back after ${type}`, 30_000, 20);
    return ctx;
  }
}

const superviseParams = { organization: 'Schulträger', skipSetup: 'all', allowPairing: true, finishSetup: true };

describe('a used iPad through every service step', () => {
  beforeEach(() => startBench([makeIpadSpec(0)]));

  it('erase, activate, supervise, enroll, profile, app, Wi-Fi, rename, verify, restart; each again finds its work done', async () => {
    const udid = makeIpadSpec(0).udid;
    const device = () => emulator.device(udid);
    const run = new Run(udid);

    await run.leavesAndReturns('erase');
    expect(device()).toMatchObject({ activationState: 'Unactivated', setupDone: false, cloudConfiguration: null });
    expect(await run.step('erase')).toMatchObject({ message: 'already erased' });

    await run.step('activate');
    expect([device().activationState, stub.counts.activated]).toEqual(['Activated', 1]);
    expect(await run.step('activate')).toMatchObject({ message: 'already activated' });
    expect(stub.counts.activated).toBe(1);

    await run.step('supervise', superviseParams);
    expect(device().cloudConfiguration).toMatchObject({ IsSupervised: true, OrganizationName: 'Schulträger', AllowPairing: true });
    expect(device().setupDone).toBe(true);
    expect(await run.step('supervise', superviseParams)).toMatchObject({ message: 'already supervised by this station' });

    await run.step('enroll-mdm', { profile: 'de.schultraeger.mdm.enroll' });
    await run.step('install-profile', { profile: 'de.school.filter' });
    expect(device().profiles.get('de.schultraeger.mdm.enroll')).toMatchObject({ silent: true, approved: true });
    expect(device().profiles.get('de.school.filter')).toMatchObject({ silent: true, approved: true });

    const app = run.start('install-app', { app: 'com.apple.Pages' });
    await app.outcome;
    expect(device().apps.get('com.apple.Pages')).toMatchObject({ version: '14.1' });
    const pages = library[0]!;
    expect(app.ctx.progressReports.filter((p) => p.bytes !== undefined).at(-1)).toMatchObject({ bytes: pages.size, total: pages.size, percent: 100 });
    expect(app.ctx.progressReports.some((p) => p.bytes === undefined && p.percent > 0)).toBe(true);
    const again = run.start('install-app', { app: 'com.apple.Pages' });
    await again.outcome;
    expect(again.ctx.progressReports).toEqual([]);

    await run.step('wifi', { ssid: 'Schulnetz', security: 'wpa2', secret: 'wifi-school' });
    expect(device().profiles.get(wifiProfileIdentifier('Schulnetz'))?.payload.toString()).toContain('Sch00l-Pass');

    await run.step('rename', { template: '{school}-{seq}' }, 'GS-Nord-001');
    expect(device().deviceName).toBe('GS-Nord-001');

    expect(await run.step('verify', { checks: ['supervised', 'profiles', 'apps', 'name'] })).toMatchObject({
      message: 'verified: supervised, profiles, apps, name',
    });

    await run.leavesAndReturns('restart');
    expect(await run.step('verify', { checks: ['name', 'apps'] })).toMatchObject({ message: 'verified: name, apps' });
  });
});

describe('what goes wrong on the bench', () => {
  beforeEach(() => startBench([makeIpadSpec(1), makeIpadSpec(2, { faults: {} } as Partial<EmulatedIpadSpec>), makeIpadSpec(3), makeIpadSpec(4)]));

  it('an iPad already set up answers 14002: "Schon eingerichtet: erst löschen"', async () => {
    const err = await stepFailure(new Run(makeIpadSpec(1).udid).step('supervise', superviseParams));
    expect([err.code, err.retryable]).toEqual(['ios.already-configured', false]);
    expect(formatMessage({ code: err.code, params: err.params }, 'de')).toMatch(/^Schon eingerichtet: erst löschen\./);
    expect(String(paramsOf(err)['reason'])).toContain('14002');
  });

  it('a profile on an unsupervised iPad waits for approval in Settings, then the step finishes', async () => {
    const udid = makeIpadSpec(2).udid;
    emulator.device(udid).faults.profilesNeedApproval = true;
    const { ctx, outcome } = new Run(udid).start('install-profile', { profile: 'de.school.filter' });
    // (The Trust prompt of the first pairing may come first.)
    const wait = await until(
      () => ctx.waits.find((w) => !w.ended && typeof w.message !== 'string' && w.message.code === 'ios.wait-profile-approval'),
      'the approval instruction',
      20_000,
      20,
    );
    expect(formatMessage(wait.message as never, 'de')).toMatch(/^Profil in Einstellungen bestätigen: .*„Jugendschutz“/);
    expect(emulator.device(udid).profiles.get('de.school.filter')?.approved).toBe(false);
    expect(approveProfiles(emulator.device(udid))).toBe(1);
    expect(await outcome).toMatchObject({ captured: { profiles: 'de.school.filter' } });
    expect(wait.ended).toBe(true);
  });

  it('an app that fails verification fails the step with the device words, not retried', async () => {
    const udid = makeIpadSpec(3).udid;
    emulator.device(udid).faults.failVerification = ['com.bad.app'];
    const err = await stepFailure(new Run(udid).step('install-app', { app: 'com.bad.app' }));
    expect([err.code, err.retryable]).toEqual(['ios.app-verification-failed', false]);
    expect(String(paramsOf(err)['reason'])).toContain('ApplicationVerificationFailed');
    expect(emulator.device(udid).apps.has('com.bad.app')).toBe(false);
  });

  it('unplugged mid-upload: the run is interrupted; back again, the upload starts over cleanly and the app installs', async () => {
    const udid = makeIpadSpec(4).udid;
    const pages = library[0]!;
    Object.assign(emulator.device(udid).faults, { unplugDuringUploadAt: 0.5, uploadSizeBytes: pages.size });
    const run = new Run(udid);
    const before = attached.filter((a) => a.serial === udid).length;
    const first = run.start('install-app', { app: 'com.apple.Pages' });
    await expect(first.outcome).rejects.toBeInstanceOf(DeviceGoneError);
    const partial = [...emulator.device(udid).files.entries()].find(([p]) => p.startsWith('PublicStaging/'));
    expect(partial?.[1].length).toBeGreaterThan(0);
    expect(partial?.[1].length).toBeLessThan(pages.size);
    await emulator.replug(udid);
    await until(() => attached.filter((a) => a.serial === udid).length > before, 'the iPad back', 20_000, 20);
    const second = run.start('install-app', { app: 'com.apple.Pages' });
    await second.outcome;
    expect(second.ctx.progressReports.find((p) => p.bytes !== undefined)).toMatchObject({ bytes: 0 });
    expect(emulator.device(udid).apps.get('com.apple.Pages')).toMatchObject({ version: '14.1' });
    expect([...emulator.device(udid).files.keys()].filter((p) => p.startsWith('PublicStaging/') && p.endsWith('.ipa'))).toEqual([]);
  });
});

describe('the activation server through a proxy', () => {
  let target: http.Server;
  let proxy: http.Server;
  const seen: { target: string[]; proxied: string[] } = { target: [], proxied: [] };
  const saved = { HTTP_PROXY: process.env['HTTP_PROXY'], NO_PROXY: process.env['NO_PROXY'] };

  beforeAll(async () => {
    target = http.createServer((req, res) => {
      seen.target.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end('<plist/>');
    });
    // A proxy that tunnels CONNECT (what undici's proxy agent sends, for http too), counting the tunnels.
    proxy = http.createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      seen.proxied.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise((r) => target.close(r));
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  });

  it('goes through HTTP(S)_PROXY, and straight to hosts NO_PROXY names', async () => {
    const url = `http://localhost:${(target.address() as net.AddressInfo).port}/deviceservices`;
    process.env['HTTP_PROXY'] = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    process.env['NO_PROXY'] = 'example.invalid';
    await new ActivationServer(url, AbortSignal.timeout(10_000)).handshake(Buffer.from('<plist/>'));
    expect(seen.proxied).toEqual([`localhost:${(target.address() as net.AddressInfo).port}`]);
    process.env['NO_PROXY'] = 'localhost';
    const answer = await new ActivationServer(url, AbortSignal.timeout(10_000)).activate(Buffer.from('<plist/>'));
    expect(answer.contentType).toBe('text/xml');
    expect(seen.proxied).toHaveLength(1);
    expect(seen.target).toEqual(['/deviceservices/drmHandshake', '/deviceservices/deviceActivation']);
  });

  it('a server that cannot be reached is the catalogue error naming it', async () => {
    delete process.env['HTTP_PROXY'];
    const err = await new ActivationServer('http://127.0.0.1:9/deviceservices', AbortSignal.timeout(10_000))
      .handshake(Buffer.alloc(0))
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe('ActivationServerError');
    expect((err as Error).message).toContain('ECONNREFUSED');
  });
});
