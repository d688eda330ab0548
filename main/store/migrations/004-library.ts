/**
 * The device library (issue 10): apps, profiles and files, one row per content hash. The file
 * itself lives at DATA_DIR/library/<sha256>; a row is written only after its file is in place.
 */
export const migration004 = `
CREATE TABLE library_items (
  sha256       TEXT PRIMARY KEY CHECK (length(sha256) = 64),
  kind         TEXT NOT NULL CHECK (kind IN ('ipa', 'apk', 'profile', 'file')),
  identifier   TEXT NOT NULL,
  version      TEXT,
  display_name TEXT,
  file_name    TEXT NOT NULL,
  size         INTEGER NOT NULL,
  min_os       TEXT,
  details      TEXT NOT NULL,
  imported_at  TEXT NOT NULL
) STRICT;
CREATE INDEX library_items_by_identifier ON library_items (identifier, kind);
`;
