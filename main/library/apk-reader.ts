import { createHash } from 'node:crypto';
import { message } from '../../shared/messages/catalogue.js';
import { AxmlError, parseAxml, type AxmlValue } from './axml.js';
import { readSignedData } from './cms.js';
import { LibraryRefusal, type ItemFacts } from './item-facts.js';
import { ZipError, withZip, type ZipArchive } from './zip-archive.js';

/** A v1 (JAR) signature block: META-INF/NAME.RSA, .DSA or .EC, a PKCS#7 SignedData with the certificate. */
const SIGNATURE_BLOCK = /^META-INF\/[^/]+\.(RSA|DSA|EC)$/i;

function text(v: AxmlValue | undefined): string | null {
  return v === undefined || v === null ? null : String(v);
}

/** SHA-256 of the signing certificate (as `apksigner verify --print-certs` shows it); null when unsigned or unreadable. */
async function signerSha256(zip: ZipArchive): Promise<string | null> {
  const block = zip.names().find((n) => SIGNATURE_BLOCK.test(n));
  const data = block ? await zip.read(block) : null;
  if (!data) return null;
  try {
    const signer = readSignedData(data).signer;
    return signer ? createHash('sha256').update(signer.raw).digest('hex') : null;
  } catch {
    return null;
  }
}

/**
 * Reads an APK (also one part of a split APK): package, versionCode, versionName and minSdk from
 * the binary AndroidManifest.xml, and the signing certificate's SHA-256 from the v1 signature.
 */
export async function readApk(file: string): Promise<ItemFacts> {
  try {
    return await withZip(file, async (zip) => {
      const data = await zip.read('AndroidManifest.xml');
      if (!data) throw new LibraryRefusal(message('library.reason.no-manifest'));
      const elements = parseAxml(data);
      const manifest = elements.find((e) => e.depth === 0 && e.name === 'manifest');
      const pkg = text(manifest?.attributes['package']);
      if (!manifest || !pkg) throw new LibraryRefusal(message('library.reason.no-package'));
      const sdk = elements.find((e) => e.depth === 1 && e.name === 'uses-sdk');
      const versionName = text(manifest.attributes['versionName']);
      const versionCode = manifest.attributes['versionCode'];
      return {
        kind: 'apk',
        identifier: pkg,
        // A versionName that is a resource reference cannot be read without resources.arsc: the code stands in.
        version: versionName && !versionName.startsWith('@') ? versionName : text(versionCode),
        displayName: null,
        minOs: text(sdk?.attributes['minSdkVersion']),
        details: {
          versionCode: typeof versionCode === 'number' ? versionCode : null,
          split: text(manifest.attributes['split']),
          signerSha256: await signerSha256(zip),
        },
      };
    });
  } catch (err) {
    if (err instanceof ZipError) throw new LibraryRefusal(message('library.reason.not-zip'));
    if (err instanceof AxmlError || err instanceof RangeError) throw new LibraryRefusal(message('library.reason.bad-manifest', { detail: err.message }));
    throw err;
  }
}
