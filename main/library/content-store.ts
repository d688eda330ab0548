import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A file written to the store's temp area, hashed on the way; not yet an item. */
export interface StagedFile {
  readonly tempPath: string;
  readonly sha256: string;
  readonly size: number;
}

const TEMP_PREFIX = '.incoming-';

/**
 * Library files by content: DATA_DIR/library/<sha256>. Every file is written to a temp name,
 * synced, then renamed, so a crash leaves either the whole file or a temp file that the next
 * start removes, never a half file under a hash.
 */
export class ContentStore {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Removes temp files a crash left behind (uploads and downloads in flight are this process's own, so none at start). */
  sweepTemps(): void {
    for (const name of fs.readdirSync(this.dir)) if (name.startsWith(TEMP_PREFIX)) fs.rmSync(path.join(this.dir, name), { force: true });
  }

  pathOf(sha256: string): string {
    return path.join(this.dir, sha256);
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  /** A fresh temp path inside the store (same file system, so the rename is atomic). */
  tempPath(): string {
    return path.join(this.dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  }

  /** Streams `source` to a temp file, hashing it (at most `maxBytes`); the temp file is removed if anything fails. */
  async stage(source: Readable, maxBytes = Number.POSITIVE_INFINITY): Promise<StagedFile> {
    const tempPath = this.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new Error(`larger than ${maxBytes} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, tap, fs.createWriteStream(tempPath, { flags: 'wx' }));
      syncFile(tempPath);
    } catch (err) {
      fs.rmSync(tempPath, { force: true });
      throw err;
    }
    return { tempPath, sha256: hash.digest('hex'), size };
  }

  /** Moves a staged file under its hash; content already there is kept and the temp removed. */
  commit(staged: StagedFile): void {
    if (this.has(staged.sha256)) fs.rmSync(staged.tempPath, { force: true });
    else fs.renameSync(staged.tempPath, this.pathOf(staged.sha256));
  }

  discard(staged: StagedFile): void {
    fs.rmSync(staged.tempPath, { force: true });
  }

  remove(sha256: string): void {
    fs.rmSync(this.pathOf(sha256), { force: true });
  }
}

/** Flushes a file to disk, so the rename that follows never publishes unwritten data. */
export function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** SHA-256 of a file on disk, streamed. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
