import { message } from '../../../shared/messages/catalogue.js';
import { formatMessage } from '../../../shared/messages/format.js';
import type { StepMessage } from '../step-errors.js';
import { renderTemplate } from '../../../shared/templates/render-template.js';
import { boundedMatch, MATCH_TIMEOUT_MS, MatchTimeoutError } from './bounded-match.js';
import { stripControl } from './device-text.js';
import { looksGarbled, printable } from './line-buffer.js';
import type { SerialLink } from './serial-link.js';

/** One line of a blueprint's serial script (durations in ms, as the blueprint schema parses them). */
export interface SerialScriptLine {
  send?: string | undefined;
  expect?: string | undefined;
  timeout: number;
  retries: number;
}

export type SerialScriptFailure = 'no-answer' | 'garbled' | 'partial' | 'unexpected' | 'device-error' | 'template' | 'slow-pattern';

/** A script line that did not get its answer: what the technician reads, English in `message` for the log. */
export class SerialScriptError extends Error {
  override name = 'SerialScriptError';
  constructor(
    readonly failure: SerialScriptFailure,
    /** 0-based index of the script line. */
    readonly line: number,
    readonly text: StepMessage,
  ) {
    super(formatMessage(text, 'en'));
  }
}

/** What a line was waiting for, inside a failure message: the command it sent, or the answer it expected. */
function asked(line: SerialScriptLine, send: string | undefined) {
  return send !== undefined ? message('serial.asked', { command: printable(send, 40) }) : message('serial.awaited', { pattern: line.expect ?? '' });
}

export interface SerialScriptOptions {
  link: SerialLink;
  script: readonly SerialScriptLine[];
  /** Values `{name}` in a send line can use: the run's captures, serial, deviceName. */
  values: Readonly<Record<string, string | null | undefined>>;
  signal: AbortSignal;
  /** Answers that mean the command failed (the blueprint's errorPattern); null: none. */
  errorPattern: RegExp | null;
  log?: (message: string) => void;
}

type ExpectResult = { ok: true; groups: Record<string, string> } | { ok: false; error: SerialScriptError };

/**
 * Runs send/expect lines on an open port. Every send starts from a clean buffer: what arrived
 * before it (a late or extra answer to the previous command) is logged, never matched. `expect` is
 * a regular expression matched against each received line until one matches or the line's timeout
 * passes; a line matching the error pattern fails the line at once. Named groups are captured
 * (control characters removed) and usable by later lines as `{name}`. A line with `retries` sends
 * again before it fails. Returns the captures.
 */
export async function runSerialScript(opts: SerialScriptOptions): Promise<Record<string, string>> {
  const captured: Record<string, string> = {};
  for (const [index, line] of opts.script.entries()) {
    let send: string | undefined;
    if (line.send !== undefined) {
      const rendered = renderTemplate(line.send, { ...opts.values, ...captured });
      if (rendered.missing.length > 0) {
        throw new SerialScriptError('template', index, message('serial.template', { line: index + 1, fields: `{${rendered.missing.join('}, {')}}` }));
      }
      send = rendered.text;
    }
    const pattern = line.expect === undefined ? null : new RegExp(line.expect);
    let failure: SerialScriptError | null = null;
    for (let attempt = 0; attempt <= line.retries; attempt++) {
      if (attempt > 0) opts.log?.(`serial: line ${index + 1} again (${attempt} of ${line.retries}): ${failure?.message ?? ''}`);
      if (send !== undefined) {
        for (const stale of opts.link.discardInput()) opts.log?.(`serial: before line ${index + 1}, ignored "${printable(stale)}"`);
        await opts.link.writeLine(send);
      }
      if (!pattern) {
        failure = null;
        break;
      }
      const result = await expectLine(opts, pattern, line, send, index);
      if (result.ok) {
        Object.assign(captured, result.groups);
        failure = null;
        break;
      }
      failure = result.error;
    }
    if (failure) throw failure;
  }
  return captured;
}

async function expectLine(opts: SerialScriptOptions, pattern: RegExp, line: SerialScriptLine, send: string | undefined, index: number): Promise<ExpectResult> {
  const seen: string[] = [];
  const deadline = Date.now() + line.timeout;
  for (;;) {
    const received = await opts.link.nextLine(Math.max(0, deadline - Date.now()), opts.signal);
    if (received === null) break;
    const m = matchOrFail(pattern, received, index);
    if (m) {
      const groups: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) groups[k] = stripControl(v);
      return { ok: true, groups };
    }
    if (opts.errorPattern && matchOrFail(opts.errorPattern, received, index)) {
      const text = message('serial.device-error', { command: asked(line, send), answer: printable(received), line: index + 1 });
      return { ok: false, error: new SerialScriptError('device-error', index, text) };
    }
    seen.push(received);
    if (seen.length > 20) seen.shift();
  }
  return { ok: false, error: explain(opts.link, line, send, index, seen) };
}

/** Why a line got no matching answer, in words that tell the technician what to check. */
function explain(link: SerialLink, line: SerialScriptLine, send: string | undefined, index: number, seen: readonly string[]): SerialScriptError {
  const command = asked(line, send);
  const partial = link.partialLine();
  const garbled = [...seen, partial].find((l) => looksGarbled(l));
  if (garbled !== undefined) {
    return new SerialScriptError('garbled', index, message('serial.garbled', { command, answer: printable(garbled, 30), baudRate: link.settings.baudRate }));
  }
  if (partial.length > 0) {
    return new SerialScriptError('partial', index, message('serial.partial', { command, answer: printable(partial) }));
  }
  const last = seen.at(-1);
  if (last !== undefined) {
    return new SerialScriptError(
      'unexpected',
      index,
      message('serial.unexpected', { command, answer: printable(last), line: index + 1, expect: line.expect ?? '' }),
    );
  }
  return new SerialScriptError('no-answer', index, message('serial.no-answer', { command, seconds: Math.round(line.timeout / 100) / 10 }));
}

/** A bounded match; a pattern that runs away is a blueprint error, not a device's. */
function matchOrFail(pattern: RegExp, received: string, index: number): RegExpExecArray | null {
  try {
    return boundedMatch(pattern, received);
  } catch (err) {
    if (err instanceof MatchTimeoutError)
      throw new SerialScriptError('slow-pattern', index, message('serial.slow-pattern', { pattern: err.pattern, ms: MATCH_TIMEOUT_MS }));
    throw err;
  }
}
