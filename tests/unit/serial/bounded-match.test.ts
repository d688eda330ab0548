import { describe, expect, it } from 'vitest';
import { boundedMatch, MatchTimeoutError } from '../../../main/drivers/serial/bounded-match.js';
import { stripControl } from '../../../main/drivers/serial/device-text.js';
import { MAX_LINE } from '../../../main/drivers/serial/line-buffer.js';

// The pattern from the incident: nested repetition, refused by blueprint validation now, but the
// matcher must stay safe on its own (a pattern the check lets through can still run away).
const runaway = /^(?<serialNumber>([A-Za-z0-9]+)+)$/;

describe('bounded matching of device output', () => {
  it('matches ordinary answers and returns named groups', () => {
    expect(boundedMatch(/^ID serial=(?<serialNumber>\S+)/, 'ID serial=SN-1 model=X')?.groups).toEqual({ serialNumber: 'SN-1' });
    expect(boundedMatch(/^OK saved/, 'ERROR')).toBeNull();
  });

  it('does not run a pattern over a 100 kB line: no match', () => {
    const line = `${'a'.repeat(100_000)}!`;
    expect(boundedMatch(runaway, line)).toBeNull();
    expect(boundedMatch(/a/, line)).toBeNull();
  });

  it('stops a runaway match on the longest line a device can send, with an error naming the pattern', () => {
    const line = `${'a'.repeat(MAX_LINE - 1)}!`;
    let error: unknown = null;
    try {
      boundedMatch(runaway, line);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MatchTimeoutError);
    expect((error as Error).message).toContain('([A-Za-z0-9]+)+');
  });
});

describe('stripControl', () => {
  it("removes control characters and escape sequences' ESC, keeps text, turns tabs into spaces", () => {
    expect(stripControl('SN\u0000-12\u001b[0m\u0007\tX\u0085')).toBe('SN-12[0m X');
    expect(stripControl('Gerät 7')).toBe('Gerät 7');
  });
});
