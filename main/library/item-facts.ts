import type { LibraryItem, LibraryKind } from '../../shared/contract/library-api.js';
import type { Message } from '../../shared/messages/catalogue.js';

/** What a reader learns from a file's content: the item without where and when it was stored. */
export type ItemFacts = Pick<LibraryItem, 'kind' | 'identifier' | 'version' | 'displayName' | 'minOs' | 'details'>;

/** A file that is not what its name says; `reason` is a library.reason.* message. */
export class LibraryRefusal extends Error {
  override name = 'LibraryRefusal';
  constructor(readonly reason: Message) {
    super(reason.code);
  }
}

/** The kind a file claims by its name: .ipa, .apk, .mobileconfig, anything else a file for serial devices. */
export function kindOfName(fileName: string): LibraryKind {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.ipa')) return 'ipa';
  if (lower.endsWith('.apk')) return 'apk';
  if (lower.endsWith('.mobileconfig')) return 'profile';
  return 'file';
}
