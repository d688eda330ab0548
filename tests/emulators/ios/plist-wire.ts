import { parseBuffer as parseBinaryPlist } from 'bplist-parser';
import { parse as parseXmlPlist } from 'plist';
import type { Duplex } from 'node:stream';
import type { PlistDict, PlistValue } from '../../../main/drivers/ios/ios-link.js';

/**
 * Plists as the emulated iPad and its usbmuxd speak them: XML out (what lockdownd and usbmuxd send),
 * XML or binary in (clients send either), and the 4-byte big-endian length framing of lockdownd and
 * the plist services. Our own XML writer, because clients decode into typed fields (go-ios decodes
 * `TimeIntervalSince1970` into a float64 and fails on an <integer>), so the type of every number
 * must be chosen here, not guessed by a library.
 */

export type { PlistDict, PlistValue };

/** A number that must go out as <real> even when it happens to be whole. */
export class PlistReal {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** What the XML writer accepts: plist values plus PlistReal; undefined/null entries are left out. */
export type PlistOut = PlistValue | PlistReal | undefined | null | PlistOut[] | { [key: string]: PlistOut };

const MAX_FRAME_BYTES = 64 * 1024 * 1024;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function writeValue(value: PlistOut, out: string[]): void {
  if (value instanceof PlistReal) {
    out.push(`<real>${Number.isFinite(value.value) ? String(value.value) : '0'}</real>`);
  } else if (typeof value === 'string') {
    out.push(`<string>${escapeXml(value)}</string>`);
  } else if (typeof value === 'boolean') {
    out.push(value ? '<true/>' : '<false/>');
  } else if (typeof value === 'bigint') {
    out.push(`<integer>${value.toString()}</integer>`);
  } else if (typeof value === 'number') {
    out.push(Number.isInteger(value) ? `<integer>${value}</integer>` : `<real>${value}</real>`);
  } else if (Buffer.isBuffer(value)) {
    out.push(`<data>${value.toString('base64')}</data>`);
  } else if (value instanceof Date) {
    out.push(`<date>${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}</date>`);
  } else if (Array.isArray(value)) {
    out.push('<array>');
    for (const item of value) if (item !== undefined && item !== null) writeValue(item, out);
    out.push('</array>');
  } else if (value && typeof value === 'object') {
    out.push('<dict>');
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || item === null) continue;
      out.push(`<key>${escapeXml(key)}</key>`);
      writeValue(item, out);
    }
    out.push('</dict>');
  }
}

export function encodeXmlPlist(value: PlistOut): Buffer {
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">',
  ];
  writeValue(value, out);
  out.push('</plist>\n');
  return Buffer.from(out.join(''), 'utf8');
}

export class PlistDecodeError extends Error {
  override name = 'PlistDecodeError';
}

/** `plist` parses <data> into a Uint8Array; everything here expects a Buffer. */
function withBuffers(value: unknown): PlistValue {
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(withBuffers);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withBuffers(item)]));
  }
  return value as PlistValue;
}

/** Decodes an XML or binary plist; throws PlistDecodeError on anything else. */
export function decodePlist(data: Buffer): PlistValue {
  try {
    if (data.subarray(0, 8).toString('latin1') === 'bplist00') return withBuffers(parseBinaryPlist(data)[0]);
    const text = data.toString('utf8').replace(/\0+$/, '');
    // Checked here so xmldom does not print its own complaint about non-XML input.
    if (
      !text
        .trimStart()
        .replace(/^\uFEFF/, '')
        .startsWith('<')
    )
      throw new Error('neither binary nor XML');
    return withBuffers(parseXmlPlist(text));
  } catch (error) {
    throw new PlistDecodeError(`not a plist (${data.length} bytes): ${(error as Error).message}`);
  }
}

export function isPlistDict(value: PlistValue | undefined): value is PlistDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value) && !(value instanceof Date);
}

/** Decodes a plist that must be a dictionary. */
export function decodePlistDict(data: Buffer): PlistDict {
  const value = decodePlist(data);
  if (!isPlistDict(value)) throw new PlistDecodeError('plist is not a dictionary');
  return value;
}

export function stringField(dict: PlistDict, key: string): string | undefined {
  const value = dict[key];
  return typeof value === 'string' ? value : undefined;
}

export function dataField(dict: PlistDict, key: string): Buffer | undefined {
  const value = dict[key];
  if (Buffer.isBuffer(value)) return value;
  // Some clients send PEM certificates as strings rather than <data>.
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return undefined;
}

export function integerField(dict: PlistDict, key: string): number | undefined {
  const value = dict[key];
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

export function dictField(dict: PlistDict, key: string): PlistDict | undefined {
  const value = dict[key];
  return isPlistDict(value) ? value : undefined;
}

/** One plist message framed as lockdownd and the plist services frame it: 4-byte big-endian length, then XML. */
export function frameLengthPrefixed(message: PlistOut): Buffer {
  const body = encodeXmlPlist(message);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Collects 4-byte big-endian length-prefixed frames from a byte stream. */
export class LengthPrefixedFrames {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the complete frames' bodies. Throws PlistDecodeError on an absurd length. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) throw new PlistDecodeError(`frame of ${length} bytes is larger than ${MAX_FRAME_BYTES}`);
      if (this.buffer.length < 4 + length) break;
      frames.push(this.buffer.subarray(4, 4 + length));
      this.buffer = this.buffer.subarray(4 + length);
    }
    return frames;
  }

  /** Bytes received after the last complete frame (handed on when the stream changes protocol). */
  takeRest(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}

/**
 * Reads length-prefixed plist dictionaries from a stream one at a time and answers them in order
 * (the services EMU-SERVICES writes use this). `handle` may be async; a message is not read until
 * the previous one was answered. A malformed frame closes the stream.
 */
export function servePlistMessages(stream: Duplex, handle: (message: PlistDict) => Promise<void> | void, onError?: (error: Error) => void): void {
  const frames = new LengthPrefixedFrames();
  let chain: Promise<void> = Promise.resolve();
  stream.on('data', (chunk: Buffer) => {
    let bodies: Buffer[];
    try {
      bodies = frames.push(chunk);
    } catch (error) {
      onError?.(error as Error);
      stream.destroy();
      return;
    }
    for (const body of bodies) {
      chain = chain
        .then(() => handle(decodePlistDict(body)))
        .catch((error: unknown) => {
          onError?.(error as Error);
          stream.destroy();
        });
    }
  });
}

/** Writes one length-prefixed XML plist. */
export function sendPlistMessage(stream: Duplex, message: PlistOut): void {
  if (!stream.destroyed && stream.writable) stream.write(frameLengthPrefixed(message));
}
