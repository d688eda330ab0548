import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { installationProxyService } from '../emulators/ios/services/installation-proxy.js';
import type { PlistDict } from '../emulators/ios/services/plist-service.js';
import { emulatedIpad, plistClient, serviceHarness, type PlistClient } from '../fixtures/ios-service-harness.js';
import { infoPlist, writeZip } from '../fixtures/library-files.js';
import { tempDir } from '../fixtures/store-helpers.js';

let dir: string;
beforeAll(() => {
  const t = tempDir('benchline-instproxy-');
  dir = t.dir;
  return () => t.cleanup();
});

async function ipa(bundleId: string, version: string, signed = true): Promise<Buffer> {
  const file = path.join(dir, `${bundleId}-${version}-${signed}.ipa`);
  await writeZip(file, {
    'Payload/Lernapp.app/Info.plist': infoPlist(
      {
        CFBundleIdentifier: bundleId,
        CFBundleShortVersionString: version,
        CFBundleVersion: '77',
        CFBundleDisplayName: 'Lernapp',
        CFBundleExecutable: 'Lernapp',
      },
      true,
    ),
    'Payload/Lernapp.app/Lernapp': 'binary',
    'Payload/Lernapp.app/PlugIns/Widget.appex/Info.plist': infoPlist({ CFBundleIdentifier: 'wrong.widget' }, false),
    ...(signed ? { 'Payload/Lernapp.app/_CodeSignature/CodeResources': '<plist/>' } : {}),
  });
  return fs.readFileSync(file);
}

/** Sends one command and collects the answers up to Complete or an Error, as libimobiledevice's status loop does. */
async function run(client: PlistClient, command: PlistDict): Promise<PlistDict[]> {
  client.send(command);
  const answers: PlistDict[] = [];
  for (;;) {
    const answer = await client.receive();
    if (!answer) throw new Error('connection closed');
    answers.push(answer);
    if (answer['Status'] === 'Complete' || answer['Error']) return answers;
  }
}

function connect(device = emulatedIpad()): PlistClient {
  return plistClient(serviceHarness(device).connect(installationProxyService));
}

describe('installation_proxy Install', () => {
  it('installs the uploaded IPA with rising PercentComplete until Complete', async () => {
    const device = emulatedIpad();
    device.files.set('PublicStaging/de.schule.lernapp', await ipa('de.schule.lernapp', '2.4.1'));
    const answers = await run(connect(device), {
      Command: 'Install',
      PackagePath: 'PublicStaging/de.schule.lernapp',
      ClientOptions: { CFBundleIdentifier: 'de.schule.lernapp' },
    });
    expect(answers.at(-1)).toEqual({ Status: 'Complete' });
    const percents = answers.slice(0, -1).map((a) => a['PercentComplete'] as number);
    expect(percents.length).toBeGreaterThan(5);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(answers.map((a) => a['Status'])).toContain('VerifyingApplication');
    expect(device.apps.get('de.schule.lernapp')).toEqual({ bundleId: 'de.schule.lernapp', version: '2.4.1', displayName: 'Lernapp' });
    expect(device.files.has('PublicStaging/de.schule.lernapp')).toBe(false);
  });

  it('fails verification for an unsigned app and for a bundle id the fault names', async () => {
    const device = emulatedIpad({ faults: { failVerification: ['de.schule.kaputt'] } });
    device.files.set('PublicStaging/unsigned.ipa', await ipa('de.schule.unsigned', '1.0', false));
    device.files.set('PublicStaging/kaputt.ipa', await ipa('de.schule.kaputt', '1.0'));
    const client = connect(device);
    for (const name of ['unsigned', 'kaputt']) {
      const answers = await run(client, { Command: 'Install', PackagePath: `PublicStaging/${name}.ipa` });
      expect(answers.at(-1)).toMatchObject({ Error: 'ApplicationVerificationFailed', ErrorDetail: -402620415 });
      expect(answers.at(-1)?.['ErrorDescription']).toMatch(/0xe8008001/);
      expect(answers.at(-2)?.['Status']).toBe('VerifyingApplication');
    }
    expect(device.apps.size).toBe(0);
    // A failed package stays where it was uploaded.
    expect(device.files.has('PublicStaging/kaputt.ipa')).toBe(true);
  });

  it('refuses a package that is no zip, has no app, or is not there', async () => {
    const device = emulatedIpad();
    device.files.set('PublicStaging/text', Buffer.from('this is not a zip archive'));
    const empty = path.join(dir, 'empty.zip');
    await writeZip(empty, { 'README.txt': 'no app here' });
    device.files.set('PublicStaging/empty', fs.readFileSync(empty));
    const client = connect(device);
    expect((await run(client, { Command: 'Install', PackagePath: 'PublicStaging/text' })).at(-1)?.['Error']).toBe('PackageExtractionFailed');
    expect((await run(client, { Command: 'Install', PackagePath: 'PublicStaging/empty' })).at(-1)?.['Error']).toBe('PackageInspectionFailed');
    expect((await run(client, { Command: 'Install', PackagePath: 'PublicStaging/missing' })).at(-1)?.['Error']).toBe('PackageExtractionFailed');
    expect((await run(client, { Command: 'Install' })).at(-1)?.['Error']).toBe('MissingPackagePath');
    expect(device.apps.size).toBe(0);
  });
});

describe('installation_proxy Browse, Lookup, Uninstall', () => {
  function withApps(n: number): ReturnType<typeof emulatedIpad> {
    const device = emulatedIpad();
    for (let i = 0; i < n; i++) device.apps.set(`de.app${i}`, { bundleId: `de.app${i}`, version: `1.${i}`, displayName: `App ${i}` });
    return device;
  }

  it('browses user apps in pages that go-ios reassembles by CurrentIndex', async () => {
    const answers = await run(connect(withApps(25)), { Command: 'Browse', ClientOptions: { ApplicationType: 'User', ShowLaunchProhibitedApps: true } });
    expect(answers.at(-1)).toEqual({ Status: 'Complete' });
    const pages = answers.slice(0, -1);
    expect(pages.map((p) => p['CurrentIndex'])).toEqual([0, 10, 20]);
    expect(pages.every((p) => p['Total'] === 25 && p['Status'] === 'BrowsingApplications')).toBe(true);
    const apps = pages.flatMap((p) => p['CurrentList'] as PlistDict[]);
    expect(pages.reduce((n, p) => n + (p['CurrentAmount'] as number), 0)).toBe(25);
    expect(apps.map((a) => a['CFBundleIdentifier'])).toEqual(Array.from({ length: 25 }, (_, i) => `de.app${i}`));
    expect(apps[3]).toMatchObject({ CFBundleShortVersionString: '1.3', CFBundleDisplayName: 'App 3', ApplicationType: 'User' });
  });

  it('filters by type and trims to ReturnAttributes, as ideviceinstaller -l asks', async () => {
    const client = connect(withApps(2));
    const user = (
      await run(client, {
        Command: 'Browse',
        ClientOptions: { ApplicationType: 'User', ReturnAttributes: ['CFBundleIdentifier', 'CFBundleDisplayName', 'CFBundleVersion'] },
      })
    )[0];
    expect(user?.['CurrentList']).toEqual([
      { CFBundleIdentifier: 'de.app0', CFBundleDisplayName: 'App 0', CFBundleVersion: '1.0' },
      { CFBundleIdentifier: 'de.app1', CFBundleDisplayName: 'App 1', CFBundleVersion: '1.1' },
    ]);
    const system = (await run(client, { Command: 'Browse', ClientOptions: { ApplicationType: 'System' } }))[0]?.['CurrentList'] as PlistDict[];
    expect(system.map((a) => a['CFBundleIdentifier'])).toContain('com.apple.mobilesafari');
    expect(system.every((a) => a['ApplicationType'] === 'System')).toBe(true);
    expect(await run(connect(emulatedIpad()), { Command: 'Browse', ClientOptions: { ApplicationType: 'User' } })).toEqual([{ Status: 'Complete' }]);
  });

  it('looks apps up by bundle id and uninstalls them', async () => {
    const device = withApps(3);
    const client = connect(device);
    const [lookup] = await run(client, { Command: 'Lookup', ClientOptions: { BundleIDs: ['de.app1', 'not.there'] } });
    expect(Object.keys(lookup?.['LookupResult'] as PlistDict)).toEqual(['de.app1']);
    expect(lookup?.['Status']).toBe('Complete');
    const removal = await run(client, { Command: 'Uninstall', ApplicationIdentifier: 'de.app1' });
    expect(removal.map((a) => a['Status'])).toEqual(['RemovingApplication', 'GeneratingApplicationMap', 'Complete']);
    expect([...device.apps.keys()]).toEqual(['de.app0', 'de.app2']);
    expect(await run(client, { Command: 'Uninstall', ApplicationIdentifier: 'de.app1' })).toEqual([{ Status: 'Complete' }]);
    expect((await run(client, { Command: 'Frobnicate' })).at(-1)?.['Error']).toBe('UnknownCommand');
  });
});
