import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { IosLinkError } from '../../main/drivers/ios/ios-link.js';
import { iosStepError } from '../../main/drivers/ios/ios-errors.js';
import { supervisorCertificateDer } from '../../main/drivers/ios/lockdown/supervisor-signature.js';
import { encodePlistXml } from '../../main/drivers/ios/plist-codec.js';
import { AFC_WRITE_CHUNK, AfcClient, AfcError } from '../../main/drivers/ios/services/afc-client.js';
import { activationEndpoints } from '../../main/drivers/ios/services/activation-server.js';
import { ALL_SETUP_PANES, supervisedConfiguration, supervisionOf } from '../../main/drivers/ios/services/cloud-configuration.js';
import { InstallationProxyClient, InstallProxyError } from '../../main/drivers/ios/services/installation-proxy.js';
import { McInstallClient, McInstallError } from '../../main/drivers/ios/services/mcinstall-client.js';
import { ActivationLockedError } from '../../main/drivers/ios/services/mobile-activation.js';
import { profileIdentity, wifiProfile, wifiProfileIdentifier } from '../../main/drivers/ios/services/profile-payload.js';
import { DeviceGoneError, StepFailedError } from '../../main/drivers/step-errors.js';
import { readMobileconfig } from '../../main/library/mobileconfig-reader.js';
import { createSupervisionIdentity } from '../../main/secrets/identities.js';
import { formatMessage } from '../../shared/messages/format.js';
import { FakeIpad, fakeIpadState } from '../fixtures/ios-fake-ipad.js';
import { serviceStep, libraryFiles } from '../fixtures/ios-service-context.js';

const identity = createSupervisionIdentity('Schulträger');
const otherIdentity = createSupervisionIdentity('Someone Else');
const signal = new AbortController().signal;

function profile(identifier: string, uuid = `${identifier}-uuid`): Buffer {
  return encodePlistXml({ PayloadType: 'Configuration', PayloadVersion: 1, PayloadIdentifier: identifier, PayloadUUID: uuid, PayloadContent: [] });
}

async function mcinstall(fake: FakeIpad): Promise<McInstallClient> {
  const session = await fake.device().session(signal);
  return new McInstallClient(await session.startService('com.apple.mobile.MCInstall', signal), signal);
}

describe('MCInstall client', () => {
  it('lists profiles with their approval state and installs one', async () => {
    const fake = new FakeIpad(fakeIpadState({ profilesNeedApproval: true }));
    const mc = await mcinstall(fake);
    expect(await mc.profiles()).toEqual([]);
    await mc.installProfile(profile('de.school.filter'));
    expect(await mc.profiles()).toEqual([
      { identifier: 'de.school.filter', displayName: 'de.school.filter', uuid: 'de.school.filter-uuid', version: 1, active: false },
    ]);
  });

  it('escalates with the supervision identity (PKCS#7 over the challenge) and installs silently', async () => {
    const fake = new FakeIpad(fakeIpadState({ cloudConfiguration: { IsSupervised: true, SupervisorHostCertificates: [supervisorCertificateDer(identity)] } }));
    const mc = await mcinstall(fake);
    await expect(mc.installProfileSilent(profile('a'))).rejects.toMatchObject({ request: 'InstallProfileSilent', code: 4023 });
    await mc.escalate(identity);
    await mc.installProfileSilent(profile('a'));
    expect(fake.state.profiles.get('a')).toMatchObject({ active: true, silent: true });
    expect(fake.state.requests).toEqual(expect.arrayContaining(['MCInstall:Escalate', 'MCInstall:EscalateResponse', 'MCInstall:ProceedWithKeybagMigration']));
  });

  it('refuses an identity that does not supervise the device, with the device words', async () => {
    const fake = new FakeIpad(fakeIpadState({ cloudConfiguration: { IsSupervised: true, SupervisorHostCertificates: [supervisorCertificateDer(identity)] } }));
    const err = await (await mcinstall(fake)).escalate(otherIdentity).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McInstallError);
    expect((err as McInstallError).reason).toBe('CertificateRejected (MCInstallationErrorDomain 4017)');
  });

  it('reads 14002 as its code, removes profiles by their identity plist, and erases', async () => {
    const fake = new FakeIpad(fakeIpadState({ cloudConfiguration: { IsSupervised: false } }));
    const mc = await mcinstall(fake);
    const err = await mc.setCloudConfiguration({ IsSupervised: true }).catch((e: unknown) => e);
    expect((err as McInstallError).code).toBe(14002);
    await mc.installProfile(profile('b'));
    const [listed] = await mc.profiles();
    await mc.removeProfile(listed!);
    expect(fake.state.profiles.size).toBe(0);
    expect(await mc.eraseDevice({ preserveDataPlan: true, disallowProximitySetup: true })).toBe('acknowledged');
    await expect(mc.untilClosed()).rejects.toMatchObject({ kind: 'device-gone' });
    expect(fake.isPlugged).toBe(false);
  });
});

describe('cloud configuration', () => {
  it('skips every pane both public tools list for "all", and finishes Setup Assistant only when asked', () => {
    const der = supervisorCertificateDer(identity);
    const all = supervisedConfiguration({ organization: 'Schulträger', supervisorCertificate: der, skipSetup: 'all', allowPairing: false, finishSetup: true });
    for (const pane of ['WiFi', 'Privacy', 'AppleID', 'Welcome', 'Restore', 'SIMSetup', 'Intelligence', 'Zoom']) expect(all['SkipSetup']).toContain(pane);
    expect(all).toMatchObject({
      IsSupervised: true,
      IsMandatory: true,
      AllowPairing: false,
      OrganizationName: 'Schulträger',
      CloudConfigurationUIComplete: true,
    });
    expect(new Set(ALL_SETUP_PANES).size).toBe(ALL_SETUP_PANES.length);
    const some = supervisedConfiguration({ organization: 'X', supervisorCertificate: der, skipSetup: ['Location'], allowPairing: true, finishSetup: false });
    expect(some['SkipSetup']).toEqual(['Location']);
    expect(some['CloudConfigurationUIComplete']).toBeUndefined();
    // The same settings give the same configuration: running supervise again sends what it sent.
    expect(supervisedConfiguration({ organization: 'X', supervisorCertificate: der, skipSetup: ['Location'], allowPairing: true, finishSetup: false })).toEqual(
      some,
    );
    expect(supervisionOf(all, der)).toEqual({ supervised: true, byCertificate: true, organization: 'Schulträger' });
    expect(supervisionOf(all, supervisorCertificateDer(otherIdentity)).byCertificate).toBe(false);
    expect(supervisionOf(null, der).supervised).toBe(false);
  });
});

describe('profiles the steps build', () => {
  it('a Wi-Fi profile the library reads as a profile, password only when there is one, one identifier per SSID', () => {
    const { payload, identity: who } = wifiProfile({ ssid: 'Schulnetz', security: 'wpa2', password: 'geheim123' });
    const facts = readMobileconfig(payload);
    expect(facts.identifier).toBe(who.identifier);
    expect(facts.details).toMatchObject({ payloadTypes: ['com.apple.wifi.managed'] });
    expect(payload.toString()).toContain('<string>geheim123</string>');
    expect(payload.toString()).toContain('<string>WPA2</string>');
    expect(wifiProfile({ ssid: 'Schulnetz', security: 'wpa2', password: null }).payload.toString()).not.toContain('Password');
    expect(wifiProfile({ ssid: 'Gast', security: 'open', password: 'x' }).payload.toString()).not.toContain('Password');
    expect(wifiProfileIdentifier('Schulnetz')).toBe(who.identifier);
    expect(wifiProfileIdentifier('Schul netz')).not.toBe(who.identifier);
    expect(profileIdentity(payload)).toEqual(who);
  });

  it('reads the identity of a signed profile (CMS SignedData around the plist) as of a plain one', () => {
    const plain = profile('de.school.signed', 'SIGNED-UUID');
    const signed = forge.pkcs7.createSignedData();
    signed.content = forge.util.createBuffer(plain.toString('binary'));
    const cert = forge.pki.certificateFromPem(identity.certificatePem);
    signed.addCertificate(cert);
    signed.addSigner({ key: forge.pki.privateKeyFromPem(identity.privateKeyPem), certificate: cert, digestAlgorithm: forge.pki.oids.sha256! });
    signed.sign();
    const der = Buffer.from(forge.asn1.toDer(signed.toAsn1()).getBytes(), 'binary');
    expect(profileIdentity(der)).toEqual({ identifier: 'de.school.signed', uuid: 'SIGNED-UUID', displayName: null });
    expect(profileIdentity(plain)).toEqual(profileIdentity(der));
    expect(profileIdentity(Buffer.from('not a profile'))).toBeNull();
  });

  it('the activation URL names either endpoint or their directory', () => {
    const apple = { handshake: 'https://albert.apple.com/deviceservices/drmHandshake', activation: 'https://albert.apple.com/deviceservices/deviceActivation' };
    expect(activationEndpoints('https://albert.apple.com/deviceservices/deviceActivation')).toEqual(apple);
    expect(activationEndpoints('https://albert.apple.com/deviceservices/drmHandshake')).toEqual(apple);
    expect(activationEndpoints('https://albert.apple.com/deviceservices/')).toEqual(apple);
    expect(activationEndpoints('http://127.0.0.1:8123/deviceservices')).toEqual({
      handshake: 'http://127.0.0.1:8123/deviceservices/drmHandshake',
      activation: 'http://127.0.0.1:8123/deviceservices/deviceActivation',
    });
  });
});

describe('installation_proxy client', () => {
  it('streams PercentComplete while installing, and reads Lookup and Browse', async () => {
    const fake = new FakeIpad(fakeIpadState());
    fake.state.files.set('PublicStaging/com.apple.Pages.ipa', Buffer.from('14.1\nzip'));
    const session = await fake.device().session(signal);
    const proxy = new InstallationProxyClient(await session.startService('com.apple.mobile.installation_proxy', signal), signal);
    const percents: number[] = [];
    await proxy.install('PublicStaging/com.apple.Pages.ipa', (p) => percents.push(p));
    expect(percents).toEqual([5, 40, 90]);
    expect((await proxy.lookup(['com.apple.Pages', 'com.apple.Numbers'])).get('com.apple.Pages')).toMatchObject({ version: '14.1' });
    expect((await proxy.lookup(['com.apple.Numbers'])).size).toBe(0);
    expect(await proxy.browse()).toEqual([{ bundleId: 'com.apple.Pages', version: '14.1', displayName: null }]);
  });

  it('fails with the device word and description', async () => {
    const fake = new FakeIpad(fakeIpadState({ failVerification: new Set(['com.bad.app']) }));
    fake.state.files.set('PublicStaging/com.bad.app.ipa', Buffer.from('1.0\n'));
    const session = await fake.device().session(signal);
    const proxy = new InstallationProxyClient(await session.startService('com.apple.mobile.installation_proxy', signal), signal);
    const err = await proxy.install('PublicStaging/com.bad.app.ipa', () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstallProxyError);
    expect((err as InstallProxyError).reason).toBe('ApplicationVerificationFailed: Failed to verify code signature');
  });
});

describe('AFC client (appium-ios-device AfcService, typed)', () => {
  const files = libraryFiles();
  afterAll(() => files.cleanup());

  it('uploads in chunks reporting bytes, removes what is there, and tolerates what is not', async () => {
    const fake = new FakeIpad(fakeIpadState());
    const bytes = Buffer.alloc(AFC_WRITE_CHUNK * 2 + 1234, 7);
    const item = files.add({ identifier: 'com.x', version: '1', displayName: null }, bytes);
    const session = await fake.device().session(signal);
    const afc = await AfcClient.open(await session.startService('com.apple.afc', signal), signal);
    await afc.makeDirectory('PublicStaging');
    await afc.remove('PublicStaging/none.ipa');
    const seen: number[] = [];
    expect(await afc.upload(item.path, 'PublicStaging/x.ipa', (n) => seen.push(n))).toBe(bytes.length);
    expect(seen).toEqual([AFC_WRITE_CHUNK, AFC_WRITE_CHUNK * 2, bytes.length]);
    expect(fake.state.files.get('PublicStaging/x.ipa')?.equals(bytes)).toBe(true);
    expect(await afc.fileSize('PublicStaging/x.ipa')).toBe(bytes.length);
    await afc.remove('PublicStaging/x.ipa');
    expect(await afc.fileSize('PublicStaging/x.ipa')).toBeNull();
    afc.close();
  });

  it('an unplug mid-upload fails as device-gone, not as the AFC timeout AfcService alone would give 10 s later', async () => {
    const fake = new FakeIpad(fakeIpadState({ unplugAtBytes: AFC_WRITE_CHUNK }));
    const item = files.add({ identifier: 'com.y', version: '1', displayName: null }, Buffer.alloc(AFC_WRITE_CHUNK * 3));
    const session = await fake.device().session(signal);
    const afc = await AfcClient.open(await session.startService('com.apple.afc', signal), signal);
    const err = await afc.upload(item.path, 'PublicStaging/y.ipa', () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IosLinkError);
    expect((err as IosLinkError).kind).toBe('device-gone');
  });
});

describe('ios-errors: every device error as a catalogue code', () => {
  const ctx = { step: serviceStep('install-app', { app: 'com.x' }, 'app-x'), serial: 'S1' };
  const code = (err: unknown, subject = {}) => {
    const mapped = iosStepError(err, ctx, subject);
    return mapped instanceof StepFailedError ? { code: mapped.code, params: mapped.params, retryable: mapped.retryable } : mapped.constructor.name;
  };

  it('maps MCInstall, installation_proxy, AFC and activation errors; transport errors go on to the transport runner', () => {
    const link = new IosLinkError('device-gone', 'closed');
    expect(iosStepError(link, ctx)).toBe(link);
    expect(iosStepError(new DeviceGoneError('S1'), ctx)).toBeInstanceOf(DeviceGoneError);
    expect(code(new McInstallError('SetCloudConfiguration', [{ domain: 'MCCloudConfigErrorDomain', code: 14002, description: 'present' }], 'Error'))).toEqual({
      code: 'ios.already-configured',
      params: { reason: 'present (MCCloudConfigErrorDomain 14002)' },
      retryable: false,
    });
    expect(code(new McInstallError('InstallProfile', [{ domain: 'D', code: 1, description: 'bad' }], 'Error'), { profile: 'p' })).toMatchObject({
      code: 'ios.profile-refused',
      params: { profile: 'p', reason: 'bad (D 1)' },
    });
    expect(code(new McInstallError('Escalate', [], 'Error'))).toMatchObject({ code: 'ios.escalate-refused', params: { reason: 'Status Error' } });
    expect(code(new InstallProxyError('Install', 'ApplicationVerificationFailed', 'sig'), { app: 'com.x' })).toEqual({
      code: 'ios.app-verification-failed',
      params: { app: 'com.x', reason: 'ApplicationVerificationFailed: sig' },
      retryable: false,
    });
    expect(code(new InstallProxyError('Install', 'APIInternalError', null), { app: 'com.x' })).toMatchObject({
      code: 'ios.app-install-failed',
      retryable: true,
    });
    expect(code(new AfcError('write', 'PublicStaging/x.ipa', 'NO_SPACE_LEFT'), { app: 'com.x' })).toMatchObject({ code: 'ios.upload-failed' });
    expect(code(new ActivationLockedError('Activation Lock'))).toMatchObject({ code: 'ios.activation-locked', params: { serial: 'S1' }, retryable: false });
  });

  it('14002 reads "Schon eingerichtet: erst löschen" in German', () => {
    const err = iosStepError(new McInstallError('SetCloudConfiguration', [{ domain: 'd', code: 14002, description: 'x' }], 'Error'), ctx) as StepFailedError;
    expect(formatMessage({ code: err.code, params: err.params }, 'de')).toMatch(/^Schon eingerichtet: erst löschen\./);
  });
});
