import { afterAll, describe, expect, it } from 'vitest';
import type { LibraryFile, SecretValue } from '../../main/drivers/driver.js';
import { IosLinkError } from '../../main/drivers/ios/ios-link.js';
import { supervisorCertificateDer } from '../../main/drivers/ios/lockdown/supervisor-signature.js';
import { encodePlistXml } from '../../main/drivers/ios/plist-codec.js';
import { AFC_WRITE_CHUNK } from '../../main/drivers/ios/services/afc-client.js';
import { SKIP_SETUP_FILE } from '../../main/drivers/ios/services/cloud-configuration.js';
import { wifiProfileIdentifier } from '../../main/drivers/ios/services/profile-payload.js';
import { DEFAULT_SUPERVISION_IDENTITY } from '../../main/drivers/ios/steps/ios-step.js';
import { serviceSteps } from '../../main/drivers/ios/steps/service-steps.js';
import { StepAbortedError } from '../../main/drivers/step-errors.js';
import { createSupervisionIdentity } from '../../main/secrets/identities.js';
import type { StepType } from '../../shared/blueprint/schema.js';
import { formatMessage } from '../../shared/messages/format.js';
import { FakeIpad, fakeIpadState, type FakeIpadState } from '../fixtures/ios-fake-ipad.js';
import { iosDeps, libraryFiles, paramsOf, recordingContext, serviceStep, stepFailure, type ContextOptions } from '../fixtures/ios-service-context.js';

const identity = createSupervisionIdentity('Schulträger');
const other = createSupervisionIdentity('Fremder Träger');
const secrets: Record<string, SecretValue> = {
  [DEFAULT_SUPERVISION_IDENTITY]: identity,
  'wifi-school': { kind: 'wifi', password: 'Sch00l-Pass' },
};
const files = libraryFiles();
afterAll(() => files.cleanup());

function profileBytes(identifier: string): Buffer {
  return encodePlistXml({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: identifier,
    PayloadUUID: `${identifier}-uuid`,
    PayloadContent: [],
  });
}
const mdmProfile = files.add({ identifier: 'de.schultraeger.mdm.enroll', version: '1', displayName: 'MDM' }, profileBytes('de.schultraeger.mdm.enroll'));
const filterProfile = files.add({ identifier: 'de.school.filter', version: '1', displayName: 'Jugendschutz' }, profileBytes('de.school.filter'));
/** The fake device reads an installed app's version from the package's first line. */
const pages = files.add(
  { identifier: 'com.apple.Pages', version: '14.1', displayName: 'Pages' },
  Buffer.concat([Buffer.from('14.1\n'), Buffer.alloc(AFC_WRITE_CHUNK * 2, 1)]),
);
const badApp = files.add({ identifier: 'com.bad.app', version: '1.0', displayName: 'Bad' }, Buffer.from('1.0\nbad'));
const library: LibraryFile[] = [mdmProfile, filterProfile, pages, badApp];

function supervisedBy(id = identity, organization = 'Schulträger'): Partial<FakeIpadState> {
  return { cloudConfiguration: { IsSupervised: true, OrganizationName: organization, SupervisorHostCertificates: [supervisorCertificateDer(id)] } };
}

async function run(fake: FakeIpad, type: StepType, params: Record<string, unknown> = {}, options: ContextOptions = {}) {
  const ctx = recordingContext(serviceStep(type, params), { secrets, library, ...options });
  const logs: string[] = [];
  const runner = serviceSteps[type]!;
  const outcome = runner(ctx, fake.device(), { ...iosDeps(logs), pollMs: 10 });
  return { ctx, logs, outcome };
}

describe('erase', () => {
  it('says the device will leave before EraseDevice, ends when it has left, and finds the work done when run again', async () => {
    const fake = new FakeIpad(fakeIpadState(supervisedBy()));
    const first = await run(fake, 'erase');
    await expect(first.outcome).rejects.toMatchObject({ kind: 'device-gone' });
    expect(first.ctx.reattachExpected).toBe(1);
    expect(fake.state.requests.filter((r) => r.startsWith('MCInstall:'))).toEqual(['MCInstall:GetCloudConfiguration', 'MCInstall:EraseDevice']);
    // Back in Setup Assistant: unactivated, no configuration, and the pairing forgotten.
    fake.replug();
    fake.state.requests.length = 0;
    const again = await run(fake, 'erase');
    expect(await again.outcome).toMatchObject({ message: 'already erased' });
    expect(again.ctx.reattachExpected).toBe(0);
    expect(fake.state.requests).toContain('lockdown:Pair');
    expect(fake.state.requests).not.toContain('MCInstall:EraseDevice');
  });
});

describe('activate', () => {
  it('is skipped on an activated device without asking mobileactivationd', async () => {
    const fake = new FakeIpad(fakeIpadState({ activationState: 'Activated' }));
    expect(await (await run(fake, 'activate')).outcome).toMatchObject({ captured: { activationState: 'Activated' }, message: 'already activated' });
    expect(fake.state.requests.some((r) => r.startsWith('mobileactivationd'))).toBe(false);
  });
});

describe('supervise', () => {
  const params = { organization: 'Schulträger', skipSetup: 'all', allowPairing: true, finishSetup: true };

  it('sets the cloud configuration with the identity, leaves Setup Assistant both ways, and is done when run again', async () => {
    const fake = new FakeIpad(fakeIpadState());
    const { outcome } = await run(fake, 'supervise', params);
    expect(await outcome).toMatchObject({ captured: { supervisionIdentity: DEFAULT_SUPERVISION_IDENTITY, organization: 'Schulträger' } });
    const config = fake.state.cloudConfiguration!;
    expect(config).toMatchObject({
      IsSupervised: true,
      IsMandatory: true,
      AllowPairing: true,
      OrganizationName: 'Schulträger',
      CloudConfigurationUIComplete: true,
    });
    expect((config['SupervisorHostCertificates'] as Buffer[])[0]!.equals(supervisorCertificateDer(identity))).toBe(true);
    expect(config['SkipSetup']).toEqual(expect.arrayContaining(['WiFi', 'Privacy', 'AppleID', 'Location', 'Welcome']));
    expect(fake.state.files.has(SKIP_SETUP_FILE)).toBe(true);
    fake.state.requests.length = 0;
    expect(await (await run(fake, 'supervise', params)).outcome).toMatchObject({ message: 'already supervised by this station' });
    expect(fake.state.requests).not.toContain('MCInstall:SetCloudConfiguration');
  });

  it('keeps the device in Setup Assistant when finishSetup is false', async () => {
    const fake = new FakeIpad(fakeIpadState());
    await (
      await run(fake, 'supervise', { ...params, finishSetup: false, skipSetup: ['Location'] })
    ).outcome;
    expect(fake.state.cloudConfiguration!['CloudConfigurationUIComplete']).toBeUndefined();
    expect(fake.state.cloudConfiguration!['SkipSetup']).toEqual(['Location']);
    expect(fake.state.files.has(SKIP_SETUP_FILE)).toBe(false);
  });

  it('a device configured before answers 14002: "Schon eingerichtet: erst löschen", not retried', async () => {
    const fake = new FakeIpad(fakeIpadState(supervisedBy(other, 'Fremder Träger')));
    const err = await stepFailure((await run(fake, 'supervise', params)).outcome);
    expect(err.code).toBe('ios.already-configured');
    expect(err.retryable).toBe(false);
    expect(formatMessage({ code: err.code, params: err.params }, 'de')).toContain('Schon eingerichtet: erst löschen');
    expect(String(paramsOf(err)['reason'])).toContain('14002');
  });

  it('refuses an unactivated device and a station without the identity', async () => {
    expect((await stepFailure((await run(new FakeIpad(fakeIpadState({ activationState: 'Unactivated' })), 'supervise', params)).outcome)).code).toBe(
      'ios.not-activated',
    );
    const missing = await stepFailure((await run(new FakeIpad(fakeIpadState()), 'supervise', { ...params, identity: 'other-identity' })).outcome);
    expect([missing.code, missing.params]).toEqual(['secret.missing', { name: 'other-identity' }]);
  });
});

describe('profiles', () => {
  it('enroll-mdm installs silently through Escalate on a device this station supervises', async () => {
    const fake = new FakeIpad(fakeIpadState(supervisedBy()));
    expect(await (await run(fake, 'enroll-mdm', { profile: 'de.schultraeger.mdm.enroll' })).outcome).toMatchObject({
      captured: { profiles: 'de.schultraeger.mdm.enroll' },
    });
    expect(fake.state.profiles.get('de.schultraeger.mdm.enroll')).toMatchObject({ silent: true, active: true });
    expect(fake.state.requests).toEqual(expect.arrayContaining(['MCInstall:Escalate', 'MCInstall:InstallProfileSilent']));
  });

  it('enroll-mdm refuses a device not supervised by us, naming who supervises it', async () => {
    expect((await stepFailure((await run(new FakeIpad(fakeIpadState()), 'enroll-mdm', { profile: 'de.schultraeger.mdm.enroll' })).outcome)).code).toBe(
      'ios.enroll-not-supervised',
    );
    const err = await stepFailure(
      (await run(new FakeIpad(fakeIpadState(supervisedBy(other, 'Fremder Träger'))), 'enroll-mdm', { profile: 'de.schultraeger.mdm.enroll' })).outcome,
    );
    expect([err.code, paramsOf(err)['organization']]).toEqual(['ios.supervised-by-other', 'Fremder Träger']);
  });

  it('install-profile on an unsupervised device waits with "Profil in Einstellungen bestätigen" until it is approved', async () => {
    const fake = new FakeIpad(fakeIpadState({ profilesNeedApproval: true }));
    const { ctx, outcome } = await run(fake, 'install-profile', { profile: 'de.school.filter' }, { captured: { profiles: 'de.schultraeger.mdm.enroll' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(ctx.waits).toHaveLength(1);
    expect(ctx.waits[0]!.reason).toBe('technician');
    expect(formatMessage(ctx.waits[0]!.message as never, 'de')).toMatch(/^Profil in Einstellungen bestätigen: .*„Jugendschutz“/);
    let settled = false;
    void outcome.finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    fake.state.profiles.get('de.school.filter')!.active = true;
    expect(await outcome).toMatchObject({ captured: { profiles: 'de.schultraeger.mdm.enroll, de.school.filter' } });
    expect(fake.state.requests).not.toContain('MCInstall:Escalate');
  });

  it('install-profile is silent when supervised by us, and not installed again when in force', async () => {
    const fake = new FakeIpad(fakeIpadState({ ...supervisedBy(), profilesNeedApproval: true }));
    const first = await run(fake, 'install-profile', { profile: 'de.school.filter' });
    await first.outcome;
    expect(first.ctx.waits).toEqual([]);
    expect(fake.state.profiles.get('de.school.filter')).toMatchObject({ silent: true });
    fake.state.requests.length = 0;
    await (
      await run(fake, 'install-profile', { profile: 'de.school.filter' })
    ).outcome;
    expect(fake.state.requests.filter((r) => /:InstallProfile(Silent)?$/.test(r))).toEqual([]);
  });

  it('remove-profile removes it (escalated when supervised) and is done when it is gone', async () => {
    const fake = new FakeIpad(fakeIpadState(supervisedBy()));
    fake.state.profiles.set('de.school.filter', { uuid: 'u', payload: profileBytes('de.school.filter'), active: true, silent: true });
    const { outcome } = await run(fake, 'remove-profile', { profile: 'de.school.filter' }, { captured: { profiles: 'a, de.school.filter' } });
    expect(await outcome).toMatchObject({ captured: { profiles: 'a', removedProfiles: 'de.school.filter' } });
    expect(fake.state.profiles.size).toBe(0);
    fake.state.requests.length = 0;
    await (
      await run(fake, 'remove-profile', { profile: 'de.school.filter' })
    ).outcome;
    expect(fake.state.requests).not.toContain('MCInstall:RemoveProfile');
  });

  it('wifi builds the network profile with the secret password, installed like any profile', async () => {
    const fake = new FakeIpad(fakeIpadState(supervisedBy()));
    await (
      await run(fake, 'wifi', { ssid: 'Schulnetz', security: 'wpa2', secret: 'wifi-school' })
    ).outcome;
    const installed = fake.state.profiles.get(wifiProfileIdentifier('Schulnetz'));
    expect(installed?.payload.toString()).toContain('<string>Sch00l-Pass</string>');
    expect(installed?.payload.toString()).toContain('<string>Schulnetz</string>');
    const wrongKind = await stepFailure((await run(fake, 'wifi', { ssid: 'X', security: 'wpa2', secret: DEFAULT_SUPERVISION_IDENTITY })).outcome);
    expect(wrongKind.code).toBe('secret.wrong-kind');
  });
});

describe('install-app', () => {
  it('uploads with bytes and rate, installs with PercentComplete, and skips that version next time', async () => {
    const fake = new FakeIpad(fakeIpadState());
    const { ctx, outcome } = await run(fake, 'install-app', { app: 'com.apple.Pages' });
    expect(await outcome).toMatchObject({ captured: { apps: 'com.apple.Pages 14.1' } });
    expect(fake.state.apps.get('com.apple.Pages')).toBe('14.1');
    const uploads = ctx.progressReports.filter((p) => p.bytes !== undefined);
    expect(uploads[0]).toMatchObject({ percent: 0, bytes: 0, total: pages.size });
    expect(uploads.at(-1)).toMatchObject({ percent: 100, bytes: pages.size, total: pages.size });
    expect(uploads.every((p) => typeof p.bytesPerSecond === 'number')).toBe(true);
    expect(ctx.progressReports.filter((p) => p.bytes === undefined).map((p) => p.percent)).toEqual([5, 40, 90]);
    // The lane (upload lanes per bus) is given back between the upload's last byte and the install.
    expect(ctx.progressReports.slice(0, ctx.laneDoneAfter ?? 0).at(-1)).toMatchObject({ bytes: pages.size });
    expect(ctx.progressReports.slice(ctx.laneDoneAfter ?? 0).map((p) => p.percent)).toEqual([5, 40, 90]);
    expect(fake.state.files.has('PublicStaging/com.apple.Pages.ipa')).toBe(false);
    fake.state.requests.length = 0;
    expect(await (await run(fake, 'install-app', { app: 'com.apple.Pages' })).outcome).toMatchObject({ captured: { apps: 'com.apple.Pages 14.1' } });
    expect(fake.state.requests.some((r) => r.startsWith('afc') || r === 'installation_proxy:Install')).toBe(false);
  });

  it('an app failing verification fails with the device words, not retried', async () => {
    const fake = new FakeIpad(fakeIpadState({ failVerification: new Set(['com.bad.app']) }));
    const err = await stepFailure((await run(fake, 'install-app', { app: 'com.bad.app' })).outcome);
    expect([err.code, err.retryable, paramsOf(err)['app']]).toEqual(['ios.app-verification-failed', false, 'com.bad.app']);
    expect(String(paramsOf(err)['reason'])).toContain('ApplicationVerificationFailed');
  });

  it('unplugged mid-upload: the device is gone; back again, the partial file goes first and the upload starts at byte 0', async () => {
    const fake = new FakeIpad(fakeIpadState({ unplugAtBytes: AFC_WRITE_CHUNK }));
    const first = await run(fake, 'install-app', { app: 'com.apple.Pages' });
    const gone = await first.outcome.catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(IosLinkError);
    expect((gone as IosLinkError).kind).toBe('device-gone');
    expect(fake.state.files.get('PublicStaging/com.apple.Pages.ipa')?.length).toBe(AFC_WRITE_CHUNK);
    fake.replug();
    fake.state.requests.length = 0;
    const again = await run(fake, 'install-app', { app: 'com.apple.Pages' });
    await again.outcome;
    // RemovePathAndContents (0x22) before FileRefOpen (0x0d): the partial package is gone before the new one is written.
    const afc = fake.state.requests.filter((r) => r.startsWith('afc:'));
    expect(afc.indexOf('afc:22')).toBeLessThan(afc.indexOf('afc:d'));
    expect(again.ctx.progressReports.find((p) => p.bytes !== undefined)).toMatchObject({ bytes: 0 });
    expect(fake.state.apps.get('com.apple.Pages')).toBe('14.1');
  });

  it('an app missing from the library fails before touching the device', async () => {
    const fake = new FakeIpad(fakeIpadState());
    expect((await stepFailure((await run(fake, 'install-app', { app: 'com.missing' })).outcome)).code).toBe('library.missing');
    expect(fake.state.requests).toEqual([]);
  });
});

describe('rename and restart', () => {
  it('rename sets DeviceName to the rendered name and keeps it for verify', async () => {
    const fake = new FakeIpad(fakeIpadState());
    expect(await (await run(fake, 'rename', { template: '{school}-{seq}' }, { deviceName: 'GS-Nord-007' })).outcome).toEqual({
      captured: { deviceName: 'GS-Nord-007' },
    });
    expect(fake.state.deviceName).toBe('GS-Nord-007');
    expect((await stepFailure((await run(fake, 'rename', { template: 'x' }, { deviceName: null })).outcome)).code).toBe('ios.no-device-name');
  });

  it('restart says the device will leave, asks diagnostics_relay, and ends with the step', async () => {
    const fake = new FakeIpad(fakeIpadState());
    const { ctx, outcome } = await run(fake, 'restart');
    await new Promise((r) => setTimeout(r, 30));
    expect(ctx.reattachExpected).toBe(1);
    expect(fake.state.requests).toContain('diagnostics_relay:Restart');
    expect(fake.isPlugged).toBe(false);
    ctx.abort.abort();
    await expect(outcome).rejects.toBeInstanceOf(StepAbortedError);
  });
});

describe('verify', () => {
  const captured = {
    supervisionIdentity: DEFAULT_SUPERVISION_IDENTITY,
    organization: 'Schulträger',
    profiles: 'de.school.filter',
    removedProfiles: 'de.old',
    apps: 'com.apple.Pages 14.1',
    deviceName: 'GS-Nord-007',
  };
  function readyDevice(): FakeIpad {
    const fake = new FakeIpad(fakeIpadState({ ...supervisedBy(), deviceName: 'GS-Nord-007' }));
    fake.state.profiles.set('de.school.filter', { uuid: 'u', payload: profileBytes('de.school.filter'), active: true, silent: true });
    fake.state.apps.set('com.apple.Pages', '14.1');
    return fake;
  }
  const checks = ['supervised', 'profiles', 'apps', 'name'];

  it('passes when the device holds what the run set up', async () => {
    expect(await (await run(readyDevice(), 'verify', { checks }, { captured })).outcome).toMatchObject({
      message: 'verified: supervised, profiles, apps, name',
    });
  });

  it('fails on the first difference, with what was expected and found', async () => {
    const older = readyDevice();
    older.state.apps.set('com.apple.Pages', '13.0');
    const err = await stepFailure((await run(older, 'verify', { checks }, { captured })).outcome);
    expect([err.code, err.params]).toEqual(['ios.verify-app-version', { app: 'com.apple.Pages', expected: '14.1', found: '13.0' }]);
    const pending = readyDevice();
    pending.state.profiles.get('de.school.filter')!.active = false;
    expect((await stepFailure((await run(pending, 'verify', { checks }, { captured })).outcome)).code).toBe('ios.verify-profile-pending');
    const leftOver = readyDevice();
    leftOver.state.profiles.set('de.old', { uuid: 'o', payload: profileBytes('de.old'), active: true, silent: false });
    expect((await stepFailure((await run(leftOver, 'verify', { checks }, { captured })).outcome)).code).toBe('ios.verify-profile-present');
    const renamed = readyDevice();
    renamed.state.deviceName = 'iPad';
    expect((await stepFailure((await run(renamed, 'verify', { checks: ['name'] }, { captured })).outcome)).params).toEqual({
      expected: 'GS-Nord-007',
      found: 'iPad',
    });
    const unsupervised = readyDevice();
    unsupervised.state.cloudConfiguration = supervisedBy(other).cloudConfiguration!;
    expect((await stepFailure((await run(unsupervised, 'verify', { checks: ['supervised'] }, { captured })).outcome)).code).toBe('ios.verify-not-supervised');
  });

  it('a check nothing set up, or an unknown one, is a blueprint mistake, not a pass', async () => {
    expect((await stepFailure((await run(readyDevice(), 'verify', { checks: ['apps'] }, { captured: {} })).outcome)).params).toEqual({ check: 'apps' });
    expect((await stepFailure((await run(readyDevice(), 'verify', { checks: ['battery'] }, { captured })).outcome)).code).toBe('ios.verify-unknown-check');
  });
});
