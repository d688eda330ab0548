import { build, parse } from 'plist';
import { describe, expect, it } from 'vitest';
import type { PlistValue } from '../../main/drivers/ios/ios-link.js';
import { decodePlistDict, encodePlistXml } from '../../main/drivers/ios/plist-codec.js';
import { NOT_SIMPLE, readXmlPlist, writeXmlPlist } from '../../main/drivers/ios/plist-xml.js';

/**
 * The driver's own XML plist reader and writer against the `plist` package (xmldom): the same
 * values both ways over generated plists, and the full parser wherever a plist holds more than
 * the plist grammar.
 */

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = [
  '',
  'Request',
  'a & b < c > d',
  '"quoted" \'single\'',
  'Schulträger – „Vertrauen“ ✓ 🍎',
  'line\nbreak',
  'tab\tand  spaces ',
  '<dict/>',
  '&amp; literally',
];

function value(next: () => number, depth: number): PlistValue {
  const kind = Math.floor(next() * (depth > 2 ? 6 : 8));
  switch (kind) {
    case 0:
      return STRINGS[Math.floor(next() * STRINGS.length)]!;
    case 1:
      return Math.floor((next() - 0.5) * 2 ** (1 + Math.floor(next() * 52)));
    case 2:
      return Math.round((next() - 0.5) * 1e6) / 1000 + 0.5;
    case 3:
      return next() < 0.5;
    case 4:
      return new Date(Math.floor((next() * 2e12) / 1000) * 1000);
    case 5:
      return Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256)));
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    default: {
      const dict: Record<string, PlistValue> = {};
      for (let i = Math.floor(next() * 5); i > 0; i--) dict[`${STRINGS[Math.floor(next() * STRINGS.length)]}${i}`] = value(next, depth + 1);
      return dict;
    }
  }
}

/** What `plist` gives, in the link's terms (Buffers for data). */
function normalized(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return v.map(normalized);
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalized(x)]));
  return v;
}

function wire(v: PlistValue): Parameters<typeof build>[0] {
  if (Buffer.isBuffer(v)) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(wire);
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wire(x)]));
  return v;
}

describe('XML plists read and written without a DOM', () => {
  it('reads what `plist` writes as `plist` reads it, and writes what `plist` reads back the same (500 generated plists)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const next = random(seed);
      const original: PlistValue = { Request: 'Test', Seed: seed, Body: value(next, 0) };
      const theirs = build(wire(original));
      expect(readXmlPlist(theirs), `seed ${seed}: reading plist's XML`).toEqual(normalized(parse(theirs)));
      const ours = writeXmlPlist(original);
      expect(normalized(parse(ours)), `seed ${seed}: plist reading ours`).toEqual(original);
      expect(readXmlPlist(ours), `seed ${seed}: reading our own`).toEqual(original);
    }
  });

  it('reads what libimobiledevice writes (tabs, Apple header) and keeps integers beyond 2^53 exact', () => {
    const text = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
      '<plist version="1.0">',
      '<dict>',
      '\t<key>Request</key>',
      '\t<string>GetValue</string>',
      '\t<key>UniqueChipID</key>',
      '\t<integer>18446744073709551615</integer>',
      '\t<key>Empty</key>',
      '\t<string/>',
      '\t<key>Data</key>',
      '\t<data>',
      '\tAAEC',
      '\tAwQ=',
      '\t</data>',
      '\t<!-- a comment -->',
      '\t<key>Ref</key>',
      '\t<string>&#x263A;&#65;&#13;</string>',
      '</dict>',
      '</plist>',
      '',
    ].join('\n');
    expect(readXmlPlist(text)).toEqual({
      Request: 'GetValue',
      UniqueChipID: 18446744073709551615n,
      Empty: '',
      Data: Buffer.from([0, 1, 2, 3, 4]),
      Ref: '☺A\r',
    });
    expect(readXmlPlist(writeXmlPlist({ S: 'carriage\r\nreturn' }))).toEqual({ S: 'carriage\r\nreturn' });
  });

  it('leaves what is more than the plist grammar to the full parser, with the same result', () => {
    const wrap = (body: string) => `<?xml version="1.0"?><plist version="1.0"><dict>${body}</dict></plist>`;
    for (const body of [
      '<key>A</key><string><![CDATA[<raw> & text]]></string>',
      '<key>A</key><string xml:space="preserve">x</string>',
      '<key>A</key><integer>0x10</integer>',
      '<key>A</key><string>&nbsp;</string>',
    ]) {
      expect(readXmlPlist(wrap(body)), body).toBe(NOT_SIMPLE);
      expect(decodePlistDict(Buffer.from(wrap(body)), 'test')).toEqual(normalized(parse(wrap(body))));
    }
    // Broken XML still fails as a protocol error naming what came.
    expect(() => decodePlistDict(Buffer.from('<plist><dict><key>A</key>'), 'lockdownd answer')).toThrow(/lockdownd answer: not a readable property list/);
  });

  it('encodePlistXml and decodePlistDict round-trip what the link sends', () => {
    const message: Record<string, PlistValue> = {
      Label: 'benchline',
      Request: 'StartSession',
      HostID: 'ABC',
      ProtocolVersion: '2',
      Big: 2n ** 60n,
      Cert: Buffer.from('-----BEGIN CERTIFICATE-----\n'),
    };
    expect(decodePlistDict(encodePlistXml(message), 'test')).toEqual(message);
  });
});
