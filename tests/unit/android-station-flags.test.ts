import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../main/cli/cli-error.js';
import { resolveStationOptions, type StationCommandOptions } from '../../main/cli/station-command.js';
import { adbServerPort } from '../../main/drivers/android/adb-server-process.js';

const BASE: StationCommandOptions = {
  host: '127.0.0.1',
  port: '4780',
  drivers: 'android',
  simulate: '0',
  simSpeed: '1',
  simFailRate: '0',
  simSeed: '1',
  blueprint: [],
  serialPort: [],
};

describe('station flags for the Android driver', () => {
  it('--adb PATH goes to the station absolute; a bare name stays for PATH lookup; without the android driver it is refused', () => {
    expect(resolveStationOptions({ ...BASE, adb: 'tools/adb' }, '/tmp/d').adbPath).toBe(path.resolve('tools/adb'));
    expect(resolveStationOptions({ ...BASE, adb: 'adb' }, '/tmp/d').adbPath).toBe('adb');
    expect(resolveStationOptions(BASE, '/tmp/d').adbPath).toBeUndefined();
    expect(() => resolveStationOptions({ ...BASE, drivers: 'sim', adb: '/usr/bin/adb' }, '/tmp/d')).toThrow(CliError);
  });

  it('takes the adb server port from ANDROID_ADB_SERVER_PORT, else 5037, and refuses a non-port', () => {
    expect(adbServerPort({})).toBe(5037);
    expect(adbServerPort({ ANDROID_ADB_SERVER_PORT: '15037' })).toBe(15037);
    expect(() => adbServerPort({ ANDROID_ADB_SERVER_PORT: 'x' })).toThrow(/ANDROID_ADB_SERVER_PORT/);
  });
});
