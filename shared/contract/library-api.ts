import { z } from 'zod';
import { personText } from './text.js';

/**
 * The device library (issue 10): apps, profiles and files a blueprint installs, stored once per
 * station by content hash. Spread into `stationMethods` in station-api.ts; uploads go over REST
 * (`POST /api/v1/library?name=FILE`, the file as the body) because a 2 GB app is no JSON parameter.
 */

export const LIBRARY_KINDS = ['ipa', 'apk', 'profile', 'file'] as const;
export type LibraryKind = (typeof LIBRARY_KINDS)[number];

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export const libraryItemSchema = z.object({
  sha256: z.string().regex(SHA256_PATTERN),
  kind: z.enum(LIBRARY_KINDS),
  /** Bundle id (IPA), package (APK), PayloadIdentifier (profile), file name (serial files). */
  identifier: z.string(),
  /** CFBundleShortVersionString, versionName, PayloadVersion; null when the file names none. */
  version: z.string().nullable(),
  /** A name for people: the app's display name, PayloadDisplayName; null when none. */
  displayName: z.string().nullable(),
  /** The file name it was imported under. */
  fileName: z.string(),
  size: z.number().int().nonnegative(),
  importedAt: z.string(),
  /** Minimum OS: iOS version (IPA), API level (APK). */
  minOs: z.string().nullable(),
  /** Kind-specific facts: versionCode, split, signerSha256 (APK); payloadTypes, signedBy (profile). */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.string()), z.null()])),
});
export type LibraryItem = z.infer<typeof libraryItemSchema>;

const ok = z.object({ ok: z.literal(true) });

export const libraryMethods = {
  listLibrary: { params: z.object({}), result: z.array(libraryItemSchema) },
  /** ID: the sha256 or a unique prefix of it (at least 8 characters). */
  removeLibraryItem: { params: z.object({ id: personText('library id', { max: 64 }) }), result: ok },
} as const;
