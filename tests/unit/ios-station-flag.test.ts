import { describe, expect, it } from 'vitest';
import { CliError } from '../../main/cli/cli-error.js';
import { resolveStationOptions, type StationCommandOptions } from '../../main/cli/station-command.js';

const base: StationCommandOptions = {
  host: '127.0.0.1',
  port: '0',
  drivers: 'ios,usb',
  simulate: '0',
  simSpeed: '1',
  simFailRate: '0',
  simSeed: '1',
  blueprint: [],
  serialPort: [],
};

function refusal(opts: Partial<StationCommandOptions>): CliError {
  try {
    resolveStationOptions({ ...base, ...opts }, '/tmp/bl-station');
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return err as CliError;
  }
  throw new Error('expected the flags to be refused');
}

describe('--ios-activation-url', () => {
  it('reaches the station options as given, and is absent when not given', () => {
    expect(resolveStationOptions({ ...base, iosActivationUrl: 'http://127.0.0.1:8443/activate' }, '/tmp/x').iosActivationUrl).toBe(
      'http://127.0.0.1:8443/activate',
    );
    expect(resolveStationOptions(base, '/tmp/x')).not.toHaveProperty('iosActivationUrl');
  });

  it('refuses what is no http(s) address, and the flag without the iOS driver, with exit code 2', () => {
    const bad = refusal({ iosActivationUrl: 'ftp://example.org' });
    expect([bad.exitCode, bad.message]).toEqual([2, '--ios-activation-url takes an http or https address, not "ftp://example.org".']);
    expect(refusal({ iosActivationUrl: 'not a url' }).exitCode).toBe(2);
    const noDriver = refusal({ drivers: 'sim', iosActivationUrl: 'https://albert.example.org' });
    expect(noDriver.message).toBe('--ios-activation-url needs the iOS driver: add "ios" to --drivers.');
  });
});
