import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import { SHA256_PATTERN, type LibraryItem, type LibraryKind } from '../../shared/contract/library-api.js';
import { AppError } from '../../shared/contract/errors.js';
import { message, type Message } from '../../shared/messages/catalogue.js';
import type { Db } from '../store/database.js';
import { LibraryStore } from '../store/library-store.js';
import { ContentStore, type StagedFile } from './content-store.js';
import { LibraryRefusal } from './item-facts.js';
import { readItemFacts } from './read-item.js';

/** What a blueprint step needs from the library: kinds that satisfy it, an identifier, optionally a version. */
export interface LibraryRef {
  kinds: readonly LibraryKind[];
  identifier: string;
  version: string | null;
}

/** A reference a station lacks, as a catalogue message ("App com.apple.Pages fehlt in der Bibliothek"). */
export function missingMessage(ref: LibraryRef): Message<'library.missing'> {
  const kind = ref.kinds.includes('profile')
    ? message('library.kind.profile')
    : ref.kinds.includes('file')
      ? message('library.kind.file')
      : message('library.kind.app');
  return message('library.missing', { kind, identifier: ref.version ? `${ref.identifier} ${ref.version}` : ref.identifier });
}

/** The library items a blueprint's steps install: apps (IPA on iOS, APK on Android) and profiles. */
export function blueprintRefs(blueprint: Pick<Blueprint, 'platform' | 'steps'>): LibraryRef[] {
  const appKinds: LibraryKind[] = blueprint.platform === 'android' ? ['apk'] : ['ipa'];
  const refs: LibraryRef[] = [];
  for (const step of blueprint.steps) {
    if (step.type === 'install-apk') refs.push({ kinds: ['apk'], identifier: step.params.app, version: step.params.version ?? null });
    else if (step.type === 'qr-provisioning') refs.push({ kinds: ['apk'], identifier: step.params.dpc, version: null });
    else if (step.type === 'install-app') refs.push({ kinds: appKinds, identifier: step.params.app, version: step.params.version ?? null });
    else if (step.type === 'install-profile' || step.type === 'enroll-mdm') refs.push({ kinds: ['profile'], identifier: step.params.profile, version: null });
  }
  return refs;
}

/** A file to import: where it is now and the name it claims its kind by. */
export interface ImportSource {
  readonly path: string;
  readonly name: string;
}

/**
 * The station's device library: imports (content read, checked, stored once by hash), the list,
 * removal and the lookup a run's start asks. Rows in SQLite (main/store/library-store.ts), files
 * under DATA_DIR/library/.
 */
export class LibraryService {
  readonly store: LibraryStore;
  readonly content: ContentStore;
  /** Where missing items come from: the station's hub, when it reports to one. */
  private hub: { fetchMissing(refs: readonly LibraryRef[]): void } | null = null;

  constructor(
    db: Db,
    dataDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.store = new LibraryStore(db);
    this.content = new ContentStore(path.join(dataDir, 'library'));
  }

  /** Clears what a crash left in the temp area; call once at start, before any import. */
  sweep(): void {
    this.content.sweepTemps();
  }

  /**
   * Imports files all together: every file is read and checked first; one that is not what its
   * name says refuses the whole import (AppError bad_request) and nothing is stored.
   */
  async importFiles(sources: readonly ImportSource[]): Promise<LibraryItem[]> {
    const staged: { staged: StagedFile; name: string }[] = [];
    try {
      for (const source of sources) {
        let stream: Readable;
        try {
          stream = fs.createReadStream(source.path);
          staged.push({ staged: await this.content.stage(stream), name: source.name });
        } catch (err) {
          throw refused(source.name, message('library.reason.unreadable', { detail: (err as NodeJS.ErrnoException).code ?? (err as Error).message }));
        }
      }
      return await this.commitAll(staged);
    } catch (err) {
      for (const s of staged) this.content.discard(s.staged);
      throw err;
    }
  }

  /** Imports one file arriving as a stream (an upload, a hub download already staged). */
  async importStream(name: string, body: Readable, maxBytes = Number.POSITIVE_INFINITY): Promise<LibraryItem> {
    const staged = await this.content.stage(body, maxBytes);
    try {
      return (await this.commitAll([{ staged, name }]))[0] as LibraryItem;
    } catch (err) {
      this.content.discard(staged);
      throw err;
    }
  }

  /** Imports a file already in the store's temp area under a known name (hub downloads). */
  async importStaged(staged: StagedFile, name: string): Promise<LibraryItem> {
    try {
      return (await this.commitAll([{ staged, name }]))[0] as LibraryItem;
    } catch (err) {
      this.content.discard(staged);
      throw err;
    }
  }

  private async commitAll(staged: readonly { staged: StagedFile; name: string }[]): Promise<LibraryItem[]> {
    const items: LibraryItem[] = [];
    for (const { staged: s, name } of staged) {
      try {
        const facts = await readItemFacts(s.tempPath, name, s.size);
        items.push({ ...facts, sha256: s.sha256, fileName: path.basename(name), size: s.size, importedAt: this.now().toISOString() });
      } catch (err) {
        if (err instanceof LibraryRefusal) throw refused(name, err.reason);
        throw err;
      }
    }
    // Every file is what it says: now files go under their hash, then rows (a row never lacks its file).
    staged.forEach((s) => this.content.commit(s.staged));
    return items.map((item) => (this.store.insert(item) ? item : (this.store.get(item.sha256) ?? item)));
  }

  list(): LibraryItem[] {
    return this.store.list();
  }

  /** The item a sha256 or a unique prefix of it (8 characters or more) names. */
  resolve(id: string): LibraryItem {
    const prefix = id.trim().toLowerCase();
    const found = /^[0-9a-f]{8,64}$/.test(prefix) ? this.store.withPrefix(prefix) : [];
    if (found.length > 1) throw new AppError('conflict', message('library.ambiguous', { id }));
    if (!found[0]) throw new AppError('not_found', message('library.not-found', { id }));
    return found[0];
  }

  /** Removes an item, the row first: a crash between leaves a file no row names, never a row without its file. */
  remove(id: string): LibraryItem {
    const item = this.resolve(id);
    this.store.remove(item.sha256);
    this.content.remove(item.sha256);
    return item;
  }

  /** The newest item that satisfies a reference; null when the library has none. */
  find(ref: LibraryRef): LibraryItem | null {
    return (
      this.store
        .withIdentifier(ref.identifier)
        .find(
          (i) => ref.kinds.includes(i.kind) && (ref.version === null || i.version === ref.version) && i.details['split'] == null && this.content.has(i.sha256),
        ) ?? null
    );
  }

  /** The stored file of the newest item a step names, for a driver to install; null when the library lacks it. */
  fileFor(ref: { kind: LibraryKind; identifier: string; version?: string | null | undefined }): {
    path: string;
    identifier: string;
    version: string | null;
    displayName: string | null;
    sha256: string;
    size: number;
    versionCode: number | null;
    signerSha256: string | null;
    splits: { path: string; split: string; sha256: string; size: number }[];
  } | null {
    const item = this.find({ kinds: [ref.kind], identifier: ref.identifier, version: ref.version ?? null });
    if (!item) return null;
    // A split APK's configuration parts: the same package and version, each with its split name.
    const splits = this.store
      .withIdentifier(item.identifier)
      .filter((i) => i.kind === item.kind && i.version === item.version && typeof i.details['split'] === 'string' && this.content.has(i.sha256))
      .map((i) => ({ path: this.content.pathOf(i.sha256), split: String(i.details['split']), sha256: i.sha256, size: i.size }));
    const { versionCode, signerSha256 } = item.details;
    return {
      path: this.content.pathOf(item.sha256),
      identifier: item.identifier,
      version: item.version,
      displayName: item.displayName,
      sha256: item.sha256,
      size: item.size,
      versionCode: typeof versionCode === 'number' ? versionCode : null,
      signerSha256: typeof signerSha256 === 'string' ? signerSha256 : null,
      splits,
    };
  }

  /** The references of a blueprint this station's library cannot satisfy. */
  missingFor(blueprint: Pick<Blueprint, 'platform' | 'steps'>): LibraryRef[] {
    return blueprintRefs(blueprint).filter((ref) => this.find(ref) === null);
  }

  /** Missing items are fetched from this hub from now on (null: no hub). */
  useHub(hub: { fetchMissing(refs: readonly LibraryRef[]): void } | null): void {
    this.hub = hub;
  }

  /** Asks the hub for items a run needs and this station lacks; without a hub nothing happens. */
  fetchMissing(refs: readonly LibraryRef[]): void {
    this.hub?.fetchMissing(refs);
  }

  hasContent(sha256: string): boolean {
    return SHA256_PATTERN.test(sha256) && this.content.has(sha256);
  }
}

function refused(file: string, reason: Message): AppError {
  return new AppError('bad_request', message('library.refused', { file: path.basename(file), reason }));
}
