import type { FrameExtractor } from './frame-reader.js';

/**
 * AFC framing (pymobiledevice3 services/afc.py, go-ios ios/afc/, libimobiledevice src/afc.c): a
 * 40-byte little-endian header — magic "CFA6LPAA", entire length, this length (header + header
 * payload), packet number, operation — then the header payload (paths, handles, modes) and the data.
 * Answers echo the request's packet number (libimobiledevice and appium-ios-device match on it).
 * A status code, a file handle and a position go in the header payload; listings and file data after it.
 */

export const AFC_MAGIC = Buffer.from('CFA6LPAA', 'latin1');
export const AFC_HEADER_BYTES = 40;
/** Uploads arrive in packets of at most a few MiB (pymobiledevice3 writes 64 KiB, ideviceinstaller 8 KiB). */
const MAX_PACKET_BYTES = 64 * 1024 * 1024;

export const AfcOp = {
  status: 0x01,
  data: 0x02,
  readDir: 0x03,
  removePath: 0x08,
  makeDir: 0x09,
  getFileInfo: 0x0a,
  getDeviceInfo: 0x0b,
  fileOpen: 0x0d,
  fileOpenResult: 0x0e,
  fileRead: 0x0f,
  fileWrite: 0x10,
  fileSeek: 0x11,
  fileTell: 0x12,
  fileTellResult: 0x13,
  fileClose: 0x14,
  fileSetSize: 0x15,
  setConnectionOptions: 0x17,
  renamePath: 0x18,
  fileLock: 0x1b,
  setFileTime: 0x1e,
  removePathAndContents: 0x22,
} as const;

export const AfcStatus = {
  success: 0,
  unknownError: 1,
  invalidArgument: 7,
  objectNotFound: 8,
  objectIsDir: 9,
  permissionDenied: 10,
  operationNotSupported: 15,
  objectExists: 16,
  dirNotEmpty: 33,
} as const;
export type AfcStatusCode = (typeof AfcStatus)[keyof typeof AfcStatus];

export interface AfcPacket {
  packetNumber: bigint;
  operation: number;
  headerPayload: Buffer;
  data: Buffer;
}

export const extractAfcPacket: FrameExtractor<AfcPacket> = (buffered) => {
  if (buffered.length < AFC_HEADER_BYTES) return null;
  if (!buffered.subarray(0, 8).equals(AFC_MAGIC)) return 'invalid';
  const entire = Number(buffered.readBigUInt64LE(8));
  const thisLength = Number(buffered.readBigUInt64LE(16));
  if (thisLength < AFC_HEADER_BYTES || entire < thisLength || entire > MAX_PACKET_BYTES) return 'invalid';
  if (buffered.length < entire) return { need: entire };
  return {
    used: entire,
    frame: {
      packetNumber: buffered.readBigUInt64LE(24),
      operation: Number(buffered.readBigUInt64LE(32)),
      headerPayload: buffered.subarray(AFC_HEADER_BYTES, thisLength),
      data: buffered.subarray(thisLength, entire),
    },
  };
};

export function afcPacket(packetNumber: bigint, operation: number, headerPayload: Buffer, data: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(AFC_HEADER_BYTES);
  AFC_MAGIC.copy(header, 0);
  header.writeBigUInt64LE(BigInt(AFC_HEADER_BYTES + headerPayload.length + data.length), 8);
  header.writeBigUInt64LE(BigInt(AFC_HEADER_BYTES + headerPayload.length), 16);
  header.writeBigUInt64LE(packetNumber, 24);
  header.writeBigUInt64LE(BigInt(operation), 32);
  return Buffer.concat([header, headerPayload, data]);
}

export function u64(value: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value), 0);
  return b;
}

/** Strings as AFC lists them: each followed by a NUL ("a\0b\0"), and key/value pairs the same way. */
export function nulStrings(items: readonly string[]): Buffer {
  return Buffer.from(items.map((i) => `${i}\0`).join(''), 'utf8');
}

/** The paths in a header payload: NUL-separated; go-ios and appium send a single path without the NUL. */
export function payloadPaths(payload: Buffer): string[] {
  const text = payload.toString('utf8');
  const parts = text.split('\0');
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  return parts;
}
