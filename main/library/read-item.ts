import fs from 'node:fs';
import path from 'node:path';
import { message } from '../../shared/messages/catalogue.js';
import { readApk } from './apk-reader.js';
import { readIpa } from './ipa-reader.js';
import { LibraryRefusal, kindOfName, type ItemFacts } from './item-facts.js';
import { readMobileconfig } from './mobileconfig-reader.js';

/** A profile is a few KB; anything far larger is not one. */
const MAX_PROFILE_BYTES = 16 * 1024 * 1024;

/**
 * What the file at `file` is, read from its content and checked against the kind its name
 * (`fileName`) claims; a LibraryRefusal says why it is not.
 */
export async function readItemFacts(file: string, fileName: string, size: number): Promise<ItemFacts> {
  if (size === 0) throw new LibraryRefusal(message('library.reason.empty'));
  const kind = kindOfName(fileName);
  switch (kind) {
    case 'ipa':
      return readIpa(file);
    case 'apk':
      return readApk(file);
    case 'profile': {
      if (size > MAX_PROFILE_BYTES) throw new LibraryRefusal(message('library.reason.not-profile', { detail: `${size} bytes` }));
      return readMobileconfig(fs.readFileSync(file));
    }
    case 'file':
      // Firmware, scripts, certificates for serial devices: named by their file name, no version inside.
      return { kind: 'file', identifier: path.basename(fileName), version: null, displayName: null, minOs: null, details: {} };
  }
}
