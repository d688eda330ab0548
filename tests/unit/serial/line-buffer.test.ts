import { describe, expect, it } from 'vitest';
import { LineBuffer, looksGarbled, printable } from '../../../main/drivers/serial/line-buffer.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('LineBuffer', () => {
  it('ends lines at CR, LF and CRLF, also when CRLF is split across reads, and drops empty lines', () => {
    const b = new LineBuffer();
    expect(b.push(bytes('OK a\r'))).toEqual(['OK a']);
    expect(b.push(bytes('\nOK b\nOK c\r\n\r\nOK'))).toEqual(['OK b', 'OK c']);
    expect(b.pending()).toBe('OK');
    expect(b.push(bytes(' d\n'))).toEqual(['OK d']);
  });

  it('keeps a UTF-8 character split across reads whole', () => {
    const b = new LineBuffer();
    const all = bytes('name=Grundschule Süd\n');
    const cut = all.indexOf(0xc3) + 1;
    expect(b.push(all.slice(0, cut))).toEqual([]);
    expect(b.push(all.slice(cut))).toEqual(['name=Grundschule Süd']);
  });

  it('does not grow without bound when a device never ends a line', () => {
    const b = new LineBuffer(16);
    const lines = b.push(bytes('x'.repeat(40)));
    expect(lines).toEqual(['x'.repeat(16), 'x'.repeat(16)]);
    expect(b.pending()).toBe('x'.repeat(8));
  });
});

describe('looksGarbled', () => {
  it('tells line noise from text', () => {
    const noise = new LineBuffer().push(Uint8Array.from([0xfe, 0x81, 0x00, 0x9c, 0xff, 0x1b, 0xc3, 0x28, 0x07, 0xfd, 0x0a]))[0] ?? '';
    expect(looksGarbled(noise)).toBe(true);
    expect(looksGarbled('ID serial=SN0001 model=BL-SENSOR-2 fw=2.4.1')).toBe(false);
    expect(looksGarbled('name=Grundschule Süd\tok')).toBe(false);
    expect(printable('a\x00b')).toBe('a\\x00b');
  });
});
