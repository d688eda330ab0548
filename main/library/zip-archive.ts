import yauzl, { type Entry, type ZipFile } from 'yauzl';

export class ZipError extends Error {
  override name = 'ZipError';
}

/** The entries a reader asks for are small (plists, manifests, signatures); anything larger is refused. */
const MAX_ENTRY_BYTES = 16 * 1024 * 1024;

/**
 * A zip archive read from disk by its central directory: a 2 GB app is never loaded, only the
 * few entries the library reads.
 */
export class ZipArchive {
  private constructor(
    private readonly zip: ZipFile,
    readonly entries: ReadonlyMap<string, Entry>,
  ) {}

  static async open(file: string): Promise<ZipArchive> {
    const zip = await new Promise<ZipFile>((resolve, reject) => {
      yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: false }, (err, z) =>
        err || !z ? reject(new ZipError(err?.message ?? 'not a zip archive')) : resolve(z),
      );
    });
    const entries = new Map<string, Entry>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: Entry) => {
        entries.set(e.fileName, e);
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', (err: Error) => reject(new ZipError(err.message)));
      zip.readEntry();
    }).catch((err: unknown) => {
      zip.close();
      throw err;
    });
    return new ZipArchive(zip, entries);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** An entry's bytes (uncompressed); null when the archive has no such entry. */
  async read(name: string): Promise<Buffer | null> {
    const entry = this.entries.get(name);
    if (!entry) return null;
    if (entry.uncompressedSize > MAX_ENTRY_BYTES) throw new ZipError(`${name} is larger than ${MAX_ENTRY_BYTES} bytes`);
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      this.zip.openReadStream(entry, (err, s) => (err || !s ? reject(new ZipError(err?.message ?? `cannot read ${name}`)) : resolve(s)));
    });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  close(): void {
    this.zip.close();
  }
}

/** Opens an archive, runs `fn` on it and closes it again whatever happens. */
export async function withZip<T>(file: string, fn: (zip: ZipArchive) => Promise<T>): Promise<T> {
  const zip = await ZipArchive.open(file);
  try {
    return await fn(zip);
  } finally {
    zip.close();
  }
}
