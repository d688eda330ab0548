import type { Duplex } from 'node:stream';
import { build, parse, parseBinary, type PlistValue as ParsedPlistValue } from 'plist';
import type { PlistDict, PlistValue } from '../../../../main/drivers/ios/ios-link.ts';
import type { EmulatorEnv } from '../emulated-ipad.ts';
import { frameReader, writeFrame, type FrameExtractor } from './frame-reader.ts';

/**
 * The device side of a plist service (MCInstall, installation_proxy, mobileactivationd,
 * diagnostics_relay): 4-byte big-endian length + plist. Requests come as XML or binary plists
 * (libimobiledevice and go-ios send XML, pymobiledevice3 binary); answers go out as XML, which every
 * client reads.
 */

export type { PlistDict, PlistValue };

/** Profiles and activation records are small; anything near this is a broken or hostile frame. */
const MAX_FRAME_BYTES = 32 * 1024 * 1024;

/** plist hands data out as Uint8Array; the services compare and slice it as Buffer. A null (binary plists only) becomes "". */
function normalize(value: ParsedPlistValue): PlistValue {
  if (value === null) return '';
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'object' && !(value instanceof Date)) {
    const dict: PlistDict = {};
    for (const [k, v] of Object.entries(value)) dict[k] = normalize(v);
    return dict;
  }
  return value;
}

export function decodePlist(data: Buffer): PlistValue {
  return normalize(data.subarray(0, 8).toString('latin1') === 'bplist00' ? parseBinary(data) : parse(data.toString('utf8')));
}

export function isDict(value: PlistValue | undefined): value is PlistDict {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof Date);
}

export function decodePlistDict(data: Buffer): PlistDict | null {
  try {
    const value = decodePlist(data);
    return isDict(value) ? value : null;
  } catch {
    return null;
  }
}

export function encodePlist(value: PlistDict): Buffer {
  return Buffer.from(build(value as ParsedPlistValue));
}

export interface PlistConnection {
  /** The next request; null once the client closed the connection or the device left. */
  next(): Promise<PlistDict | null>;
  /** Sends one answer; false when the connection is already gone (the device side carries on). */
  send(message: PlistDict): Promise<boolean>;
  readonly closed: boolean;
  /** Resolves when the connection has closed, for whatever reason. */
  readonly ended: Promise<void>;
}

/** A frame that is no plist dictionary ends the service, as lockdownd's services do. */
const extractPlist: FrameExtractor<PlistDict> = (buffered) => {
  if (buffered.length < 4) return null;
  const length = buffered.readUInt32BE(0);
  if (length > MAX_FRAME_BYTES) return 'invalid';
  if (buffered.length < 4 + length) return { need: 4 + length };
  const message = decodePlistDict(buffered.subarray(4, 4 + length));
  return message ? { frame: message, used: 4 + length } : 'invalid';
};

export function plistConnection(stream: Duplex): PlistConnection {
  const reader = frameReader(stream, extractPlist);
  return {
    next: () => reader.next(),
    send: (message) => {
      if (reader.closed) return Promise.resolve(false);
      const body = encodePlist(message);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(body.length, 0);
      return writeFrame(stream, Buffer.concat([head, body]));
    },
    get closed() {
      return reader.closed;
    },
    ended: reader.ended,
  };
}

/**
 * Runs `handle` for each request in order until the connection closes. A handler that throws is a
 * bug in the emulator: it is logged and the connection dropped, as a crashing daemon would.
 */
export function servePlistRequests(
  stream: Duplex,
  env: EmulatorEnv,
  service: string,
  handle: (request: PlistDict, conn: PlistConnection) => Promise<void>,
): PlistConnection {
  const conn = plistConnection(stream);
  void (async () => {
    for (let request = await conn.next(); request; request = await conn.next()) {
      try {
        await handle(request, conn);
      } catch (err) {
        env.log(`${service}: ${(err as Error).stack ?? String(err)}`);
        stream.destroy();
        return;
      }
    }
  })();
  return conn;
}

export function stringField(dict: PlistDict, key: string): string | null {
  const v = dict[key];
  return typeof v === 'string' ? v : null;
}

export function dataField(dict: PlistDict, key: string): Buffer | null {
  const v = dict[key];
  return Buffer.isBuffer(v) ? v : null;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
