import fs from 'node:fs';
import { StepAbortedError } from '../../step-errors.js';
import { IosLinkError, type ServiceConnection } from '../ios-link.js';

/**
 * com.apple.afc through appium-ios-device's AfcService, the one place its untyped API is used: the
 * few calls an upload needs, typed, and each raced against the connection closing (AfcService only
 * notices an unplugged device by its 10 s per-packet timeout) and the step's abort.
 * AfcService reads the ServiceConnection's raw stream; the transport's plist channel on the same
 * stream reads nothing until asked, so the two never compete.
 */
export const AFC_SERVICE = 'com.apple.afc';

/** What an upload uses of appium-ios-device's AfcService (lib/afc/index.js). */
interface AppiumAfc {
  createDirectory(path: string): Promise<void>;
  deleteDirectory(path: string): Promise<void>;
  openFile(path: string, mode: number): Promise<number>;
  writeFile(handle: number, data: Buffer): Promise<void>;
  closeFileHandle(handle: number): Promise<void>;
  getFileInfo(path: string): Promise<{ size: number; isFile(): boolean }>;
}

/** AFC's O_WRONLY | O_CREAT | O_TRUNC (libimobiledevice AFC_FOPEN_WRONLY). */
const OPEN_WRITE_TRUNCATE = 3;
/** Bytes per write packet: large enough for USB 2 speed, small enough for steady progress and memory. */
export const AFC_WRITE_CHUNK = 1024 * 1024;

/** A file operation the device refused; `status` is AFC's status name (OBJECT_NOT_FOUND, NO_SPACE_LEFT, ...). */
export class AfcError extends Error {
  override name = 'AfcError';
  constructor(
    readonly operation: string,
    readonly path: string,
    readonly status: string,
  ) {
    super(`AFC ${operation} ${path}: ${status}`);
  }
}

let loading: Promise<new (stream: unknown) => AppiumAfc> | null = null;

/** Loaded on first use: appium-ios-device pulls in @appium/support (~0.4 s), which a station without iPads never needs. */
function afcServiceClass(): Promise<new (stream: unknown) => AppiumAfc> {
  loading ??= import('appium-ios-device/build/lib/afc/index.js').then((mod) => mod.AfcService as unknown as new (stream: unknown) => AppiumAfc);
  return loading;
}

export class AfcClient {
  private readonly gone: Promise<never>;
  private closed = false;

  private constructor(
    private readonly conn: ServiceConnection,
    private readonly afc: AppiumAfc,
    private readonly signal: AbortSignal,
  ) {
    this.gone = new Promise<never>((_, reject) => {
      const onClose = () => reject(new IosLinkError('device-gone', 'AFC: the connection closed', 'ConnectionClosed'));
      conn.stream.once('close', onClose);
      conn.stream.once('error', onClose);
      if (conn.stream.destroyed) onClose();
      signal.addEventListener(
        'abort',
        () => {
          reject(new StepAbortedError());
          this.close();
        },
        { once: true },
      );
    });
    this.gone.catch(() => {});
  }

  static async open(conn: ServiceConnection, signal: AbortSignal): Promise<AfcClient> {
    const AfcService = await afcServiceClass();
    return new AfcClient(conn, new AfcService(conn.stream), signal);
  }

  /** Makes a directory (and succeeds when it is there already). */
  async makeDirectory(path: string): Promise<void> {
    try {
      await this.call('make directory', path, () => this.afc.createDirectory(path));
    } catch (err) {
      if (!(err instanceof AfcError && err.status === 'OBJECT_EXISTS')) throw err;
    }
  }

  /** Removes a file or directory with its contents; a path that is not there is fine. */
  async remove(path: string): Promise<void> {
    try {
      await this.call('remove', path, () => this.afc.deleteDirectory(path));
    } catch (err) {
      if (!(err instanceof AfcError && err.status === 'OBJECT_NOT_FOUND')) throw err;
    }
  }

  /** A file's size, or null when there is no file at `path`. */
  async fileSize(path: string): Promise<number | null> {
    try {
      const info = await this.call('stat', path, () => this.afc.getFileInfo(path));
      return info.isFile() ? info.size : null;
    } catch (err) {
      if (err instanceof AfcError && err.status === 'OBJECT_NOT_FOUND') return null;
      throw err;
    }
  }

  /** Writes a local file to `remotePath` (created or truncated) in AFC_WRITE_CHUNK packets, reporting bytes written. */
  async upload(localPath: string, remotePath: string, onBytes: (written: number) => void): Promise<number> {
    const handle = await this.call('open', remotePath, () => this.afc.openFile(remotePath, OPEN_WRITE_TRUNCATE));
    let written = 0;
    const file = fs.createReadStream(localPath, { highWaterMark: AFC_WRITE_CHUNK });
    try {
      for await (const chunk of file) {
        const data = chunk as Buffer;
        await this.call('write', remotePath, () => this.afc.writeFile(handle, data));
        written += data.length;
        onBytes(written);
      }
    } finally {
      file.destroy();
    }
    await this.call('close', remotePath, () => this.afc.closeFileHandle(handle));
    return written;
  }

  /** Writes a small file whole (go-ios's SkipSetup marker). */
  async writeFile(remotePath: string, data: Buffer): Promise<void> {
    const handle = await this.call('open', remotePath, () => this.afc.openFile(remotePath, OPEN_WRITE_TRUNCATE));
    if (data.length > 0) await this.call('write', remotePath, () => this.afc.writeFile(handle, data));
    await this.call('close', remotePath, () => this.afc.closeFileHandle(handle));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.conn.close();
  }

  /** One AFC call, failing as soon as the connection closes or the step aborts; AfcService's errors become AfcError. */
  private async call<T>(operation: string, path: string, work: () => Promise<T>): Promise<T> {
    if (this.signal.aborted) throw new StepAbortedError();
    const attempt = work().catch((err: unknown) => {
      throw toAfcError(err, operation, path);
    });
    return Promise.race([attempt, this.gone]);
  }
}

/** AfcService reports a refusal as "Unexpected response <STATUS>"; a timeout or anything else keeps its text. */
function toAfcError(err: unknown, operation: string, path: string): Error {
  const text = err instanceof Error ? err.message : String(err);
  const status = /Unexpected response ([A-Z_]+)/.exec(text)?.[1];
  if (status) return new AfcError(operation, path, status);
  if (err instanceof IosLinkError || err instanceof StepAbortedError) return err;
  return new AfcError(operation, path, text);
}
