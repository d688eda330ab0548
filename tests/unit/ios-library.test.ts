import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parsePlist } from 'plist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBlueprint } from '../../main/blueprints/blueprint-loader.js';
import { LibraryService, blueprintRefs } from '../../main/library/library-service.js';
import { parsePlistDict } from '../../main/library/plist-reader.js';
import { readSignedData } from '../../main/library/cms.js';
import { readItemFacts } from '../../main/library/read-item.js';
import { withZip } from '../../main/library/zip-archive.js';
import { StationStore } from '../../main/store/station-store.js';
import { EXAMPLE_APPS, EXAMPLE_PROFILES, UNSIGNED_APP, buildIosLibrary, importIosLibrary, type IosLibrary } from '../fixtures/ios-library.js';
import { tempDir } from '../fixtures/store-helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const blueprints = path.join(root, 'resources', 'blueprints');
const baselines = [path.join(blueprints, 'baselines')];
const schoolIpad = loadBlueprint(path.join(blueprints, 'school-ipad.yaml'), baselines);
const musterstadt = loadBlueprint(path.join(blueprints, 'variants', 'school-ipad-musterstadt.yaml'), baselines);

let tmp: ReturnType<typeof tempDir>;
let lib: IosLibrary;
beforeAll(async () => {
  tmp = tempDir('benchline-ios-library-');
  lib = await buildIosLibrary(tmp.dir, { appBytes: { 'com.apple.Keynote': 3 * 1024 * 1024 } });
});
afterAll(() => tmp.cleanup());

const sizeOf = (file: string) => fs.statSync(file).size;
const source = (name: string) => lib.files.find((f) => f.name === name)!;

describe('the example iOS library', () => {
  it("the station's readers take every item, with the identifiers and versions the blueprints name", async () => {
    const facts = await Promise.all(lib.files.map((f) => readItemFacts(f.path, f.name, sizeOf(f.path))));
    expect(facts.filter((f) => f.kind === 'ipa').map((f) => [f.identifier, f.version, f.displayName, f.minOs])).toEqual(
      EXAMPLE_APPS.map((a) => [a.bundleId, a.version, a.displayName, a.minOs]),
    );
    expect(facts.filter((f) => f.kind === 'profile').map((f) => f.identifier)).toEqual([
      'de.schultraeger.policy.youth-protection',
      'de.schultraeger.policy.data-protection',
      'de.schultraeger.mdm.enroll',
    ]);
    // Every app and profile school-ipad and the Musterstadt variant name is among them (by identifier, or a profile by file name).
    const names = new Set([...facts.map((f) => f.identifier), ...lib.files.map((f) => f.name)]);
    const wanted = [...blueprintRefs(schoolIpad), ...blueprintRefs(musterstadt)].map((r) => r.identifier);
    expect(wanted).toEqual(expect.arrayContaining(['com.apple.Pages', 'de.schultraeger.mdm.enroll', 'youth-protection.mobileconfig']));
    expect(wanted.filter((id) => !names.has(id))).toEqual([]);
    expect(musterstadt.library).toEqual([
      { id: 'de.musterstadt.schulportal', version: facts.find((f) => f.identifier === 'de.musterstadt.schulportal')?.version },
    ]);
  });

  it('an IPA is laid out as the App Store ships it: the app bundle, its executable of the chosen size, CodeResources sealing Info.plist', async () => {
    await withZip(source('Keynote.ipa').path, async (zip) => {
      expect(zip.names().sort()).toEqual(['Payload/Keynote.app/Info.plist', 'Payload/Keynote.app/Keynote', 'Payload/Keynote.app/_CodeSignature/CodeResources']);
      expect(zip.entries.get('Payload/Keynote.app/Keynote')?.uncompressedSize).toBe(3 * 1024 * 1024);
      const info = (await zip.read('Payload/Keynote.app/Info.plist'))!;
      expect(parsePlistDict(info)).toMatchObject({ CFBundleIdentifier: 'com.apple.Keynote', CFBundleExecutable: 'Keynote' });
      const seal = parsePlist((await zip.read('Payload/Keynote.app/_CodeSignature/CodeResources'))!.toString()) as {
        files2: Record<string, { hash2: Uint8Array }>;
      };
      expect(Buffer.from(seal.files2['Info.plist']!.hash2).toString('hex')).toBe(createHash('sha256').update(info).digest('hex'));
    });
    // The executable does not compress: the file is as large as the app, so its upload takes time.
    expect(sizeOf(source('Keynote.ipa').path)).toBeGreaterThan(3 * 1024 * 1024);
    expect(sizeOf(source('Pages.ipa').path)).toBeLessThan(1024 * 1024);
  });

  it('the unsigned IPA is a valid app without _CodeSignature', async () => {
    const facts = await readItemFacts(lib.unsigned.path, lib.unsigned.name, sizeOf(lib.unsigned.path));
    expect(facts).toMatchObject({ kind: 'ipa', identifier: UNSIGNED_APP.bundleId, version: UNSIGNED_APP.version });
    await withZip(lib.unsigned.path, async (zip) => expect(zip.names().some((n) => n.includes('_CodeSignature'))).toBe(false));
  });

  it('the enrollment profile carries the MDM payload and the device identity it names', async () => {
    const file = source(EXAMPLE_PROFILES.mdmEnrollment.file).path;
    const facts = await readItemFacts(file, EXAMPLE_PROFILES.mdmEnrollment.file, sizeOf(file));
    expect(facts.details['payloadTypes']).toEqual(['com.apple.security.pkcs12', 'com.apple.mdm']);
    const content = parsePlistDict(fs.readFileSync(file))['PayloadContent'] as Record<string, unknown>[];
    const [identity, mdm] = content;
    expect(mdm).toMatchObject({ IdentityCertificateUUID: identity!['PayloadUUID'], AccessRights: 8191 });
    expect(String(mdm!['Topic'])).toMatch(/^com\.apple\.mgmt\.External\./);
    expect((identity!['PayloadContent'] as Buffer).length).toBeGreaterThan(1000);
    for (const payload of [identity!, mdm!])
      expect(payload).toEqual(expect.objectContaining({ PayloadIdentifier: expect.any(String), PayloadUUID: expect.any(String) }));
  });

  it('rebuilding gives the same apps and policy profiles byte for byte (fixed UUIDs, entry times, executables), so a library stores them once', async () => {
    const again = tempDir('benchline-ios-library-again-');
    try {
      const second = await buildIosLibrary(again.dir, { appBytes: { 'com.apple.Keynote': 3 * 1024 * 1024 } });
      const digest = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
      for (const name of ['Keynote.ipa', 'youth-protection.mobileconfig', 'data-protection.mobileconfig']) {
        expect(digest(second.files.find((f) => f.name === name)!.path)).toBe(digest(source(name).path));
      }
    } finally {
      again.cleanup();
    }
  });

  it('signed profiles are read through their signature, naming the signer', async () => {
    const signedDir = tempDir('benchline-ios-library-signed-');
    try {
      const signed = await buildIosLibrary(signedDir.dir, { appBytes: 1024, signProfiles: true });
      const file = signed.files.find((f) => f.name === EXAMPLE_PROFILES.youthProtection.file)!.path;
      expect(readSignedData(fs.readFileSync(file)).content).toBeTruthy();
      const facts = await readItemFacts(file, EXAMPLE_PROFILES.youthProtection.file, sizeOf(file));
      expect(facts).toMatchObject({ identifier: EXAMPLE_PROFILES.youthProtection.identifier, details: { signedBy: 'CN=Schultraeger MDM, O=Benchline Test' } });
    } finally {
      signedDir.cleanup();
    }
  });

  it('imported into a station data dir, school-ipad and its Musterstadt variant lack nothing', async () => {
    const dataDir = path.join(tmp.dir, 'station');
    const missingIn = (dir: string, bp: typeof schoolIpad) => {
      const store = new StationStore(path.join(dir, 'station.db'));
      try {
        return new LibraryService(store.db, dir).missingFor(bp).map((r) => r.identifier);
      } finally {
        store.close();
      }
    };
    fs.mkdirSync(dataDir);
    expect(missingIn(dataDir, schoolIpad)).toHaveLength(6);
    const items = await importIosLibrary(dataDir, lib.files);
    expect(items).toHaveLength(lib.files.length);
    expect(missingIn(dataDir, schoolIpad)).toEqual([]);
    expect(missingIn(dataDir, musterstadt)).toEqual([]);
  });
});
