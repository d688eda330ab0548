import { message } from '../../shared/messages/catalogue.js';
import { LibraryRefusal, type ItemFacts } from './item-facts.js';
import { PlistError, parsePlistDict, plistString } from './plist-reader.js';
import { ZipError, withZip } from './zip-archive.js';

/** An app bundle's Info.plist sits exactly one level below Payload/ (not in a nested framework or extension). */
const INFO_PLIST = /^Payload\/[^/]+\.app\/Info\.plist$/;

/** Reads an IPA: the bundle id, version and minimum iOS of Payload/*.app/Info.plist (XML or binary). */
export async function readIpa(file: string): Promise<ItemFacts> {
  try {
    return await withZip(file, async (zip) => {
      const name = zip.names().find((n) => INFO_PLIST.test(n));
      const data = name ? await zip.read(name) : null;
      if (!data) throw new LibraryRefusal(message('library.reason.no-app-plist'));
      const info = parsePlistDict(data);
      const identifier = plistString(info, 'CFBundleIdentifier');
      if (!identifier) throw new LibraryRefusal(message('library.reason.plist-field', { field: 'CFBundleIdentifier' }));
      return {
        kind: 'ipa',
        identifier,
        version: plistString(info, 'CFBundleShortVersionString') ?? plistString(info, 'CFBundleVersion'),
        displayName: plistString(info, 'CFBundleDisplayName') ?? plistString(info, 'CFBundleName'),
        minOs: plistString(info, 'MinimumOSVersion'),
        details: { build: plistString(info, 'CFBundleVersion') },
      };
    });
  } catch (err) {
    if (err instanceof ZipError) throw new LibraryRefusal(message('library.reason.not-zip'));
    if (err instanceof PlistError) throw new LibraryRefusal(message('library.reason.unreadable', { detail: `Info.plist: ${err.message}` }));
    throw err;
  }
}
