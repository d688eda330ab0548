import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/contract/errors.js';
import { formatMessage } from '../../shared/messages/format.js';
import { parseAxml } from '../../main/library/axml.js';
import { LibraryService, blueprintRefs, missingMessage } from '../../main/library/library-service.js';
import { StationStore } from '../../main/store/station-store.js';
import { appManifest, encodeAxml } from '../fixtures/axml-encoder.js';
import { makeCertificate, profilePlist, signCms, writeApk, writeIpa, type TestCertificate } from '../fixtures/library-files.js';
import { tempDir, testBlueprint } from '../fixtures/store-helpers.js';

let cert: TestCertificate;
let certDir: { dir: string; cleanup: () => void };
beforeAll(() => {
  certDir = tempDir('benchline-lib-cert-');
  cert = makeCertificate(certDir.dir, 'Schultraeger MDM');
  return () => certDir.cleanup();
});

const open: { store: StationStore; cleanup: () => void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) {
    o.store.close();
    o.cleanup();
  }
});

function station(): { library: LibraryService; dir: string; store: StationStore } {
  const t = tempDir('benchline-lib-');
  const store = new StationStore(path.join(t.dir, 'station.db'));
  open.push({ store, cleanup: t.cleanup });
  return { library: new LibraryService(store.db, t.dir), dir: t.dir, store };
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('binary AndroidManifest.xml', () => {
  it.each([false, true])('reads package, versionCode, versionName and minSdk from a UTF-%s string pool', (utf8) => {
    const elements = parseAxml(encodeAxml(appManifest({ package: 'de.schule.app', versionCode: 42, versionName: '2.1 ä', minSdk: 26 }), { utf8 }));
    expect(elements[0]).toEqual({ name: 'manifest', depth: 0, attributes: { versionCode: 42, versionName: '2.1 ä', package: 'de.schule.app' } });
    expect(elements.find((e) => e.name === 'uses-sdk')?.attributes).toEqual({ minSdkVersion: 26, targetSdkVersion: 34 });
    expect(elements.find((e) => e.name === 'application')?.attributes).toEqual({ debuggable: false });
  });

  it('refuses a chunk that claims more bytes than the file has', () => {
    const data = encodeAxml(appManifest({ package: 'a.b', versionCode: 1, versionName: '1', minSdk: 21 }));
    data.writeUInt32LE(0xffff, 8 + 4); // the string pool's size
    expect(() => parseAxml(data)).toThrow(/damaged/);
  });
});

describe('library import', () => {
  it('reads an IPA (XML and binary Info.plist) and stores it under its sha256', async () => {
    const { library, dir } = station();
    const xml = await writeIpa(path.join(dir, 'Pages.ipa'), {
      CFBundleIdentifier: 'com.apple.iWork.Pages',
      CFBundleShortVersionString: '14.1',
      CFBundleVersion: '7031',
      MinimumOSVersion: '16.0',
      CFBundleDisplayName: 'Pages',
    });
    const bin = await writeIpa(
      path.join(dir, 'Keynote.ipa'),
      { CFBundleIdentifier: 'com.apple.iWork.Keynote', CFBundleShortVersionString: '13.2', MinimumOSVersion: '15.0' },
      true,
    );
    const [pages, keynote] = await library.importFiles([
      { path: xml, name: 'Pages.ipa' },
      { path: bin, name: 'Keynote.ipa' },
    ]);
    expect(pages).toMatchObject({
      kind: 'ipa',
      identifier: 'com.apple.iWork.Pages',
      version: '14.1',
      minOs: '16.0',
      displayName: 'Pages',
      fileName: 'Pages.ipa',
    });
    expect(keynote).toMatchObject({ kind: 'ipa', identifier: 'com.apple.iWork.Keynote', version: '13.2', minOs: '15.0' });
    const sha = createHash('sha256').update(fs.readFileSync(xml)).digest('hex');
    expect(pages?.sha256).toBe(sha);
    expect(fs.readFileSync(path.join(dir, 'library', sha))).toEqual(fs.readFileSync(xml));
  });

  it('reads an APK: binary manifest and the v1 signing certificate SHA-256', async () => {
    const { library, dir } = station();
    const apk = await writeApk(
      path.join(dir, 'firefox.apk'),
      certDir.dir,
      { package: 'org.mozilla.firefox', versionCode: 2015, versionName: '128.0', minSdk: 24 },
      cert,
      true,
    );
    const [item] = await library.importFiles([{ path: apk, name: 'firefox.apk' }]);
    expect(item).toMatchObject({ kind: 'apk', identifier: 'org.mozilla.firefox', version: '128.0', minOs: '24' });
    expect(item?.details).toEqual({ versionCode: 2015, split: null, signerSha256: createHash('sha256').update(cert.der).digest('hex') });
  });

  it('keeps a split APK apart from its base: only the base satisfies a blueprint', async () => {
    const { library, dir } = station();
    const split = await writeApk(
      path.join(dir, 'split_config.arm64_v8a.apk'),
      certDir.dir,
      { package: 'org.mozilla.firefox', versionCode: 2015, versionName: '128.0', minSdk: 24, split: 'config.arm64_v8a' },
      cert,
    );
    const [item] = await library.importFiles([{ path: split, name: 'split_config.arm64_v8a.apk' }]);
    expect(item?.details['split']).toBe('config.arm64_v8a');
    expect(library.find({ kinds: ['apk'], identifier: 'org.mozilla.firefox', version: null })).toBeNull();
    const base = await writeApk(
      path.join(dir, 'base.apk'),
      certDir.dir,
      { package: 'org.mozilla.firefox', versionCode: 2015, versionName: '128.0', minSdk: 24 },
      cert,
    );
    await library.importFiles([{ path: base, name: 'base.apk' }]);
    expect(library.find({ kinds: ['apk'], identifier: 'org.mozilla.firefox', version: '128.0' })?.fileName).toBe('base.apk');
  });

  it('reads an unsigned and a signed .mobileconfig: identifier, name, payload types, signer', async () => {
    const { library, dir } = station();
    const plain = path.join(dir, 'youth.mobileconfig');
    fs.writeFileSync(plain, profilePlist('de.schule.youth', 'Jugendschutz'));
    const signed = path.join(dir, 'wifi.mobileconfig');
    fs.writeFileSync(signed, signCms(certDir.dir, profilePlist('de.schule.wifi', 'WLAN Schule'), cert, true));
    const [u, s] = await library.importFiles([
      { path: plain, name: 'youth.mobileconfig' },
      { path: signed, name: 'wifi.mobileconfig' },
    ]);
    expect(u).toMatchObject({
      kind: 'profile',
      identifier: 'de.schule.youth',
      displayName: 'Jugendschutz',
      version: '1',
      details: { payloadTypes: ['com.apple.wifi.managed', 'com.apple.applicationaccess'], signedBy: null },
    });
    expect(s).toMatchObject({ kind: 'profile', identifier: 'de.schule.wifi', displayName: 'WLAN Schule' });
    expect(s?.details['signedBy']).toBe('CN=Schultraeger MDM, O=Benchline Test');
    // A baseline names a profile by its file name: that finds it too.
    expect(library.find({ kinds: ['profile'], identifier: 'youth.mobileconfig', version: null })?.identifier).toBe('de.schule.youth');
  });

  it('stores a file imported twice once', async () => {
    const { library, dir } = station();
    const fw = path.join(dir, 'firmware-1.2.bin');
    fs.writeFileSync(fw, Buffer.alloc(4096, 7));
    const copy = path.join(dir, 'copy.bin');
    fs.copyFileSync(fw, copy);
    const [first] = await library.importFiles([{ path: fw, name: 'firmware-1.2.bin' }]);
    const [second] = await library.importFiles([{ path: copy, name: 'copy.bin' }]);
    expect(second?.sha256).toBe(first?.sha256);
    expect(second?.fileName).toBe('firmware-1.2.bin');
    expect(library.list()).toHaveLength(1);
    expect(fs.readdirSync(path.join(dir, 'library'))).toEqual([first?.sha256]);
  });

  it('refuses a file that is not what its name says, with the reason, and stores nothing of the batch', async () => {
    const { library, dir } = station();
    const good = path.join(dir, 'ok.mobileconfig');
    fs.writeFileSync(good, profilePlist('de.schule.ok', 'OK'));
    const fake = path.join(dir, 'Pages.ipa');
    fs.writeFileSync(fake, 'this is a text file');
    const apkWithoutManifest = await writeApk(path.join(dir, 'x.apk'), certDir.dir, { package: 'a.b', versionCode: 1, versionName: '1', minSdk: 21 }, null);
    const err = await refusal(
      library.importFiles([
        { path: good, name: 'ok.mobileconfig' },
        { path: fake, name: 'Pages.ipa' },
      ]),
    );
    expect(err.code).toBe('bad_request');
    expect(err.message).toBe('Pages.ipa was not imported: not a ZIP archive');
    expect(formatMessage(err.text!, 'de')).toBe('Pages.ipa wurde nicht übernommen: keine ZIP-Datei');
    expect(library.list()).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'library'))).toEqual([]);
    // An IPA that is an APK, a profile that is an IPA.
    expect((await refusal(library.importFiles([{ path: apkWithoutManifest, name: 'x.ipa' }]))).message).toMatch(/no Payload\/\*\.app\/Info\.plist/);
    expect((await refusal(library.importFiles([{ path: fake, name: 'p.mobileconfig' }]))).message).toMatch(/not a configuration profile/);
    expect((await refusal(library.importFiles([{ path: good, name: 'g.apk' }]))).message).toMatch(/not a ZIP archive/);
  });

  it('removes by a unique sha256 prefix and answers not found / ambiguous', async () => {
    const { library, dir } = station();
    const f = path.join(dir, 'a.hex');
    fs.writeFileSync(f, ':00000001FF\n');
    const [item] = await library.importFiles([{ path: f, name: 'a.hex' }]);
    expect((await refusal(Promise.resolve().then(() => library.remove('deadbeef00')))).code).toBe('not_found');
    expect(library.remove(item!.sha256.slice(0, 10)).sha256).toBe(item?.sha256);
    expect(library.list()).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'library', item!.sha256))).toBe(false);
  });
});

describe('blueprint references', () => {
  it('names apps by platform and profiles, with the version the step asks for', async () => {
    const { library, dir } = station();
    const bp = testBlueprint([
      { id: 'p', type: 'install-profile', params: { profile: 'de.schule.youth' } },
      { id: 'a', type: 'install-app', params: { app: 'com.apple.Pages', version: '14.1' } },
    ]);
    expect(blueprintRefs(bp)).toEqual([
      { kinds: ['profile'], identifier: 'de.schule.youth', version: null },
      { kinds: ['ipa'], identifier: 'com.apple.Pages', version: '14.1' },
    ]);
    const missing = library.missingFor(bp);
    expect(missing).toHaveLength(2);
    expect(formatMessage(missingMessage(missing[1]!), 'de')).toBe('App com.apple.Pages 14.1 fehlt in der Bibliothek');
    expect(formatMessage(missingMessage(missing[0]!), 'en')).toBe('Profile de.schule.youth is missing from the library');
    const ipa = await writeIpa(path.join(dir, 'P.ipa'), { CFBundleIdentifier: 'com.apple.Pages', CFBundleShortVersionString: '14.0' });
    await library.importFiles([{ path: ipa, name: 'P.ipa' }]);
    expect(library.missingFor(bp).map((r) => r.identifier)).toEqual(['de.schule.youth', 'com.apple.Pages']);
    const ipa2 = await writeIpa(path.join(dir, 'P2.ipa'), { CFBundleIdentifier: 'com.apple.Pages', CFBundleShortVersionString: '14.1' });
    await library.importFiles([{ path: ipa2, name: 'P2.ipa' }]);
    expect(library.missingFor(bp).map((r) => r.identifier)).toEqual(['de.schule.youth']);
  });
});
