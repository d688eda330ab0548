import { message } from '../../shared/messages/catalogue.js';
import { readSignedData, subjectLine } from './cms.js';
import { LibraryRefusal, type ItemFacts } from './item-facts.js';
import { parsePlistDict, plistString } from './plist-reader.js';

/** True when the bytes look like a property list (XML or binary) rather than DER. */
function looksLikePlist(data: Buffer): boolean {
  const head = data.subarray(0, 64).toString('latin1').trimStart();
  return head.startsWith('bplist00') || head.startsWith('<?xml') || head.startsWith('<plist') || head.startsWith('\ufeff');
}

/**
 * Reads a .mobileconfig: a plist, or a CMS SignedData wrapping one (as Apple Configurator and
 * `openssl smime -sign -nodetach` write it). Gives PayloadIdentifier, PayloadDisplayName, the
 * payload types inside and the signer's subject.
 */
export function readMobileconfig(data: Buffer): ItemFacts {
  let content = data;
  let signedBy: string | null = null;
  if (!looksLikePlist(data)) {
    try {
      const signed = readSignedData(data);
      if (!signed.content) throw new Error('signed profile without content');
      content = signed.content;
      signedBy = signed.signer ? subjectLine(signed.signer) : null;
    } catch (err) {
      throw new LibraryRefusal(message('library.reason.not-profile', { detail: (err as Error).message }));
    }
  }
  let profile;
  try {
    profile = parsePlistDict(content);
  } catch (err) {
    throw new LibraryRefusal(message('library.reason.not-profile', { detail: (err as Error).message }));
  }
  if (plistString(profile, 'PayloadType') !== 'Configuration')
    throw new LibraryRefusal(message('library.reason.profile-field', { field: 'PayloadType = Configuration' }));
  const identifier = plistString(profile, 'PayloadIdentifier');
  if (!identifier) throw new LibraryRefusal(message('library.reason.profile-field', { field: 'PayloadIdentifier' }));
  const content_ = Array.isArray(profile['PayloadContent']) ? (profile['PayloadContent'] as unknown[]) : [];
  const payloadTypes = content_
    .map((p) => (p && typeof p === 'object' ? (p as Record<string, unknown>)['PayloadType'] : null))
    .filter((t): t is string => typeof t === 'string');
  const version = profile['PayloadVersion'];
  return {
    kind: 'profile',
    identifier,
    version: typeof version === 'number' || typeof version === 'string' ? String(version) : null,
    displayName: plistString(profile, 'PayloadDisplayName'),
    minOs: null,
    details: { payloadTypes, signedBy },
  };
}
