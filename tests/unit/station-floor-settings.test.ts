import { describe, expect, it } from 'vitest';
import { CliError } from '../../main/cli/cli-error.js';
import { resolveStationOptions, type StationCommandOptions } from '../../main/cli/station-command.js';
import { formatDate, formatDateTime } from '../../renderer/src/common/format.js';

// Issue 13, items 3 and 6: the station's sign-in policy flag, and dates in the locale's format.

const flags: StationCommandOptions = {
  host: '127.0.0.1',
  port: '0',
  drivers: 'sim',
  simulate: '0',
  simSpeed: '1',
  simFailRate: '0',
  simSeed: '1',
  blueprint: [],
  serialPort: [],
};

describe('--sign-in-policy', () => {
  it('takes wait or run, and leaves the stored policy alone when absent', () => {
    expect(resolveStationOptions({ ...flags, signInPolicy: 'run' }, '/tmp/x').signInPolicy).toBe('run');
    expect(resolveStationOptions({ ...flags, signInPolicy: 'wait' }, '/tmp/x').signInPolicy).toBe('wait');
    expect(resolveStationOptions(flags, '/tmp/x')).not.toHaveProperty('signInPolicy');
  });

  it('refuses anything else, naming both choices (exit 2)', () => {
    let thrown: unknown;
    try {
      resolveStationOptions({ ...flags, signInPolicy: 'maybe' }, '/tmp/x');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).exitCode).toBe(2);
    expect((thrown as Error).message).toMatch(/"wait".*"run".*not "maybe"/);
  });
});

describe('station dates', () => {
  it("are the language's: an order's deadline is that calendar day, in German and English", () => {
    expect(formatDate('2026-08-31', 'de')).toBe('31.08.2026');
    expect(formatDate('2026-08-31', 'en')).toBe('Aug 31, 2026');
    expect(formatDate('soon', 'de')).toBe('soon');
  });

  it('a moment has its date and time', () => {
    const at = new Date(2026, 2, 2, 14, 5).toISOString();
    expect(formatDateTime(at, 'de')).toBe('02.03.2026, 14:05');
    // ICU writes a narrow no-break space before PM in some versions.
    expect(formatDateTime(at, 'en')).toMatch(/^Mar 2, 2026, 2:05\sPM$/u);
  });
});
