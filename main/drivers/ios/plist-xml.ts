/**
 * XML property lists read and written directly, for the lockdown and service messages a station
 * exchanges with every iPad (a few hundred per device): the `plist` package builds a DOM through
 * xmldom for each, about 0.3 ms a message and most of the driver's own CPU on a bench of 64
 * (npm run bench:ios). This reads the plist grammar only (dict, array, key, string, integer, real,
 * true, false, data, date; the XML declaration, DOCTYPE, comments and the five entities plus
 * character references); anything else (CDATA, other markup) returns NOT_SIMPLE and the caller
 * uses the full parser. Values come as `plist` gives them: numbers (a bigint for an integer
 * beyond 2^53), Buffers for data, Dates.
 */

import type { PlistValue as Value } from './ios-link.js';

export const NOT_SIMPLE = Symbol('not a simple XML plist');

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(text: string): string | typeof NOT_SIMPLE {
  // XML reads every line break as \n (a \r the writer meant is a character reference).
  const raw = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  if (!raw.includes('&')) return raw;
  let bad = false;
  const decoded = raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (whole, name: string | undefined) => {
    if (!name) return ((bad = true), whole);
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const entity = ENTITIES[name];
    if (entity === undefined) bad = true;
    return entity ?? whole;
  });
  return bad ? NOT_SIMPLE : decoded;
}

class Reader {
  private pos = 0;
  constructor(private readonly text: string) {}

  /** The document's value, or NOT_SIMPLE. */
  document(): Value | typeof NOT_SIMPLE {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skipProlog();
    if (!this.text.startsWith('<plist', this.pos)) return NOT_SIMPLE;
    const open = this.text.indexOf('>', this.pos);
    if (open < 0) return NOT_SIMPLE;
    this.pos = open + 1;
    const value = this.value();
    if (value === NOT_SIMPLE) return NOT_SIMPLE;
    this.skipSpaceAndComments();
    if (!this.text.startsWith('</plist>', this.pos)) return NOT_SIMPLE;
    this.pos += 8;
    this.skipSpaceAndComments();
    return this.pos === this.text.length ? value : NOT_SIMPLE;
  }

  private skipProlog(): void {
    for (;;) {
      this.skipSpaceAndComments();
      if (this.text.startsWith('<?', this.pos) || this.text.startsWith('<!DOCTYPE', this.pos)) {
        const end = this.text.indexOf('>', this.pos);
        if (end < 0) return;
        this.pos = end + 1;
      } else return;
    }
  }

  private skipSpaceAndComments(): void {
    for (;;) {
      while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
      if (!this.text.startsWith('<!--', this.pos)) return;
      const end = this.text.indexOf('-->', this.pos + 4);
      this.pos = end < 0 ? this.text.length : end + 3;
    }
  }

  /** "<name>" or "<name/>" at the current position (after space): [name, selfClosing], or null. */
  private tag(): [string, boolean] | null {
    this.skipSpaceAndComments();
    const match = /^<([a-z]+)\s*(\/?)>/.exec(this.text.slice(this.pos, this.pos + 16));
    if (!match) return null;
    this.pos += match[0].length;
    return [match[1]!, match[2] === '/'];
  }

  /** Consumes "</name>" (after space) when it comes next. */
  private closes(name: string): boolean {
    this.skipSpaceAndComments();
    if (!this.text.startsWith(`</${name}>`, this.pos)) return false;
    this.pos += name.length + 3;
    return true;
  }

  /** The text up to "</name>", consumed; NOT_SIMPLE when other markup comes first. */
  private textUntil(name: string): string | typeof NOT_SIMPLE {
    const close = `</${name}>`;
    const end = this.text.indexOf(close, this.pos);
    if (end < 0) return NOT_SIMPLE;
    const raw = this.text.slice(this.pos, end);
    if (raw.includes('<')) return NOT_SIMPLE;
    this.pos = end + close.length;
    return decodeText(raw);
  }

  private value(): Value | typeof NOT_SIMPLE {
    const tag = this.tag();
    if (!tag) return NOT_SIMPLE;
    const [name, empty] = tag;
    switch (name) {
      case 'dict':
        return empty ? {} : this.dict();
      case 'array':
        return empty ? [] : this.array();
      case 'true':
      case 'false':
        if (!empty && !this.closes(name)) return NOT_SIMPLE;
        return name === 'true';
      case 'string':
      case 'integer':
      case 'real':
      case 'data':
      case 'date': {
        const text = empty ? '' : this.textUntil(name);
        return text === NOT_SIMPLE ? NOT_SIMPLE : scalar(name, text);
      }
      default:
        return NOT_SIMPLE;
    }
  }

  private dict(): Value | typeof NOT_SIMPLE {
    const out: { [key: string]: Value } = {};
    for (;;) {
      if (this.closes('dict')) return out;
      const tag = this.tag();
      if (!tag || tag[0] !== 'key') return NOT_SIMPLE;
      const key = tag[1] ? '' : this.textUntil('key');
      if (key === NOT_SIMPLE) return NOT_SIMPLE;
      const value = this.value();
      if (value === NOT_SIMPLE) return NOT_SIMPLE;
      out[key] = value;
    }
  }

  private array(): Value | typeof NOT_SIMPLE {
    const out: Value[] = [];
    for (;;) {
      if (this.closes('array')) return out;
      const value = this.value();
      if (value === NOT_SIMPLE) return NOT_SIMPLE;
      out.push(value);
    }
  }
}

function scalar(name: string, text: string): Value | typeof NOT_SIMPLE {
  switch (name) {
    case 'string':
      return text;
    case 'integer': {
      const trimmed = text.trim();
      if (!/^[+-]?\d+$/.test(trimmed)) return NOT_SIMPLE;
      const n = Number(trimmed);
      return Number.isSafeInteger(n) ? n : BigInt(trimmed);
    }
    case 'real': {
      const n = Number(text.trim());
      return text.trim() === '' || Number.isNaN(n) ? NOT_SIMPLE : n;
    }
    case 'data':
      return Buffer.from(text.replace(/\s+/g, ''), 'base64');
    default: {
      const date = new Date(text.trim());
      return Number.isNaN(date.getTime()) ? NOT_SIMPLE : date;
    }
  }
}

/** The value of an XML plist, or NOT_SIMPLE when it holds more than the plist grammar (the caller then uses a full XML parser). */
export function readXmlPlist(text: string): Value | typeof NOT_SIMPLE {
  return new Reader(text).document();
}

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n';

/** Markup characters as entities, and \r as a reference so that it survives XML's line-break reading. */
function escapeText(text: string): string {
  return /[&<>\r]/.test(text) ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;') : text;
}

function write(value: Value, out: string[]): void {
  if (typeof value === 'string') out.push(`<string>${escapeText(value)}</string>`);
  else if (typeof value === 'boolean') out.push(value ? '<true/>' : '<false/>');
  else if (typeof value === 'bigint') out.push(`<integer>${value}</integer>`);
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`a plist cannot hold the number ${value}`);
    out.push(Number.isInteger(value) ? `<integer>${value}</integer>` : `<real>${value}</real>`);
  } else if (value instanceof Date) out.push(`<date>${value.toISOString().replace(/\.\d{3}Z$/, 'Z')}</date>`);
  else if (Buffer.isBuffer(value)) out.push(`<data>${value.toString('base64')}</data>`);
  else if (Array.isArray(value)) {
    out.push('<array>');
    for (const item of value) write(item, out);
    out.push('</array>');
  } else {
    out.push('<dict>');
    for (const [key, item] of Object.entries(value)) {
      out.push(`<key>${escapeText(key)}</key>`);
      write(item, out);
    }
    out.push('</dict>');
  }
}

/** XML plist text of a value: Apple's header and DOCTYPE, no indentation (lockdownd reads any layout). */
export function writeXmlPlist(value: Value): string {
  const out = [HEADER];
  write(value, out);
  out.push('\n</plist>\n');
  return out.join('');
}
