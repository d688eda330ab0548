import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBlueprint } from '../../main/blueprints/blueprint-loader.js';
import { parseAxml } from '../../main/library/axml.js';
import { blueprintRefs } from '../../main/library/library-service.js';
import { readItemFacts } from '../../main/library/read-item.js';
import { withZip } from '../../main/library/zip-archive.js';
import { buildAndroidLibrary, EXAMPLE_APKS, EXAMPLE_DPC, EXAMPLE_OWNER, type AndroidLibrary } from '../fixtures/android-library.js';
import { tempDir } from '../fixtures/store-helpers.js';

const blueprints = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'resources', 'blueprints');
const androidTablet = loadBlueprint(path.join(blueprints, 'android-tablet.yaml'), [path.join(blueprints, 'baselines')]);

let tmp: ReturnType<typeof tempDir>;
let lib: AndroidLibrary;
beforeAll(async () => {
  tmp = tempDir('benchline-android-library-');
  lib = await buildAndroidLibrary(tmp.dir, { apkBytes: { 'org.mozilla.firefox': 3 * 1024 * 1024 } });
});
afterAll(() => tmp.cleanup());

const fileOf = (pkg: string) => lib.files.find((f) => path.basename(f).startsWith(`${pkg}-`))!;

describe('the example Android library', () => {
  it("the station's reader takes every APK with the package, version and signer android-tablet expects", async () => {
    const facts = await Promise.all(lib.files.map((f) => readItemFacts(f, path.basename(f), fs.statSync(f).size)));
    const signer = createHash('sha256').update(lib.certificate.der).digest('hex');
    expect(facts.map((f) => [f.kind, f.identifier, f.version, f.minOs, f.details])).toEqual(
      EXAMPLE_APKS.map((a) => ['apk', a.packageName, a.versionName, String(a.minSdk), { versionCode: a.versionCode, split: null, signerSha256: signer }]),
    );
    // Every APK android-tablet (with its baseline) installs is among them.
    const wanted = blueprintRefs(androidTablet).map((r) => r.identifier);
    expect(wanted).toEqual(expect.arrayContaining(['de.benchline.youthprotection', 'de.benchline.mdm', 'org.mozilla.firefox', 'org.geogebra.android']));
    expect(wanted.filter((id) => !facts.some((f) => f.identifier === id))).toEqual([]);
  });

  it('the DPC declares the admin receiver android-tablet makes device owner, with its policies', async () => {
    const step = androidTablet.steps.find((s) => s.type === 'set-device-owner');
    expect(step?.type === 'set-device-owner' && step.params.component).toBe(EXAMPLE_OWNER);
    await withZip(fileOf(EXAMPLE_DPC.packageName), async (zip) => {
      const manifest = parseAxml((await zip.read('AndroidManifest.xml'))!);
      const receiver = manifest.find((e) => e.name === 'receiver');
      expect(receiver?.attributes).toMatchObject({ name: '.AdminReceiver', permission: 'android.permission.BIND_DEVICE_ADMIN', exported: true });
      expect(manifest.find((e) => e.name === 'meta-data')?.attributes['name']).toBe('android.app.device_admin');
      expect(manifest.find((e) => e.name === 'action')?.attributes['name']).toBe('android.app.action.DEVICE_ADMIN_ENABLED');
      const policies = parseAxml((await zip.read('res/xml/device_admin.xml'))!).map((e) => e.name);
      expect(policies).toEqual(['device-admin', 'uses-policies', 'limit-password', 'watch-login', 'reset-password', 'force-lock', 'wipe-data']);
    });
  });

  it('an APK is as big as asked (an incompressible native library, stored), v1-signed', async () => {
    await withZip(fileOf('org.mozilla.firefox'), async (zip) => {
      expect(zip.names().sort()).toEqual(['AndroidManifest.xml', 'META-INF/CERT.RSA', 'META-INF/CERT.SF', 'classes.dex', 'lib/arm64-v8a/libapp.so']);
      expect(zip.entries.get('lib/arm64-v8a/libapp.so')?.uncompressedSize).toBe(3 * 1024 * 1024);
    });
    expect(fs.statSync(fileOf('org.mozilla.firefox')).size).toBeGreaterThan(3 * 1024 * 1024);
    expect(fs.statSync(fileOf('org.geogebra.android')).size).toBeLessThan(1024 * 1024);
  });
});
