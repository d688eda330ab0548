import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { startActivationServer, type ActivationServer } from '../emulators/ios/activation-server.js';
import type { EmulatedIpadSpec } from '../emulators/ios/emulated-ipad.js';
import { makeIpadSpec, startIpadEmulator, type IpadEmulator } from '../emulators/ios/ipad-emulator.js';
import { mobileActivationService } from '../emulators/ios/services/mobileactivationd.js';
import { IPAD_SERVICES } from '../emulators/ios/services/index.js';
import { IPAD_SETUP_PANES } from '../emulators/ios/services/supervision.js';
import { encodeXmlPlist, type PlistDict } from '../emulators/ios/plist-wire.js';
import { emulatedIpad, plistClient, serviceHarness } from '../fixtures/ios-service-harness.js';
import { infoPlist, makeCertificate, writeZip, type TestCertificate } from '../fixtures/library-files.js';
import { findGoIos, findOnPath, runTool, type ToolRun } from './ios-emulator-tools.js';

/**
 * The emulated iPad's services against clients nobody here wrote: Debian's ideviceinstaller 1.1.1
 * and idevicediagnostics (libimobiledevice 1.3.0), and go-ios 1.2.0 (`profile`, `apps`, `erase`,
 * `prepare`), pointed at the emulator with USBMUXD_SOCKET_ADDRESS and a private HOME. The
 * assertions read what the tools print and what the device then holds, so a service that answers
 * the wrong shape, or a state change that does not happen, fails here. The activation stub is
 * checked over real HTTP with the exchange pymobiledevice3 does.
 */

const SPEED = 40;
const running: IpadEmulator[] = [];
const servers: ActivationServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchline-ios-svc-'));
  dirs.push(dir);
  return dir;
}

async function emulatorWith(spec: EmulatedIpadSpec): Promise<{ emulator: IpadEmulator; env: { address: string; home: string }; dir: string }> {
  const dir = tempDir();
  const emulator = await startIpadEmulator({ listen: { path: path.join(dir, 'usbmuxd') }, speed: SPEED, devices: [spec], services: IPAD_SERVICES });
  running.push(emulator);
  return { emulator, env: { address: emulator.address, home: dir }, dir };
}

function requireTool(ctx: TestContext, tool: string): string {
  const found = findOnPath(tool);
  if (!found) ctx.skip(`${tool} is not installed (Debian ${tool === 'ideviceinstaller' ? 'ideviceinstaller' : 'libimobiledevice-utils'}; .ci/run installs it)`);
  return found;
}

function requireGoIos(ctx: TestContext): string {
  const found = findGoIos();
  if (!found) ctx.skip('go-ios is not installed ($BENCHLINE_GO_IOS or the npm package go-ios@1.2.0 under ~/.cache/benchline/go-ios; .ci/run installs it)');
  return found;
}

/** go-ios reads USBMUXD_SOCKET_ADDRESS as host:port or a bare path. */
const goEnv = (env: { address: string; home: string }): { address: string; home: string } => ({ ...env, address: env.address.replace(/^UNIX:/, '') });

function expectOk(run: ToolRun): ToolRun {
  if (run.code !== 0) throw new Error(`exit ${run.code}:\n${run.output}`);
  return run;
}

/** idevicepair pair with the Trust tap at once (trustAfterSeconds 0); go-ios reads the record usbmuxd saved. */
async function pair(ctx: TestContext, env: { address: string; home: string }): Promise<void> {
  const idevicepair = requireTool(ctx, 'idevicepair');
  expect(expectOk(await runTool(idevicepair, ['pair'], env)).output).toMatch(/SUCCESS: Paired/);
}

/** go-ios prints one JSON document on stdout (its logs go to stderr). */
function json(run: ToolRun): unknown {
  return JSON.parse(expectOk(run).stdout.trim().split('\n').at(-1) ?? 'null');
}

async function ipa(dir: string, bundleId: string, version: string, signed: boolean): Promise<string> {
  return writeZip(path.join(dir, `${bundleId}.ipa`), {
    'Payload/Lernapp.app/Info.plist': infoPlist(
      {
        CFBundleIdentifier: bundleId,
        CFBundleShortVersionString: version,
        CFBundleVersion: '512',
        CFBundleDisplayName: 'Lernapp',
        CFBundleExecutable: 'Lernapp',
      },
      true,
    ),
    'Payload/Lernapp.app/Lernapp': Buffer.alloc(2_000_000, 0x5a),
    ...(signed ? { 'Payload/Lernapp.app/_CodeSignature/CodeResources': '<plist version="1.0"><dict/></plist>' } : {}),
  });
}

function profile(dir: string, identifier: string, name: string): string {
  const file = path.join(dir, `${identifier}.mobileconfig`);
  fs.writeFileSync(
    file,
    encodeXmlPlist({
      PayloadType: 'Configuration',
      PayloadVersion: 1,
      PayloadIdentifier: identifier,
      PayloadUUID: `${identifier}-uuid`,
      PayloadDisplayName: name,
      PayloadContent: [],
    }),
  );
  return file;
}

/** A PKCS#12 go-ios can read: golang.org/x/crypto/pkcs12 knows the legacy SHA1/3DES encryption only. */
function p12(dir: string, cert: TestCertificate): string {
  const file = path.join(dir, 'supervisor.p12');
  execFileSync('openssl', [
    'pkcs12', '-export', '-inkey', cert.key, '-in', cert.cert, '-out', file, '-passout', 'pass:geheim',
    '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1',
  ]); // prettier-ignore
  return file;
}

async function leavesAndReturns(emulator: IpadEmulator, udid: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (emulator.deviceId(udid) !== null) {
    if (Date.now() > deadline) throw new Error('the device did not leave the bus');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await emulator.whenAttached(udid);
}

describe('emulated iPad services against ideviceinstaller and idevicediagnostics', () => {
  it('ideviceinstaller -i uploads over AFC and installs through installation_proxy; -l and go-ios apps list it', async (ctx) => {
    const ideviceinstaller = requireTool(ctx, 'ideviceinstaller');
    const spec = makeIpadSpec(0, { trustAfterSeconds: 0 });
    const { emulator, env, dir } = await emulatorWith(spec);
    await pair(ctx, env);

    const install = expectOk(await runTool(ideviceinstaller, ['-i', await ipa(dir, 'de.schule.lernapp', '3.2.0', true)], env));
    expect(install.stdout).toMatch(/Copying .* to device\.\.\. DONE\./);
    expect(install.stdout).toMatch(/Install: VerifyingApplication \(40%\)/);
    expect(install.stdout).toMatch(/Install: Complete/);
    expect(emulator.device(spec.udid).apps.get('de.schule.lernapp')).toMatchObject({ version: '3.2.0', displayName: 'Lernapp' });

    const list = expectOk(await runTool(ideviceinstaller, ['-l'], env));
    expect(list.stdout).toMatch(/de\.schule\.lernapp, "3\.2\.0", "Lernapp"/);

    const unsigned = await runTool(ideviceinstaller, ['-i', await ipa(dir, 'de.schule.unsigned', '1.0', false)], env);
    expect(unsigned.output).toMatch(/ApplicationVerificationFailed/);
    expect(emulator.device(spec.udid).apps.has('de.schule.unsigned')).toBe(false);

    const ios = findGoIos();
    if (!ios) return ctx.skip('go-ios is not installed: the ideviceinstaller part passed, `ios apps` was not checked');
    const apps = json(await runTool(ios, ['apps'], goEnv(env))) as { CFBundleIdentifier: string; CFBundleShortVersionString: string }[];
    expect(apps.map((a) => [a.CFBundleIdentifier, a.CFBundleShortVersionString])).toEqual([['de.schule.lernapp', '3.2.0']]);
  });

  it('idevicediagnostics restart: the device leaves the bus and comes back', async (ctx) => {
    const idevicediagnostics = requireTool(ctx, 'idevicediagnostics');
    const spec = makeIpadSpec(1, { trustAfterSeconds: 0 });
    const { emulator, env } = await emulatorWith(spec);
    await pair(ctx, env);
    const firstId = emulator.deviceId(spec.udid);
    const returned = leavesAndReturns(emulator, spec.udid);
    expect(expectOk(await runTool(idevicediagnostics, ['restart'], env)).stdout).toMatch(/Restarting device/);
    await returned;
    expect(emulator.deviceId(spec.udid)).not.toBe(firstId);
    // A restart keeps the pairing: the host reads values again without pairing.
    const ideviceinfo = requireTool(ctx, 'ideviceinfo');
    expect(expectOk(await runTool(ideviceinfo, ['-k', 'ActivationState'], env)).stdout.trim()).toBe('Activated');
  });
});

describe('emulated iPad services against go-ios', () => {
  it('ios profile add / list, and a silent install after Escalate with a go-ios PKCS#7 (SHA-1) signature', async (ctx) => {
    const ios = requireGoIos(ctx);
    const dir = tempDir();
    const supervisor = makeCertificate(dir, 'Benchline Supervisor');
    const spec = makeIpadSpec(2, { trustAfterSeconds: 0 });
    const { emulator, env } = await emulatorWith(spec);
    const device = emulator.device(spec.udid);
    device.cloudConfiguration = { IsSupervised: true, OrganizationName: 'Schule', SupervisorHostCertificates: [supervisor.der] };
    await pair(ctx, env);

    expect(expectOk(await runTool(ios, ['profile', 'add', profile(dir, 'de.schule.wlan', 'Schul-WLAN')], goEnv(env))).output).toMatch(/profile installed/);
    const p12File = p12(dir, supervisor);
    const silent = await runTool(ios, ['profile', 'add', profile(dir, 'de.schule.mdm', 'MDM'), `--p12file=${p12File}`, '--password=geheim'], goEnv(env));
    expect(expectOk(silent).output).toMatch(/profile installed/);
    expect(device.profiles.get('de.schule.mdm')).toMatchObject({ silent: true, approved: true });

    const listed = json(await runTool(ios, ['profile', 'list'], goEnv(env))) as {
      Identifier: string;
      Manifest: { IsActive: boolean };
      Metadata: { PayloadDisplayName: string };
    }[];
    expect(listed.map((p) => [p.Identifier, p.Metadata.PayloadDisplayName, p.Manifest.IsActive])).toEqual([
      ['de.schule.wlan', 'Schul-WLAN', true],
      ['de.schule.mdm', 'MDM', true],
    ]);
    expect(expectOk(await runTool(ios, ['profile', 'remove', 'de.schule.wlan'], goEnv(env))).output).toMatch(/removed/);
    expect([...device.profiles.keys()]).toEqual(['de.schule.mdm']);
  });

  it('ios erase --force: the device leaves and returns blank in Setup Assistant; ios prepare supervises it once', async (ctx) => {
    const ios = requireGoIos(ctx);
    const ideviceinfo = requireTool(ctx, 'ideviceinfo');
    const dir = tempDir();
    const supervisor = makeCertificate(dir, 'Benchline Supervisor');
    const spec = makeIpadSpec(3, { trustAfterSeconds: 0 });
    const { emulator, env } = await emulatorWith(spec);
    const device = emulator.device(spec.udid);
    device.apps.set('de.old.app', { bundleId: 'de.old.app', version: '1', displayName: 'Old' });
    await pair(ctx, env);
    // A set-up device cannot be supervised: go-ios reports the device's 14002.
    expect((await runTool(ios, ['prepare', '--skip-all'], goEnv(env))).output).toMatch(/14002/);

    const returned = leavesAndReturns(emulator, spec.udid);
    expect(expectOk(await runTool(ios, ['erase', '--force'], goEnv(env))).stdout).toMatch(/ok/);
    await returned;
    expect(device).toMatchObject({ setupDone: false, activationState: 'Unactivated', cloudConfiguration: null });
    expect(device.apps.size).toBe(0);
    // The erase forgot the host: its pair record no longer opens a session.
    expect((await runTool(ideviceinfo, ['-k', 'ActivationState'], env)).output).toMatch(/Invalid HostID|not paired/i);
    await pair(ctx, env);
    expect(expectOk(await runTool(ideviceinfo, ['-q', 'com.apple.purplebuddy', '-k', 'SetupDone'], env)).stdout.trim()).toBe('false');

    expect((await runTool(ios, ['prepare', '--skip-all'], goEnv(env))).output).toMatch(/please activate the device first/);
    // Stands in for the activate step (its exchange is checked in the test below and in tests/unit/ios-emu-activation.test.ts).
    device.activationState = 'Activated';
    const prepared = await runTool(ios, ['prepare', '--skip-all', `--certfile=${supervisor.cert}`, '--orgname=Schulträger Musterstadt'], goEnv(env));
    expect(expectOk(prepared).stdout).toMatch(/ok/);
    expect(device.cloudConfiguration).toMatchObject({ IsSupervised: true, OrganizationName: 'Schulträger Musterstadt', AllowPairing: true });
    expect((device.cloudConfiguration?.['SupervisorHostCertificates'] as Buffer[])[0]?.equals(supervisor.der)).toBe(true);
    // go-ios writes iTunes_Control/iTunes/SkipSetup after a skip-all configuration: Setup Assistant is done.
    expect(device.setupDone).toBe(true);
    expect(device.profiles.has('com.apple.configurator.usbrestrictedmode')).toBe(true);
    const config = json(await runTool(ios, ['prepare', 'cloudconfig'], goEnv(env))) as { CloudConfiguration: { SkipSetup: string[] } };
    expect(config.CloudConfiguration.SkipSetup).toEqual(expect.arrayContaining([...IPAD_SETUP_PANES]));
    expect((await runTool(ios, ['prepare', '--skip-all'], goEnv(env))).output).toMatch(/14002/);
  });

  it('ios prepare with only some panes skipped leaves the device in Setup Assistant', async (ctx) => {
    const ios = requireGoIos(ctx);
    const spec = makeIpadSpec(4, { trustAfterSeconds: 0, setupDone: false });
    const { emulator, env } = await emulatorWith(spec);
    await pair(ctx, env);
    expect(expectOk(await runTool(ios, ['prepare', '--skip=Location', '--skip=Siri'], goEnv(env))).stdout).toMatch(/ok/);
    expect(emulator.device(spec.udid).cloudConfiguration).toMatchObject({ SkipSetup: ['Location', 'Siri'] });
    expect(emulator.device(spec.udid).setupDone).toBe(false);
  });
});

describe('activation stub over HTTP', () => {
  /** What pymobiledevice3's MobileActivationService.activate() posts, with fetch in place of requests. */
  async function activateOverHttp(server: ActivationServer, locked: boolean): Promise<{ device: ReturnType<typeof emulatedIpad>; contentType: string }> {
    const device = emulatedIpad({ activationState: 'Unactivated', activationLocked: locked });
    const harness = serviceHarness(device, 1_000);
    const command = (name: string, value?: Buffer): Promise<PlistDict> =>
      plistClient(harness.connect(mobileActivationService)).request(value ? { Command: name, Value: value } : { Command: name });
    const session = (await command('CreateTunnel1SessionInfoRequest'))['Value'] as PlistDict;
    const drm = await fetch(server.drmHandshakeUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-apple-plist' },
      body: new Uint8Array(encodeXmlPlist(session)),
    });
    expect(drm.status).toBe(200);
    const info = (await command('CreateTunnel1ActivationInfoRequest', Buffer.from(await drm.arrayBuffer())))['Value'] as PlistDict;
    const form = new URLSearchParams({ 'activation-info': encodeXmlPlist(info).toString('utf8') });
    const activation = await fetch(server.deviceActivationUrl, { method: 'POST', body: form });
    const contentType = activation.headers.get('content-type') ?? '';
    if (contentType === 'text/xml') {
      const applied = await command('HandleActivationInfoWithSessionRequest', Buffer.from(await activation.arrayBuffer()));
      expect(applied).toEqual({});
    }
    return { device, contentType };
  }

  it('activates an iPad and answers the Apple ID form for an activation-locked one', async () => {
    const locked = new Set<string>();
    const server = await startActivationServer({ isActivationLocked: (udid) => locked.has(udid) });
    servers.push(server);
    const free = await activateOverHttp(server, false);
    expect(free.contentType).toBe('text/xml');
    expect(free.device.activationState).toBe('Activated');

    locked.add(emulatedIpad().udid);
    const refused = await activateOverHttp(server, true);
    expect(refused.contentType).toBe('application/x-buddyml');
    expect(refused.device.activationState).toBe('Unactivated');
    expect(server.counts).toEqual({ drmHandshake: 2, activated: 1, refusedLocked: 1, refusedInvalid: 0 });
    expect((await fetch(`${server.url}/somethingElse`, { method: 'POST' })).status).toBe(404);
  });
});
