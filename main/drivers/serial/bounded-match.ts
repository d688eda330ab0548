import vm from 'node:vm';
import { MAX_LINE } from './line-buffer.js';

/**
 * Matching device output against a blueprint's pattern, bounded in time and input.
 *
 * Blueprint patterns are checked for nested repetition when loaded (shared/blueprint/schema.ts),
 * but a check cannot prove every pattern linear (overlapping alternatives like `(a|a)*` pass it).
 * So every match here runs with two bounds:
 * - input: a line longer than MAX_LINE (4096) characters is not matched at all: answers to a
 *   command are short, and the line buffer cuts longer text into lines of that length anyway.
 * - time: the match runs in a vm script with a MATCH_TIMEOUT_MS timeout. V8 interrupts regular
 *   expression backtracking when the timeout fires, so a pattern that runs away costs the
 *   station's event loop at most that long, once: the script line then fails as a blueprint error.
 * A normal match costs well under a millisecond this way (a serial script matches a few lines).
 */
export const MATCH_TIMEOUT_MS = 100;

/** A pattern took longer than MATCH_TIMEOUT_MS on a device answer: the blueprint must change. */
export class MatchTimeoutError extends Error {
  override name = 'MatchTimeoutError';
  constructor(readonly pattern: string) {
    super(`The blueprint's pattern ${pattern} takes too long on the device's answer (over ${MATCH_TIMEOUT_MS} ms): simplify it (no nested repetition).`);
  }
}

const sandbox = vm.createContext(Object.create(null) as object);
const execInSandbox = new vm.Script('pattern.exec(line)');

/**
 * The pattern's match in `line`, or null when it does not match or the line is too long to match.
 * Throws MatchTimeoutError when the match does not finish in time.
 */
export function boundedMatch(pattern: RegExp, line: string): RegExpExecArray | null {
  if (line.length > MAX_LINE) return null;
  const scope = sandbox as { pattern?: RegExp; line?: string };
  scope.pattern = pattern;
  scope.line = line;
  try {
    return execInSandbox.runInContext(sandbox, { timeout: MATCH_TIMEOUT_MS }) as RegExpExecArray | null;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new MatchTimeoutError(pattern.source);
    throw err;
  } finally {
    delete scope.pattern;
    delete scope.line;
  }
}
