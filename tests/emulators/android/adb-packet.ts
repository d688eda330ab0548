/**
 * adbd's wire packets (AOSP packages/modules/adb protocol.txt): a 24-byte little-endian header
 * (command, arg0, arg1, data_length, data_check, magic = command ^ 0xffffffff) and a payload.
 */

export const COMMAND = {
  SYNC: 0x434e5953,
  CNXN: 0x4e584e43,
  AUTH: 0x48545541,
  OPEN: 0x4e45504f,
  OKAY: 0x59414b4f,
  CLSE: 0x45534c43,
  WRTE: 0x45545257,
} as const;

/** AUTH arg0. */
export const AUTH_TYPE = { token: 1, signature: 2, rsaPublicKey: 3 } as const;

/** The version adb 29 and Android 14 speak: data_check is 0 once both sides have it (A_VERSION_SKIP_CHECKSUM). */
export const A_VERSION = 0x01000001;
export const A_VERSION_MIN = 0x01000000;
/** MAX_PAYLOAD of protocol version 0x01000001 (1 MiB). */
export const MAX_PAYLOAD = 1024 * 1024;
export const HEADER_SIZE = 24;

export interface AdbPacket {
  command: number;
  arg0: number;
  arg1: number;
  payload: Buffer;
}

export class AdbProtocolError extends Error {
  override name = 'AdbProtocolError';
}

export function commandName(command: number): string {
  return Buffer.from(Uint32Array.of(command).buffer).toString('latin1');
}

function byteSum(payload: Buffer): number {
  let sum = 0;
  for (const b of payload) sum = (sum + b) >>> 0;
  return sum;
}

/** `checksum`: whether data_check carries the byte sum (before both sides agreed on A_VERSION). */
export function encodePacket(packet: AdbPacket, checksum: boolean): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(packet.command >>> 0, 0);
  header.writeUInt32LE(packet.arg0 >>> 0, 4);
  header.writeUInt32LE(packet.arg1 >>> 0, 8);
  header.writeUInt32LE(packet.payload.length, 12);
  header.writeUInt32LE(checksum ? byteSum(packet.payload) : 0, 16);
  header.writeUInt32LE((packet.command ^ 0xffffffff) >>> 0, 20);
  return packet.payload.length ? Buffer.concat([header, packet.payload]) : header;
}

/**
 * Splits a TCP byte stream into packets. Like adbd, it checks the magic and the length bound and
 * ignores data_check (the host sends a byte sum before the version is agreed and 0 after).
 */
export class PacketReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly maxPayload: () => number;

  constructor(maxPayload: () => number) {
    this.maxPayload = maxPayload;
  }

  push(chunk: Buffer): AdbPacket[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const packets: AdbPacket[] = [];
    while (this.buffered.length >= HEADER_SIZE) {
      const command = this.buffered.readUInt32LE(0);
      const length = this.buffered.readUInt32LE(12);
      if ((this.buffered.readUInt32LE(20) ^ 0xffffffff) >>> 0 !== command) throw new AdbProtocolError(`bad magic for ${commandName(command)}`);
      if (length > this.maxPayload()) throw new AdbProtocolError(`payload of ${length} bytes exceeds ${this.maxPayload()}`);
      if (this.buffered.length < HEADER_SIZE + length) break;
      packets.push({
        command,
        arg0: this.buffered.readUInt32LE(4),
        arg1: this.buffered.readUInt32LE(8),
        payload: Buffer.from(this.buffered.subarray(HEADER_SIZE, HEADER_SIZE + length)),
      });
      this.buffered = this.buffered.subarray(HEADER_SIZE + length);
    }
    return packets;
  }
}
