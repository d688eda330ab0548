/**
 * A small BER/DER reader: just enough ASN.1 to take a CMS SignedData apart (signed
 * .mobileconfig files, an APK's META-INF/*.RSA). Apple signs profiles with BER indefinite
 * lengths and may split the content into constructed OCTET STRINGs, so both are read here.
 */
export interface Asn1Node {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  readonly tag: number;
  readonly constructed: boolean;
  /** The whole encoding, header included (a certificate's DER as it was signed). */
  readonly raw: Buffer;
  /** The content octets (for constructed nodes: the children's encodings). */
  readonly content: Buffer;
  readonly children: readonly Asn1Node[];
}

export class Asn1Error extends Error {
  override name = 'Asn1Error';
}

const MAX_DEPTH = 64;

export const TAG = { integer: 0x02, octetString: 0x04, oid: 0x06, sequence: 0x30, set: 0x31, context0: 0xa0 } as const;

/** Reads one node at `offset`; `end` is where the enclosing content stops. */
function readNode(buf: Buffer, offset: number, end: number, depth: number): { node: Asn1Node; next: number } {
  if (depth > MAX_DEPTH) throw new Asn1Error('ASN.1 nested too deeply');
  if (offset + 2 > end) throw new Asn1Error('ASN.1 truncated');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new Asn1Error('ASN.1 multi-byte tags are not used by CMS');
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const first = buf[pos++] as number;
  let length: number | null;
  if (first < 0x80) length = first;
  else if (first === 0x80) length = null;
  else {
    const n = first & 0x7f;
    if (n > 4 || pos + n > end) throw new Asn1Error('ASN.1 length out of range');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[pos++] as number);
  }
  if (length === null) {
    if (!constructed) throw new Asn1Error('ASN.1 indefinite length on a primitive value');
    const children: Asn1Node[] = [];
    for (;;) {
      if (pos + 2 > end) throw new Asn1Error('ASN.1 indefinite length without end marker');
      if (buf[pos] === 0 && buf[pos + 1] === 0) break;
      const r = readNode(buf, pos, end, depth + 1);
      children.push(r.node);
      pos = r.next;
    }
    const contentStart = offset + 2;
    return { node: { tag, constructed, raw: buf.subarray(offset, pos + 2), content: buf.subarray(contentStart, pos), children }, next: pos + 2 };
  }
  const contentEnd = pos + length;
  if (contentEnd > end) throw new Asn1Error('ASN.1 value longer than its container');
  const content = buf.subarray(pos, contentEnd);
  const children = constructed ? readAll(buf, pos, contentEnd, depth + 1) : [];
  return { node: { tag, constructed, raw: buf.subarray(offset, contentEnd), content, children }, next: contentEnd };
}

function readAll(buf: Buffer, start: number, end: number, depth: number): Asn1Node[] {
  const nodes: Asn1Node[] = [];
  let pos = start;
  while (pos < end) {
    const r = readNode(buf, pos, end, depth);
    nodes.push(r.node);
    pos = r.next;
  }
  return nodes;
}

/** Parses a buffer that holds exactly one ASN.1 value. */
export function parseAsn1(buf: Buffer): Asn1Node {
  const r = readNode(buf, 0, buf.length, 0);
  if (r.next !== buf.length) throw new Asn1Error('trailing bytes after the ASN.1 value');
  return r.node;
}

/** An OBJECT IDENTIFIER's dotted form. */
export function oidText(node: Asn1Node): string {
  if (node.tag !== TAG.oid || node.content.length === 0) throw new Asn1Error('expected an OBJECT IDENTIFIER');
  const bytes = node.content;
  const first = bytes[0] as number;
  const parts = [Math.min(2, Math.floor(first / 40)), first - 40 * Math.min(2, Math.floor(first / 40))];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i] as number;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** An OCTET STRING's bytes, joined from its segments when it is constructed (BER). */
export function octets(node: Asn1Node): Buffer {
  if ((node.tag & 0x1f) !== TAG.octetString) throw new Asn1Error('expected an OCTET STRING');
  return node.constructed ? Buffer.concat(node.children.map(octets)) : node.content;
}
