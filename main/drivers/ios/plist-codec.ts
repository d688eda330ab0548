import { parseBuffer } from 'bplist-parser';
import { buildBinary, parse, type PlistValue as WirePlistValue } from 'plist';
import { IosLinkError, type PlistDict, type PlistValue } from './ios-link.js';
import { NOT_SIMPLE, readXmlPlist, writeXmlPlist } from './plist-xml.js';

/**
 * Property lists as usbmuxd, lockdownd and the services send them. We write XML (what
 * libimobiledevice writes, readable in a packet capture); we read XML or binary, since real macOS
 * usbmuxd and some services answer in binary. Binary is read with bplist-parser because it keeps
 * 64-bit integers as bigint where `plist` rounds them. XML goes through plist-xml.ts (direct, no
 * DOM); XML with more than the plist grammar in it (CDATA, other markup) through `plist`.
 */

const BINARY_MAGIC = 'bplist00';

/** XML plist bytes of a dictionary. */
export function encodePlistXml(dict: PlistDict): Buffer {
  return Buffer.from(writeXmlPlist(dict), 'utf8');
}

/** Binary plist bytes (what libimobiledevice stores as a pair record). */
export function encodePlistBinary(dict: PlistDict): Buffer {
  return Buffer.from(buildBinary(toWire(dict)));
}

/** A dictionary from XML or binary plist bytes; anything else is a protocol error naming what came. */
export function decodePlistDict(data: Buffer, what: string): PlistDict {
  let value: unknown;
  try {
    const binary = data.subarray(0, 8).toString('latin1') === BINARY_MAGIC;
    const text = binary ? '' : data.toString('utf8');
    if (!binary && !text.trimStart().startsWith('<')) throw new Error('neither XML nor a binary plist');
    const simple = binary ? NOT_SIMPLE : readXmlPlist(text);
    value = binary ? parseBuffer(data)[0] : simple === NOT_SIMPLE ? parse(text) : simple;
  } catch (err) {
    throw new IosLinkError('protocol', `${what}: not a readable property list (${(err as Error).message.split('\n')[0]})`);
  }
  const dict = fromWire(value);
  if (!isPlistDict(dict)) throw new IosLinkError('protocol', `${what}: the property list is not a dictionary`);
  return dict;
}

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof Date);
}

/** A string field, or null when absent or not a string. */
export function plistString(dict: PlistDict, key: string): string | null {
  const v = dict[key];
  return typeof v === 'string' ? v : null;
}

/** An integer field (bigint narrowed when it fits), or null. */
export function plistInteger(dict: PlistDict, key: string): number | null {
  const v = dict[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return null;
}

/** A data field (a string is taken as its UTF-8 bytes: some devices send PEM keys as strings), or null. */
export function plistData(dict: PlistDict, key: string): Buffer | null {
  const v = dict[key];
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  return null;
}

export function plistDictField(dict: PlistDict, key: string): PlistDict | null {
  const v = dict[key];
  return isPlistDict(v) ? v : null;
}

function toWire(value: PlistValue): WirePlistValue {
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, WirePlistValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toWire(v);
    return out;
  }
  return value;
}

/** Parsers give Uint8Array for data and null for what plists cannot hold; the link speaks Buffer and leaves nulls out. */
function fromWire(value: unknown): PlistValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value instanceof Date) return value;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(fromWire).filter((v): v is PlistValue => v !== undefined);
  if (typeof value === 'object') {
    // A keyed archiver's UID ({UID: n}) stays a dictionary: the link never reads archives.
    const out: PlistDict = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const converted = fromWire(v);
      if (converted !== undefined) out[k] = converted;
    }
    return out;
  }
  return undefined;
}
