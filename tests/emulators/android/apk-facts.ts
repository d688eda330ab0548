import { inflateRawSync } from 'node:zlib';
import { parseAxml } from '../../../main/library/axml.js';

/**
 * What PackageManager reads from an uploaded APK: package, versionCode, versionName, split name
 * and minSdk from the binary AndroidManifest.xml. The zip is read from memory (the bytes arrived
 * over adb) by its central directory; the manifest is parsed with main/library's AXML reader, so
 * the emulator checks the APKs the tests build (tests/fixtures/axml-encoder.ts) the way the
 * station's library does.
 */

export interface ApkFacts {
  packageName: string;
  versionCode: number;
  versionName: string;
  /** null for a base APK. */
  split: string | null;
  minSdk: number;
}

export class ApkParseError extends Error {
  override name = 'ApkParseError';
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** One entry's bytes from a zip held in memory; null when absent. */
function zipEntry(zip: Buffer, wanted: string): Buffer | null {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ApkParseError('not a zip archive');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) throw new ApkParseError('zip central directory damaged');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    if (name === wanted) {
      if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL) throw new ApkParseError('zip entry damaged');
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new ApkParseError(`zip method ${method} not supported`);
    }
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return null;
}

export function readApkFacts(apk: Buffer): ApkFacts {
  const manifest = zipEntry(apk, 'AndroidManifest.xml');
  if (!manifest) throw new ApkParseError('no AndroidManifest.xml');
  let elements: ReturnType<typeof parseAxml>;
  try {
    elements = parseAxml(manifest);
  } catch (err) {
    throw new ApkParseError(err instanceof Error ? err.message : String(err));
  }
  const root = elements.find((e) => e.depth === 0 && e.name === 'manifest');
  const packageName = root?.attributes['package'];
  if (!root || typeof packageName !== 'string' || !packageName) throw new ApkParseError('manifest has no package');
  const versionCode = root.attributes['versionCode'];
  const versionName = root.attributes['versionName'];
  const split = root.attributes['split'];
  const minSdk = elements.find((e) => e.depth === 1 && e.name === 'uses-sdk')?.attributes['minSdkVersion'];
  return {
    packageName,
    versionCode: typeof versionCode === 'number' ? versionCode : 0,
    versionName: typeof versionName === 'string' ? versionName : String(versionCode ?? ''),
    split: typeof split === 'string' && split ? split : null,
    minSdk: typeof minSdk === 'number' ? minSdk : 1,
  };
}
