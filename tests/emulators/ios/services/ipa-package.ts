import type { Readable } from 'node:stream';
import yauzl, { type Entry } from 'yauzl';
import { dictFromBytes, stringField } from './plist-service.js';

/**
 * What installd finds in an uploaded package: a zip with Payload/<Name>.app/Info.plist naming the
 * bundle, and the app's code signature. Decided (ASSUMED from how real devices refuse unsigned apps
 * with ApplicationVerificationFailed): an app without Payload/<Name>.app/_CodeSignature/CodeResources
 * fails verification, so test IPAs must carry that file; its content is not checked.
 */

export interface PackagedApp {
  bundleId: string;
  version: string;
  displayName: string;
}

export type PackageFailure = 'PackageExtractionFailed' | 'PackageInspectionFailed' | 'ApplicationVerificationFailed';
export type PackageVerdict = { ok: true; app: PackagedApp } | { ok: false; error: PackageFailure; description: string };

/** The app's own Info.plist, one level below Payload/ (not a nested extension's or framework's). */
const APP_INFO_PLIST = /^Payload\/([^/]+\.app)\/Info\.plist$/;
const MAX_INFO_PLIST_BYTES = 4 * 1024 * 1024;

async function readEntry(zip: yauzl.ZipFile, entry: Entry): Promise<Buffer> {
  const stream: Readable = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function inspectPackage(data: Buffer): Promise<PackageVerdict> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(data, { lazyEntries: true, strictFileNames: false });
  } catch (err) {
    return { ok: false, error: 'PackageExtractionFailed', description: `Could not extract the package: ${(err as Error).message}` };
  }
  try {
    const entries = new Map<string, Entry>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: Entry) => {
        entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
    const infoName = [...entries.keys()].find((name) => APP_INFO_PLIST.test(name));
    const infoEntry = infoName ? entries.get(infoName) : undefined;
    if (!infoName || !infoEntry || infoEntry.uncompressedSize > MAX_INFO_PLIST_BYTES) {
      return { ok: false, error: 'PackageInspectionFailed', description: 'Failed to find an app bundle (Payload/*.app/Info.plist) in the package.' };
    }
    const info = dictFromBytes(await readEntry(zip, infoEntry));
    const bundleId = info ? stringField(info, 'CFBundleIdentifier') : null;
    if (!info || !bundleId) return { ok: false, error: 'PackageInspectionFailed', description: `${infoName} has no CFBundleIdentifier.` };
    const appDir = infoName.slice(0, -'Info.plist'.length);
    if (!entries.has(`${appDir}_CodeSignature/CodeResources`)) {
      return {
        ok: false,
        error: 'ApplicationVerificationFailed',
        description: `Failed to verify code signature of ${appDir.slice(0, -1)} : 0xe8008001 (No code signature found.)`,
      };
    }
    const version = stringField(info, 'CFBundleShortVersionString') ?? stringField(info, 'CFBundleVersion') ?? '1.0';
    const displayName = stringField(info, 'CFBundleDisplayName') ?? stringField(info, 'CFBundleName') ?? bundleId;
    return { ok: true, app: { bundleId, version, displayName } };
  } catch (err) {
    return { ok: false, error: 'PackageExtractionFailed', description: `Could not extract the package: ${(err as Error).message}` };
  } finally {
    zip.close();
  }
}
