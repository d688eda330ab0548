import { CommanderError } from 'commander';
import type { Message } from '../../shared/messages/catalogue.js';
import { printErr, say } from './terminal-output.js';

/** A command-line error: printed as one line (a catalogue message in English), exit code 1 (or 2 for bad usage). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: Message | string,
    readonly exitCode = 1,
  ) {
    super(typeof message === 'string' ? message : say(message));
  }
}

/** Prints a failed command's error as one escaped line and answers its exit code. */
export function reportCliError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  printErr(`benchline: ${err instanceof Error ? err.message : String(err)}`);
  return err instanceof CliError ? err.exitCode : 1;
}
