import { z } from 'zod';

/**
 * The one rule for text that people type or scan and devices answer. Control characters are
 * refused where a person entered the text, and stripped where a device answered it: a NUL in an
 * operator name is stored fine by SQLite but refused by PostgreSQL, so one such name would stop a
 * station's reports to a PostgreSQL hub; escape and bidi controls make a name print differently
 * from what it is (in a terminal, a label, a spreadsheet).
 *
 * Refused: C0 controls U+0000–U+001F (tab and line feed only where a field allows them), DEL
 * U+007F, C1 controls U+0080–U+009F, the bidi controls U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069, and the line/paragraph separators U+2028, U+2029.
 */
// eslint-disable-next-line no-control-regex -- this pattern exists to find control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;
const CONTROL_ALL = new RegExp(CONTROL.source, 'gu');

export interface ControlCharAt {
  /** 1-based position of the character in the text. */
  position: number;
  /** "U+0000" */
  codePoint: string;
}

/** The first control character in `text` (tab and line feed pass when `multiline`), or null. */
export function findControlChar(text: string, multiline = false): ControlCharAt | null {
  let position = 0;
  for (const ch of text) {
    position += 1;
    if (multiline && (ch === '\t' || ch === '\n')) continue;
    if (CONTROL.test(ch)) return { position, codePoint: codePointName(ch) };
  }
  return null;
}

/** "U+001B" */
export function codePointName(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The message for a refused character, naming the field: what a technician reads under the input. */
export function controlCharMessage(field: string, at: ControlCharAt): string {
  return `${field} contains an invisible control character (${at.codePoint} at position ${at.position}); type or scan it again without it.`;
}

/**
 * Text as a device answers it (a name, an OS version, a serial port's line): control characters
 * removed, runs of tabs and line breaks turned into one space. Never refuses: the device said it.
 */
export function stripControl(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ').replace(CONTROL_ALL, '');
}

/**
 * Text from a file, a device or the network, made safe to print to a terminal: every control
 * character but line feed and tab is shown as an escape (ESC as \x1b, U+202E as \u202e),
 * so a blueprint or order file cannot move the cursor, recolour or hide what is printed.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL_ALL, (ch) => {
    if (ch === '\n' || ch === '\t') return ch;
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export interface PersonTextOptions {
  min?: number;
  max: number;
  /** Tab and line feed are allowed (a reason, a note). */
  multiline?: boolean;
  /** Leading and trailing white space is removed first (default true). */
  trim?: boolean;
  /** The message when shorter than `min` (default: "FIELD is empty" / "needs at least N characters"). */
  minMessage?: string;
}

/**
 * A zod string for text a person entered or scanned, named `field` in its messages
 * ("operator name contains an invisible control character (U+0000 at position 3) ...").
 */
export function personText(field: string, opts: PersonTextOptions) {
  const base = opts.trim === false ? z.string() : z.string().trim();
  return base
    .min(opts.min ?? 1, opts.minMessage ?? (opts.min === undefined || opts.min <= 1 ? `${field} is empty` : `${field} needs at least ${opts.min} characters`))
    .max(opts.max, `${field} is longer than ${opts.max} characters`)
    .superRefine((value, ctx) => {
      const at = findControlChar(value, opts.multiline ?? false);
      if (at) ctx.addIssue({ code: 'custom', message: controlCharMessage(field, at) });
    });
}
