import { escapeControl } from '../../shared/contract/text.js';
import type { Message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';

/** The command line speaks English, as its --help does: a catalogue message in its English words. */
export function say(msg: Message): string {
  return formatMessage(msg, 'en');
}

/**
 * The only way main/cli/* prints: messages carry text from files (blueprints, order files), the
 * hub and devices, and their escape and control characters are shown escaped, never run by the
 * terminal.
 */
export function printOut(line: string): void {
  process.stdout.write(`${escapeControl(line)}\n`);
}

export function printErr(line: string): void {
  process.stderr.write(`${escapeControl(line)}\n`);
}

/** For commander's own help and error output, which brings its line ends along. */
export function writeErrRaw(text: string): void {
  process.stderr.write(escapeControl(text));
}

export function writeOutRaw(text: string): void {
  process.stdout.write(escapeControl(text));
}
