import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { libraryItemSchema, type LibraryItem } from '../../shared/contract/library-api.js';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import type { Logger } from '../logging/logger.js';
import { hashFile, syncFile } from './content-store.js';
import type { LibraryRef, LibraryService } from './library-service.js';

export interface HubLibraryOptions {
  library: LibraryService;
  hubUrl: string;
  token: string;
  logger: Logger;
  /** The HTTP client; the station's global fetch (its proxy settings) unless a test passes one. */
  fetch?: typeof fetch;
}

/**
 * Fetches library items a station misses from its hub, by hash: a centre imports an app once and
 * every station takes it from there. A broken download resumes where it stopped (Range on
 * DATA_DIR/library/.partial-<sha256>); the whole file is verified against its sha256 before it
 * is imported like any other file.
 */
export class HubLibraryClient {
  private readonly inFlight = new Map<string, Promise<LibraryItem>>();
  private readonly base: string;
  private readonly http: typeof fetch;

  constructor(private readonly o: HubLibraryOptions) {
    this.base = o.hubUrl.endsWith('/') ? o.hubUrl : `${o.hubUrl}/`;
    this.http = o.fetch ?? fetch;
  }

  private url(route: string): string {
    return new URL(route, this.base).toString();
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.o.token}`, ...extra };
  }

  /** The items the hub holds. */
  async hubItems(): Promise<LibraryItem[]> {
    const res = await this.http(this.url('api/v1/library'), { headers: this.headers() });
    if (!res.ok) throw new AppError('unavailable', message('library.hub-failed', { sha256: '-', detail: `HTTP ${res.status}` }));
    return z.array(libraryItemSchema).parse(await res.json());
  }

  /** Downloads one item by hash (resuming a partial download) and imports it; one download per hash at a time. */
  download(item: Pick<LibraryItem, 'sha256' | 'fileName'>): Promise<LibraryItem> {
    const running = this.inFlight.get(item.sha256);
    if (running) return running;
    const job = this.downloadOnce(item).finally(() => this.inFlight.delete(item.sha256));
    this.inFlight.set(item.sha256, job);
    return job;
  }

  private async downloadOnce(item: Pick<LibraryItem, 'sha256' | 'fileName'>): Promise<LibraryItem> {
    const { library } = this.o;
    const known = library.store.get(item.sha256);
    if (known && library.hasContent(item.sha256)) return known;
    const partial = path.join(library.content.dir, `.partial-${item.sha256}`);
    const have = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
    const res = await this.http(this.url(`api/v1/library/${item.sha256}`), { headers: this.headers(have > 0 ? { range: `bytes=${have}-` } : {}) });
    if (res.status === 404) throw new AppError('not_found', message('library.hub-missing', { sha256: item.sha256 }));
    if (res.status === 416) fs.rmSync(partial, { force: true });
    if (!res.ok || !res.body) throw new AppError('unavailable', message('library.hub-failed', { sha256: item.sha256, detail: `HTTP ${res.status}` }));
    // 206: the hub continues where the partial file stops; 200: it sends the whole file again.
    const append = res.status === 206 && have > 0;
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(partial, { flags: append ? 'a' : 'w' }));
    syncFile(partial);
    const actual = await hashFile(partial);
    if (actual !== item.sha256) {
      fs.rmSync(partial, { force: true });
      throw new AppError('conflict', message('library.hash-mismatch', { sha256: item.sha256, actual }));
    }
    const tempPath = library.content.tempPath();
    fs.renameSync(partial, tempPath);
    const imported = await library.importStaged({ tempPath, sha256: actual, size: fs.statSync(tempPath).size }, item.fileName);
    this.o.logger.log('info', `library: ${imported.kind} ${imported.identifier} ${imported.version ?? ''} fetched from the hub (${imported.sha256})`);
    return imported;
  }

  /** Fetches what the hub has for each missing reference (the newest matching item); answers what was imported. */
  async fetchMissingNow(refs: readonly LibraryRef[]): Promise<LibraryItem[]> {
    const hub = await this.hubItems();
    const wanted = refs
      .map(
        (ref) =>
          hub
            .filter(
              (i) =>
                ref.kinds.includes(i.kind) &&
                (i.identifier === ref.identifier || (i.kind === 'profile' && i.fileName === ref.identifier)) &&
                (ref.version === null || i.version === ref.version) &&
                i.details['split'] == null,
            )
            .sort((a, b) => b.importedAt.localeCompare(a.importedAt))[0],
      )
      .filter((i): i is LibraryItem => i !== undefined);
    const imported: LibraryItem[] = [];
    for (const item of wanted) imported.push(await this.download(item));
    return imported;
  }

  /** fetchMissingNow in the background (a run's start does not wait for 2 GB); failures are logged. */
  fetchMissing(refs: readonly LibraryRef[]): void {
    this.fetchMissingNow(refs).catch((err: unknown) => {
      const text = err instanceof AppError && err.text ? formatMessage(err.text, 'en') : (err as Error).message;
      this.o.logger.log('warn', `library: fetching from the hub failed: ${text}`);
    });
  }
}
