/**
 * Splits what a serial device sends into lines. Any of CR, LF and CRLF ends a line (devices mix
 * them); empty lines are dropped. A device that sends without ever ending a line cannot grow the
 * buffer without bound: past `maxLine` characters the text is handed on as one (garbled) line.
 */
/** The longest line a device can send; longer text is cut into lines of this length. */
export const MAX_LINE = 4096;

export class LineBuffer {
  private partial = '';
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(private readonly maxLine = MAX_LINE) {}

  /** Feeds received bytes; returns the lines they complete. */
  push(chunk: Uint8Array): string[] {
    this.partial += this.decoder.decode(chunk, { stream: true });
    const lines: string[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.partial);
      if (!m) break;
      const line = this.partial.slice(0, m.index);
      this.partial = this.partial.slice(m.index + m[0].length);
      if (line.length > 0) lines.push(line);
    }
    while (this.partial.length > this.maxLine) {
      lines.push(this.partial.slice(0, this.maxLine));
      this.partial = this.partial.slice(this.maxLine);
    }
    return lines;
  }

  /** What has arrived since the last line ending: a device that stopped mid-answer leaves it here. */
  pending(): string {
    return this.partial;
  }

  clear(): void {
    this.partial = '';
  }
}

/**
 * True when a line is not text a device would send: many control characters or bytes that are not
 * valid UTF-8 (what a wrong baud rate or a noisy cable produces).
 */
export function looksGarbled(line: string): boolean {
  if (line.length === 0) return false;
  let bad = 0;
  for (const ch of line) {
    const c = ch.codePointAt(0) ?? 0;
    if (c === 0xfffd || (c < 0x20 && c !== 0x09) || c === 0x7f || (c >= 0x80 && c < 0xa0)) bad++;
  }
  return bad / line.length > 0.1;
}

/** A line shown to a technician: control characters visible, long lines cut. */
export function printable(line: string, max = 60): string {
  // eslint-disable-next-line no-control-regex
  const shown = line.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > max ? `${shown.slice(0, max)}…` : shown;
}
