import type { Statement } from 'better-sqlite3';
import type { LibraryItem, LibraryKind } from '../../shared/contract/library-api.js';
import type { Db } from './database.js';

interface LibraryRow {
  sha256: string;
  kind: LibraryKind;
  identifier: string;
  version: string | null;
  displayName: string | null;
  fileName: string;
  size: number;
  minOs: string | null;
  details: string;
  importedAt: string;
}

function itemOf(row: LibraryRow): LibraryItem {
  return { ...row, details: JSON.parse(row.details) as LibraryItem['details'] };
}

/** The library's rows (migration 005); the files are main/library/content-store.ts's job. */
export class LibraryStore {
  private readonly s: Record<'insert' | 'all' | 'byHash' | 'byPrefix' | 'remove' | 'byIdentifier', Statement>;

  constructor(db: Db) {
    const p = (sql: string) => db.prepare(sql);
    const columns = `sha256, kind, identifier, version, display_name AS displayName, file_name AS fileName, size,
      min_os AS minOs, details, imported_at AS importedAt`;
    this.s = {
      // The same content imported again keeps its first row (and its first file name).
      insert: p(`INSERT OR IGNORE INTO library_items (sha256, kind, identifier, version, display_name, file_name, size, min_os, details, imported_at)
        VALUES (@sha256, @kind, @identifier, @version, @displayName, @fileName, @size, @minOs, @details, @importedAt)`),
      all: p(`SELECT ${columns} FROM library_items ORDER BY kind, identifier, imported_at`),
      byHash: p(`SELECT ${columns} FROM library_items WHERE sha256 = ?`),
      byPrefix: p(`SELECT ${columns} FROM library_items WHERE substr(sha256, 1, length(@id)) = @id LIMIT 2`),
      remove: p('DELETE FROM library_items WHERE sha256 = ?'),
      byIdentifier: p(`SELECT ${columns} FROM library_items WHERE identifier = @id OR (kind = 'profile' AND file_name = @id) ORDER BY imported_at DESC`),
    };
  }

  /** Adds an item; false when an item with the same content was there already. */
  insert(item: LibraryItem): boolean {
    return this.s.insert.run({ ...item, details: JSON.stringify(item.details) }).changes === 1;
  }

  list(): LibraryItem[] {
    return (this.s.all.all() as LibraryRow[]).map(itemOf);
  }

  get(sha256: string): LibraryItem | null {
    const row = this.s.byHash.get(sha256) as LibraryRow | undefined;
    return row ? itemOf(row) : null;
  }

  /** Items whose hash starts with `prefix` (at most two: enough to tell unique from ambiguous). */
  withPrefix(prefix: string): LibraryItem[] {
    return (this.s.byPrefix.all({ id: prefix }) as LibraryRow[]).map(itemOf);
  }

  remove(sha256: string): boolean {
    return this.s.remove.run(sha256).changes === 1;
  }

  /** Items named `identifier` (profiles also by the file name they were imported under), newest first. */
  withIdentifier(identifier: string): LibraryItem[] {
    return (this.s.byIdentifier.all({ id: identifier }) as LibraryRow[]).map(itemOf);
  }
}
