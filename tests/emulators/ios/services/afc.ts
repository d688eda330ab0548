import type { Duplex } from 'node:stream';
import type { EmulatedFaults, EmulatedIpadState, EmulatorEnv, ServiceHandler } from '../emulated-ipad.js';
import { fileInfo, isDirectory, listDirectory, makeDirectory, normalizeAfcPath, removePath, renamePath, type FsResult } from './afc-filesystem.js';
import { afcPacket, AfcOp, AfcStatus, extractAfcPacket, nulStrings, payloadPaths, u64, type AfcPacket, type AfcStatusCode } from './afc-protocol.js';
import { frameReader, writeFrame } from './frame-reader.js';
import { delay } from './plist-service.js';
import { finishSetupIfComplete, SKIP_SETUP_FILE } from './supervision.js';
import { USB_UPLOAD_BYTES_PER_SECOND } from './timings.js';

/**
 * com.apple.afc: the operations ideviceinstaller, go-ios and appium-ios-device use to upload an app
 * (device info, make dir, open/write/close, file info, remove, read dir, rename; plus read, seek,
 * tell, set size). Writes are paced to what USB 2 carries (scaled), per device, so an upload takes a
 * measurable time and parallel uploads to one device share its port.
 */

/**
 * AFC carries no file size up front, so `faults.unplugDuringUploadAt` (a share) is taken of
 * `uploadSizeBytes` when the test sets it (the IPA's size). Without it the device leaves when the
 * upload's file is closed: after its last byte, before the close is acknowledged — still an unplug
 * mid-upload from the host's side.
 */
export interface UploadFaults extends EmulatedFaults {
  uploadSizeBytes?: number;
}

const STAGING = 'PublicStaging/';
const FS_TOTAL_BYTES = 64 * 1024 ** 3;

interface OpenFile {
  path: string;
  content: Buffer;
  size: number;
  position: number;
  writable: boolean;
  dirty: boolean;
}

/** fopen modes: 1 r, 2 r+, 3 w, 4 w+, 5 a, 6 a+. */
const MODES: Record<number, { create: boolean; truncate: boolean; append: boolean; writable: boolean }> = {
  1: { create: false, truncate: false, append: false, writable: false },
  2: { create: true, truncate: false, append: false, writable: true },
  3: { create: true, truncate: true, append: false, writable: true },
  4: { create: true, truncate: true, append: false, writable: true },
  5: { create: true, truncate: false, append: true, writable: true },
  6: { create: true, truncate: false, append: true, writable: true },
};

/** When each device's USB port is free again for the next upload packet (performance.now() ms). */
const portFreeAt = new WeakMap<EmulatedIpadState, number>();

async function paceUpload(device: EmulatedIpadState, env: EmulatorEnv, bytes: number): Promise<void> {
  const now = performance.now();
  const start = Math.max(now, portFreeAt.get(device) ?? 0);
  const end = start + env.scaled((bytes / USB_UPLOAD_BYTES_PER_SECOND) * 1000);
  portFreeAt.set(device, end);
  // Waits under a millisecond add up in `end` and are slept off together.
  if (end - now >= 1) await delay(end - now);
}

function saveFile(device: EmulatedIpadState, file: OpenFile): void {
  if (file.dirty) device.files.set(file.path, Buffer.from(file.content.subarray(0, file.size)));
  file.dirty = false;
}

function writeAt(file: OpenFile, data: Buffer): void {
  const end = file.position + data.length;
  if (end > file.content.length) {
    const grown = Buffer.alloc(Math.max(end, file.content.length * 2, 64 * 1024));
    file.content.copy(grown, 0, 0, file.size);
    file.content = grown;
  }
  data.copy(file.content, file.position);
  file.position = end;
  file.size = Math.max(file.size, end);
  file.dirty = true;
}

function shouldUnplug(faults: UploadFaults, file: OpenFile, closing: boolean): boolean {
  const share = faults.unplugDuringUploadAt;
  if (share === undefined || !file.path.startsWith(STAGING)) return false;
  if (faults.uploadSizeBytes === undefined) return closing;
  return file.size >= share * faults.uploadSizeBytes;
}

class AfcSession {
  private readonly files = new Map<number, OpenFile>();
  private nextHandle = 1;
  private gone = false;
  private readonly stream: Duplex;
  private readonly device: EmulatedIpadState;
  private readonly env: EmulatorEnv;

  constructor(stream: Duplex, device: EmulatedIpadState, env: EmulatorEnv) {
    this.stream = stream;
    this.device = device;
    this.env = env;
  }

  async run(): Promise<void> {
    const reader = frameReader(this.stream, extractAfcPacket);
    for (let packet = await reader.next(); packet && !this.gone; packet = await reader.next()) {
      const answer = await this.handle(packet);
      if (answer && !this.gone) await writeFrame(this.stream, answer);
    }
    // A connection that ends with files open leaves what was written on the device, as a real one does.
    for (const file of this.files.values()) saveFile(this.device, file);
    this.files.clear();
  }

  private status(packet: AfcPacket, code: AfcStatusCode): Buffer {
    return afcPacket(packet.packetNumber, AfcOp.status, u64(code));
  }

  private result(packet: AfcPacket, r: FsResult): Buffer {
    return this.status(packet, r.ok ? AfcStatus.success : r.status);
  }

  private data(packet: AfcPacket, data: Buffer): Buffer {
    return afcPacket(packet.packetNumber, AfcOp.data, Buffer.alloc(0), data);
  }

  /** The device leaves (fault): what was written stays, the answer never comes. */
  private unplug(file: OpenFile): null {
    delete this.device.faults.unplugDuringUploadAt;
    saveFile(this.device, file);
    this.gone = true;
    this.env.log(`unplugged during the upload of ${file.path} at ${file.size} bytes (fault)`);
    this.env.unplug();
    return null;
  }

  private async handle(packet: AfcPacket): Promise<Buffer | null> {
    const paths = payloadPaths(packet.headerPayload).map(normalizeAfcPath);
    const path = paths[0];
    const handleOf = (): OpenFile | undefined =>
      packet.headerPayload.length >= 8 ? this.files.get(Number(packet.headerPayload.readBigUInt64LE(0))) : undefined;
    switch (packet.operation) {
      case AfcOp.getDeviceInfo: {
        let used = 0;
        for (const f of this.device.files.values()) used += f.length;
        const info = [
          'Model',
          this.device.productType,
          'FSTotalBytes',
          String(FS_TOTAL_BYTES),
          'FSFreeBytes',
          String(FS_TOTAL_BYTES - used),
          'FSBlockSize',
          '4096',
        ];
        return this.data(packet, nulStrings(info));
      }
      case AfcOp.readDir: {
        if (path === null || path === undefined) return this.status(packet, AfcStatus.permissionDenied);
        const entries = listDirectory(this.device, path);
        if (!entries) return this.status(packet, this.device.files.has(path) ? AfcStatus.invalidArgument : AfcStatus.objectNotFound);
        return this.data(packet, nulStrings(entries));
      }
      case AfcOp.getFileInfo: {
        if (path === null || path === undefined) return this.status(packet, AfcStatus.permissionDenied);
        const info = fileInfo(this.device, path, Date.now());
        return info ? this.data(packet, nulStrings(info)) : this.status(packet, AfcStatus.objectNotFound);
      }
      case AfcOp.makeDir:
        return path === null || path === undefined ? this.status(packet, AfcStatus.permissionDenied) : this.result(packet, makeDirectory(this.device, path));
      case AfcOp.removePath:
      case AfcOp.removePathAndContents:
        if (path === null || path === undefined) return this.status(packet, AfcStatus.permissionDenied);
        return this.result(packet, removePath(this.device, path, packet.operation === AfcOp.removePathAndContents));
      case AfcOp.renamePath: {
        const to = paths[1];
        if (path === null || path === undefined || to === null || to === undefined) return this.status(packet, AfcStatus.permissionDenied);
        return this.result(packet, renamePath(this.device, path, to));
      }
      case AfcOp.fileOpen:
        return this.open(packet);
      case AfcOp.fileWrite: {
        const file = handleOf();
        if (!file || !file.writable) return this.status(packet, AfcStatus.invalidArgument);
        writeAt(file, packet.data);
        await paceUpload(this.device, this.env, packet.data.length);
        if (shouldUnplug(this.device.faults, file, false)) return this.unplug(file);
        return this.status(packet, AfcStatus.success);
      }
      case AfcOp.fileRead: {
        const file = handleOf();
        if (!file || packet.headerPayload.length < 16) return this.status(packet, AfcStatus.invalidArgument);
        const length = Number(packet.headerPayload.readBigUInt64LE(8));
        const end = Math.min(file.size, file.position + length);
        const chunk = Buffer.from(file.content.subarray(file.position, end));
        file.position = Math.max(file.position, end);
        return this.data(packet, chunk);
      }
      case AfcOp.fileSeek: {
        const file = handleOf();
        if (!file || packet.headerPayload.length < 24) return this.status(packet, AfcStatus.invalidArgument);
        const whence = Number(packet.headerPayload.readBigUInt64LE(8));
        const offset = Number(packet.headerPayload.readBigInt64LE(16));
        const base = whence === 1 ? file.position : whence === 2 ? file.size : 0;
        if (base + offset < 0) return this.status(packet, AfcStatus.invalidArgument);
        file.position = base + offset;
        return this.status(packet, AfcStatus.success);
      }
      case AfcOp.fileTell: {
        const file = handleOf();
        return file ? afcPacket(packet.packetNumber, AfcOp.fileTellResult, u64(file.position)) : this.status(packet, AfcStatus.invalidArgument);
      }
      case AfcOp.fileSetSize: {
        const file = handleOf();
        if (!file || !file.writable || packet.headerPayload.length < 16) return this.status(packet, AfcStatus.invalidArgument);
        const size = Number(packet.headerPayload.readBigUInt64LE(8));
        if (size > file.size) {
          const keep = file.position;
          file.position = file.size;
          writeAt(file, Buffer.alloc(size - file.size));
          file.position = keep;
        } else file.size = size;
        file.dirty = true;
        return this.status(packet, AfcStatus.success);
      }
      case AfcOp.fileClose: {
        const file = handleOf();
        if (!file) return this.status(packet, AfcStatus.invalidArgument);
        if (file.writable && shouldUnplug(this.device.faults, file, true)) return this.unplug(file);
        this.files.delete(Number(packet.headerPayload.readBigUInt64LE(0)));
        saveFile(this.device, file);
        if (file.path === SKIP_SETUP_FILE) finishSetupIfComplete(this.device, this.env, true);
        return this.status(packet, AfcStatus.success);
      }
      case AfcOp.fileLock:
      case AfcOp.setFileTime:
      case AfcOp.setConnectionOptions:
        return this.status(packet, AfcStatus.success);
      default:
        return this.status(packet, AfcStatus.operationNotSupported);
    }
  }

  private open(packet: AfcPacket): Buffer {
    if (packet.headerPayload.length < 9) return this.status(packet, AfcStatus.invalidArgument);
    const mode = MODES[Number(packet.headerPayload.readBigUInt64LE(0))];
    const path = normalizeAfcPath(payloadPaths(packet.headerPayload.subarray(8))[0] ?? '');
    if (!mode) return this.status(packet, AfcStatus.invalidArgument);
    if (path === null || path === '') return this.status(packet, AfcStatus.permissionDenied);
    if (isDirectory(this.device, path)) return this.status(packet, AfcStatus.objectIsDir);
    const existing = this.device.files.get(path);
    if (!existing && !mode.create) return this.status(packet, AfcStatus.objectNotFound);
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (!isDirectory(this.device, parent)) return this.status(packet, AfcStatus.objectNotFound);
    const content = existing && !mode.truncate ? Buffer.from(existing) : Buffer.alloc(0);
    const file: OpenFile = {
      path,
      content,
      size: content.length,
      position: mode.append ? content.length : 0,
      writable: mode.writable,
      dirty: !existing || mode.truncate,
    };
    // O_CREAT/O_TRUNC take effect at open, before the first write.
    saveFile(this.device, file);
    const handle = this.nextHandle++;
    this.files.set(handle, file);
    return afcPacket(packet.packetNumber, AfcOp.fileOpenResult, u64(handle));
  }
}

export const afcService: ServiceHandler = (stream, device, env) => {
  void new AfcSession(stream, device, env).run().catch((err: unknown) => {
    env.log(`AFC: ${(err as Error).stack ?? String(err)}`);
    stream.destroy();
  });
};
