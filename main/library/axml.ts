/**
 * A reader for Android's binary XML (AXML), the form aapt/aapt2 compile AndroidManifest.xml
 * into: a string pool (UTF-8 or UTF-16), a resource map naming attributes by resource id, and
 * start/end element chunks with typed attribute values. Only what the library needs: elements in
 * document order with their attributes; namespaces and text are skipped.
 */

export class AxmlError extends Error {
  override name = 'AxmlError';
}

export type AxmlValue = string | number | boolean | null;

export interface AxmlElement {
  readonly name: string;
  /** 0 for the root element. */
  readonly depth: number;
  /** By attribute name; framework attributes also by their well-known name when the pool strips it. */
  readonly attributes: Readonly<Record<string, AxmlValue>>;
}

export const CHUNK = {
  stringPool: 0x0001,
  xml: 0x0003,
  startNamespace: 0x0100,
  endNamespace: 0x0101,
  startElement: 0x0102,
  endElement: 0x0103,
  cdata: 0x0104,
  resourceMap: 0x0180,
} as const;

export const VALUE_TYPE = { null: 0x00, reference: 0x01, string: 0x03, intDec: 0x10, intHex: 0x11, boolean: 0x12 } as const;

const UTF8_FLAG = 0x100;
const NO_INDEX = 0xffffffff;

/** android:* attributes by resource id, for manifests whose string pool leaves the names empty. */
const FRAMEWORK_ATTRIBUTES: Readonly<Record<number, string>> = {
  0x01010003: 'name',
  0x0101020c: 'minSdkVersion',
  0x01010270: 'targetSdkVersion',
  0x0101021b: 'versionCode',
  0x0101021c: 'versionName',
};

function check(cond: boolean, what: string): asserts cond {
  if (!cond) throw new AxmlError(`binary manifest damaged: ${what}`);
}

/** Reads the string pool chunk at `start`. */
function readStringPool(buf: Buffer, start: number, size: number): string[] {
  const headerSize = buf.readUInt16LE(start + 2);
  const count = buf.readUInt32LE(start + 8);
  const flags = buf.readUInt32LE(start + 16);
  const stringsStart = start + buf.readUInt32LE(start + 20);
  const end = start + size;
  check(start + headerSize + count * 4 <= end && stringsStart <= end, 'string pool offsets out of range');
  const utf8 = (flags & UTF8_FLAG) !== 0;
  const strings: string[] = [];
  for (let i = 0; i < count; i++) {
    let pos = stringsStart + buf.readUInt32LE(start + headerSize + i * 4);
    check(pos < end, 'string offset out of range');
    if (utf8) {
      // Two lengths, each 1 or 2 bytes: characters (UTF-16 units), then bytes.
      const skip = (buf[pos] as number) & 0x80 ? 2 : 1;
      pos += skip;
      let bytes = buf[pos] as number;
      if (bytes & 0x80) {
        bytes = ((bytes & 0x7f) << 8) | (buf[pos + 1] as number);
        pos += 2;
      } else {
        pos += 1;
      }
      check(pos + bytes <= end, 'UTF-8 string out of range');
      strings.push(buf.toString('utf8', pos, pos + bytes));
    } else {
      let units = buf.readUInt16LE(pos);
      pos += 2;
      if (units & 0x8000) {
        units = ((units & 0x7fff) << 16) | buf.readUInt16LE(pos);
        pos += 2;
      }
      check(pos + units * 2 <= end, 'UTF-16 string out of range');
      strings.push(buf.toString('utf16le', pos, pos + units * 2));
    }
  }
  return strings;
}

function typedValue(buf: Buffer, at: number, raw: number, strings: readonly string[]): AxmlValue {
  const type = buf[at + 3] as number;
  const data = buf.readUInt32LE(at + 4);
  switch (type) {
    case VALUE_TYPE.null:
      return null;
    case VALUE_TYPE.string:
      return strings[data] ?? null;
    case VALUE_TYPE.intDec:
    case VALUE_TYPE.intHex:
      return buf.readInt32LE(at + 4);
    case VALUE_TYPE.boolean:
      return data !== 0;
    case VALUE_TYPE.reference:
      return `@0x${data.toString(16).padStart(8, '0')}`;
    default:
      // Other types (dimensions, colours, floats) keep their raw string if aapt wrote one.
      return raw !== NO_INDEX ? (strings[raw] ?? null) : data;
  }
}

/** Parses a binary AndroidManifest.xml into its elements in document order. */
export function parseAxml(buf: Buffer): AxmlElement[] {
  check(buf.length >= 8 && buf.readUInt16LE(0) === CHUNK.xml, 'not Android binary XML');
  const total = Math.min(buf.readUInt32LE(4), buf.length);
  let strings: string[] = [];
  let resourceIds: number[] = [];
  const elements: AxmlElement[] = [];
  let depth = 0;
  let pos = buf.readUInt16LE(2);
  while (pos + 8 <= total) {
    const type = buf.readUInt16LE(pos);
    const headerSize = buf.readUInt16LE(pos + 2);
    const size = buf.readUInt32LE(pos + 4);
    check(size >= 8 && pos + size <= total, `chunk at ${pos} has a bad size`);
    if (type === CHUNK.stringPool) strings = readStringPool(buf, pos, size);
    else if (type === CHUNK.resourceMap) resourceIds = Array.from({ length: (size - headerSize) / 4 }, (_, i) => buf.readUInt32LE(pos + headerSize + i * 4));
    else if (type === CHUNK.startElement) {
      const ext = pos + headerSize;
      const name = strings[buf.readUInt32LE(ext + 4)] ?? '';
      const attrStart = buf.readUInt16LE(ext + 8);
      const attrSize = buf.readUInt16LE(ext + 10);
      const attrCount = buf.readUInt16LE(ext + 12);
      check(ext + attrStart + attrCount * attrSize <= pos + size && attrSize >= 20, 'attributes out of range');
      const attributes: Record<string, AxmlValue> = {};
      for (let i = 0; i < attrCount; i++) {
        const at = ext + attrStart + i * attrSize;
        const nameIndex = buf.readUInt32LE(at + 4);
        const known = FRAMEWORK_ATTRIBUTES[resourceIds[nameIndex] ?? -1];
        const attrName = known ?? strings[nameIndex] ?? '';
        if (attrName) attributes[attrName] = typedValue(buf, at + 12, buf.readUInt32LE(at + 8), strings);
      }
      elements.push({ name, depth, attributes });
      depth++;
    } else if (type === CHUNK.endElement) depth = Math.max(0, depth - 1);
    pos += size;
  }
  return elements;
}
