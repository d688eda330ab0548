import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { build as buildPlist } from 'plist';
import { beforeAll, describe, expect, it } from 'vitest';
import { mcInstallService } from '../emulators/ios/services/mcinstall.js';
import { approveProfiles } from '../emulators/ios/services/profiles.js';
import type { PlistDict } from '../emulators/ios/services/plist-service.js';
import { IPAD_SETUP_PANES } from '../emulators/ios/services/supervision.js';
import { REAL_DEVICE_MS } from '../emulators/ios/services/timings.js';
import { emulatedIpad, plistClient, serviceHarness, type PlistClient } from '../fixtures/ios-service-harness.js';
import { makeCertificate, profilePlist, signCms, type TestCertificate } from '../fixtures/library-files.js';
import { tempDir } from '../fixtures/store-helpers.js';

let dir: string;
let supervisor: TestCertificate;
let stranger: TestCertificate;
beforeAll(() => {
  const t = tempDir('benchline-mc-');
  dir = t.dir;
  supervisor = makeCertificate(dir, 'Benchline Supervisor');
  stranger = makeCertificate(dir, 'Someone Else');
  return () => t.cleanup();
});

function connect(device = emulatedIpad()): { client: PlistClient; harness: ReturnType<typeof serviceHarness> } {
  const harness = serviceHarness(device);
  return { client: plistClient(harness.connect(mcInstallService)), harness };
}

function errorCode(answer: Record<string, unknown>): number | undefined {
  expect(answer['Status']).toBe('Error');
  const chain = answer['ErrorChain'] as { ErrorCode: number; ErrorDomain: string; LocalizedDescription: string }[];
  expect(chain[0]?.LocalizedDescription).toBeTruthy();
  return chain[0]?.ErrorCode;
}

function supervisedBy(cert: TestCertificate, overrides: PlistDict = {}): PlistDict {
  return { IsSupervised: true, OrganizationName: 'Schulträger', SupervisorHostCertificates: [cert.der], AllowPairing: true, ...overrides };
}

/** Escalate -> Challenge -> EscalateResponse{sign(challenge)} -> ProceedWithKeybagMigration. */
async function escalate(client: PlistClient, cert: TestCertificate, sign: (challenge: Buffer) => Buffer): Promise<Record<string, unknown>> {
  const challenge = await client.request({ RequestType: 'Escalate', SupervisorCertificate: cert.der });
  expect(challenge['Status']).toBe('Acknowledged');
  expect((challenge['Challenge'] as Buffer).length).toBeGreaterThanOrEqual(16);
  const answer = await client.request({ RequestType: 'EscalateResponse', SignedRequest: sign(challenge['Challenge'] as Buffer) });
  if (answer['Status'] === 'Acknowledged') expect((await client.request({ RequestType: 'ProceedWithKeybagMigration' }))['Status']).toBe('Acknowledged');
  return answer;
}

/** go-ios signs with go.mozilla.org/pkcs7: SHA-1 with signed attributes. */
function opensslSha1(challenge: Buffer, cert: TestCertificate): Buffer {
  const input = path.join(dir, `challenge-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(input, challenge);
  return execFileSync('openssl', [
    'smime',
    '-sign',
    '-binary',
    '-nodetach',
    '-md',
    'sha1',
    '-outform',
    'der',
    '-in',
    input,
    '-signer',
    cert.cert,
    '-inkey',
    cert.key,
  ]);
}

/** A SignedData without signed attributes (node-forge's default when none are given). */
function forgeWithoutAttributes(challenge: Buffer, cert: TestCertificate): Buffer {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(challenge.toString('binary'));
  p7.addCertificate(fs.readFileSync(cert.cert, 'utf8'));
  p7.addSigner({
    key: fs.readFileSync(cert.key, 'utf8'),
    certificate: fs.readFileSync(cert.cert, 'utf8'),
    digestAlgorithm: forge.pki.oids['sha256'] as string,
  });
  p7.sign();
  return Buffer.from(forge.asn1.toDer(p7.toAsn1()).getBytes(), 'binary');
}

describe('MCInstall profiles', () => {
  it('lists installed profiles the way go-ios and pymobiledevice3 read them', async () => {
    const { client, harness } = connect();
    expect(await client.request({ RequestType: 'GetProfileList' })).toMatchObject({ Status: 'Acknowledged', OrderedIdentifiers: [] });
    expect(await client.request({ RequestType: 'InstallProfile', Payload: profilePlist('de.schule.wlan', 'Schul-WLAN') })).toEqual({ Status: 'Acknowledged' });
    const signed = signCms(dir, profilePlist('de.schule.restrictions', 'Einschränkungen'), supervisor, true);
    expect((await client.request({ RequestType: 'InstallProfile', Payload: signed }))['Status']).toBe('Acknowledged');

    const list = await client.request({ RequestType: 'GetProfileList' });
    expect(list['Status']).toBe('Acknowledged');
    expect(list['OrderedIdentifiers']).toEqual(['de.schule.wlan', 'de.schule.restrictions']);
    expect((list['ProfileManifest'] as Record<string, unknown>)['de.schule.wlan']).toEqual({ Description: 'Schul-WLAN', IsActive: true });
    expect((list['ProfileMetadata'] as Record<string, unknown>)['de.schule.restrictions']).toEqual({
      PayloadDisplayName: 'Einschränkungen',
      PayloadRemovalDisallowed: false,
      PayloadUUID: '9A7D2C0E-1111-4B8B-8C1D-000000000001',
      PayloadVersion: 1,
    });
    expect(harness.device.profiles.get('de.schule.restrictions')?.payload.equals(signed)).toBe(true);

    // go-ios prepare's built-in profile starts with a newline before <?xml; devices install it.
    const leadingNewline = Buffer.concat([Buffer.from('\n'), profilePlist('com.apple.configurator.usbrestrictedmode', 'USB')]);
    expect(await client.request({ RequestType: 'InstallProfile', Payload: leadingNewline })).toEqual({ Status: 'Acknowledged' });
  });

  it('refuses a payload that is no configuration profile with an ErrorChain', async () => {
    const { client, harness } = connect();
    expect(errorCode(await client.request({ RequestType: 'InstallProfile', Payload: Buffer.from('not a profile') }))).toBe(1000);
    const noIdentifier = Buffer.from(buildPlist({ PayloadType: 'Configuration', PayloadVersion: 1 }));
    expect(errorCode(await client.request({ RequestType: 'InstallProfile', Payload: noIdentifier }))).toBe(1000);
    expect(errorCode(await client.request({ RequestType: 'InstallProfile' }))).toBe(1000);
    expect(harness.device.profiles.size).toBe(0);
  });

  it('keeps a non-silent profile waiting for approval on a set-up device when the fault is on', async () => {
    const device = emulatedIpad({ faults: { profilesNeedApproval: true } });
    const { client } = connect(device);
    expect((await client.request({ RequestType: 'InstallProfile', Payload: profilePlist('de.schule.wlan', 'WLAN') }))['Status']).toBe('Acknowledged');
    expect(device.profiles.get('de.schule.wlan')).toMatchObject({ approved: false, silent: false });
    const list = await client.request({ RequestType: 'GetProfileList' });
    expect((list['ProfileManifest'] as Record<string, { IsActive: boolean }>)['de.schule.wlan']?.IsActive).toBe(false);
    expect(approveProfiles(device)).toBe(1);
    expect(device.profiles.get('de.schule.wlan')?.approved).toBe(true);

    // In Setup Assistant there is nobody to ask: the profile is in force at once.
    const inSetup = emulatedIpad({ setupDone: false, faults: { profilesNeedApproval: true } });
    const second = connect(inSetup).client;
    await second.request({ RequestType: 'InstallProfile', Payload: profilePlist('de.schule.wlan', 'WLAN') });
    expect(inSetup.profiles.get('de.schule.wlan')?.approved).toBe(true);
  });

  it('removes a profile named by identifier (go-ios) or by a small plist (pymobiledevice3)', async () => {
    const { client, harness } = connect();
    await client.request({ RequestType: 'InstallProfile', Payload: profilePlist('a.profile', 'A') });
    await client.request({ RequestType: 'InstallProfile', Payload: profilePlist('b.profile', 'B') });
    expect(await client.request({ RequestType: 'RemoveProfile', ProfileIdentifier: 'a.profile' })).toEqual({ Status: 'Acknowledged' });
    const byPlist = Buffer.from(buildPlist({ PayloadType: 'Configuration', PayloadIdentifier: 'b.profile', PayloadUUID: 'x', PayloadVersion: 1 }));
    expect(await client.request({ RequestType: 'RemoveProfile', ProfileIdentifier: byPlist })).toEqual({ Status: 'Acknowledged' });
    expect(harness.device.profiles.size).toBe(0);
    expect(errorCode(await client.request({ RequestType: 'RemoveProfile', ProfileIdentifier: 'a.profile' }))).toBe(4001);
  });
});

describe('MCInstall escalation and silent installs', () => {
  it('installs silently after Escalate answered with an openssl (SHA-256) signature', async () => {
    const device = emulatedIpad({ cloudConfiguration: supervisedBy(supervisor) });
    const { client } = connect(device);
    expect(errorCode(await client.request({ RequestType: 'InstallProfileSilent', Payload: profilePlist('mdm', 'MDM') }))).toBe(4023);
    expect((await escalate(client, supervisor, (c) => signCms(dir, c, supervisor, true)))['Status']).toBe('Acknowledged');
    expect(await client.request({ RequestType: 'InstallProfileSilent', Payload: profilePlist('mdm', 'MDM') })).toEqual({ Status: 'Acknowledged' });
    expect(device.profiles.get('mdm')).toMatchObject({ silent: true, approved: true });

    // Escalation belongs to the connection.
    const other = connect(device).client;
    expect(errorCode(await other.request({ RequestType: 'InstallProfileSilent', Payload: profilePlist('mdm2', 'MDM') }))).toBe(4023);
  });

  it('accepts go-ios SHA-1 signatures and signatures without signed attributes', async () => {
    const device = emulatedIpad({ cloudConfiguration: supervisedBy(supervisor) });
    expect((await escalate(connect(device).client, supervisor, (c) => opensslSha1(c, supervisor)))['Status']).toBe('Acknowledged');
    expect((await escalate(connect(device).client, supervisor, (c) => forgeWithoutAttributes(c, supervisor)))['Status']).toBe('Acknowledged');
  });

  it('rejects a certificate that does not supervise the device, a wrong key and a replayed challenge', async () => {
    const device = emulatedIpad({ cloudConfiguration: supervisedBy(supervisor) });
    const { client } = connect(device);
    expect(errorCode(await client.request({ RequestType: 'Escalate', SupervisorCertificate: stranger.der }))).toBe(4017);
    // go-ios prepare's EscalateUnsupervised sends one zero byte and expects a refusal.
    expect(errorCode(await client.request({ RequestType: 'Escalate', SupervisorCertificate: Buffer.from([0]) }))).toBe(4017);

    const forged = await escalate(client, supervisor, (c) => signCms(dir, c, stranger, true));
    expect(errorCode(forged)).toBe(4018);
    const wrongContent = await escalate(client, supervisor, () => signCms(dir, Buffer.from('another challenge'), supervisor, true));
    expect(errorCode(wrongContent)).toBe(4018);
    expect(errorCode(await client.request({ RequestType: 'InstallProfileSilent', Payload: profilePlist('mdm', 'MDM') }))).toBe(4023);

    const unsupervised = connect(emulatedIpad({ cloudConfiguration: supervisedBy(supervisor, { IsSupervised: false }) })).client;
    expect(errorCode(await unsupervised.request({ RequestType: 'Escalate', SupervisorCertificate: supervisor.der }))).toBe(4017);
  });

  it('removes a PayloadRemovalDisallowed profile only for the supervisor', async () => {
    const device = emulatedIpad({ cloudConfiguration: supervisedBy(supervisor) });
    const locked = Buffer.from(
      buildPlist({ PayloadType: 'Configuration', PayloadIdentifier: 'mdm', PayloadUUID: 'U', PayloadVersion: 1, PayloadRemovalDisallowed: true }),
    );
    const { client } = connect(device);
    await client.request({ RequestType: 'InstallProfile', Payload: locked });
    expect(errorCode(await client.request({ RequestType: 'RemoveProfile', ProfileIdentifier: 'mdm' }))).toBe(4002);
    await escalate(client, supervisor, (c) => signCms(dir, c, supervisor, true));
    expect(await client.request({ RequestType: 'RemoveProfile', ProfileIdentifier: 'mdm' })).toEqual({ Status: 'Acknowledged' });
  });
});

describe('MCInstall cloud configuration (supervision)', () => {
  const allPanes = (extra: PlistDict = {}): PlistDict => supervisedBy(supervisor, { SkipSetup: [...IPAD_SETUP_PANES, 'TVRoom'], ...extra });

  it('needs an activated device in Setup Assistant, and answers 14002 once configured', async () => {
    const unactivated = connect(emulatedIpad({ activationState: 'Unactivated', setupDone: false })).client;
    expect(errorCode(await unactivated.request({ RequestType: 'SetCloudConfiguration', CloudConfiguration: allPanes() }))).toBe(14006);
    const setUp = connect(emulatedIpad({ setupDone: true })).client;
    expect(errorCode(await setUp.request({ RequestType: 'SetCloudConfiguration', CloudConfiguration: allPanes() }))).toBe(14002);

    const device = emulatedIpad({ setupDone: false });
    const { client } = connect(device);
    expect(await client.request({ RequestType: 'GetCloudConfiguration' })).toEqual({ Status: 'Acknowledged' });
    expect(await client.request({ RequestType: 'SetCloudConfiguration', CloudConfiguration: allPanes() })).toEqual({ Status: 'Acknowledged' });
    const read = await client.request({ RequestType: 'GetCloudConfiguration' });
    expect(read['CloudConfiguration']).toMatchObject({ IsSupervised: true, OrganizationName: 'Schulträger' });
    // No UIComplete flag and no SkipSetup file: the device stays in Setup Assistant (finishSetup: false).
    expect(device.setupDone).toBe(false);
    expect(errorCode(await client.request({ RequestType: 'SetCloudConfiguration', CloudConfiguration: allPanes() }))).toBe(14002);
  });

  it('leaves Setup Assistant when every pane is skipped and the configuration says so, installing the stored profile', async () => {
    const device = emulatedIpad({ setupDone: false });
    const { client } = connect(device);
    expect(await client.request({ RequestType: 'StoreProfile', ProfileData: profilePlist('mdm.enroll', 'MDM'), Purpose: 'PostSetupInstallation' })).toEqual({
      Status: 'Acknowledged',
    });
    await client.request({ RequestType: 'SetCloudConfiguration', CloudConfiguration: allPanes({ CloudConfigurationUIComplete: true }) });
    expect(device.setupDone).toBe(true);
    expect(device.profiles.get('mdm.enroll')?.approved).toBe(true);

    const partly = emulatedIpad({ setupDone: false });
    await connect(partly).client.request({
      RequestType: 'SetCloudConfiguration',
      CloudConfiguration: supervisedBy(supervisor, { SkipSetup: ['Location', 'Siri'], CloudConfigurationUIComplete: true }),
    });
    expect(partly.setupDone).toBe(false);
  });

  it('erases: acknowledges, leaves for the erase time and comes back blank, unpaired and unactivated', async () => {
    const device = emulatedIpad({ cloudConfiguration: supervisedBy(supervisor), activationLocked: true });
    device.apps.set('de.app', { bundleId: 'de.app', version: '1.0', displayName: 'App' });
    device.files.set('PublicStaging/x.ipa', Buffer.from('x'));
    const { client, harness } = connect(device);
    await client.request({ RequestType: 'InstallProfile', Payload: profilePlist('p', 'P') });
    expect(await client.request({ RequestType: 'EraseDevice', PreserveDataPlan: true, DisallowProximitySetup: false })).toEqual({ Status: 'Acknowledged' });
    expect(await client.receive()).toBeNull();
    expect(harness.reboots).toEqual([REAL_DEVICE_MS.eraseAway]);
    expect(device).toMatchObject({ setupDone: false, activationState: 'Unactivated', cloudConfiguration: null, deviceName: 'iPad', activationLocked: true });
    expect([device.profiles.size, device.apps.size, device.files.size, device.pairedHosts.size]).toEqual([0, 0, 0, 0]);
  });

  it('answers an unknown request with an ErrorChain', async () => {
    expect(errorCode(await connect().client.request({ RequestType: 'MakeCoffee' }))).toBe(4000);
  });
});
