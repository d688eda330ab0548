import { spawn } from 'node:child_process';
import { message } from '../../shared/messages/catalogue.js';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { APP_ROOT, defaultDataDir, electronBinary } from '../app-paths.js';
import { AppError } from '../../shared/contract/errors.js';
import { SIGN_IN_POLICIES, type SignInPolicy } from '../../shared/contract/floor-api.js';
import { parseLaneCaps } from '../pipeline/lanes.js';
import { DRIVER_NAMES, startStation, type DriverName, type StationOptions } from '../station/start-station.js';
import { allowedHostNames } from './allowed-hosts.js';
import { CliError } from './cli-error.js';
import { checkHubLink } from './hub-link-flags.js';
import { printErr, printOut, say } from './terminal-output.js';

/** The station flags as commander hands them over (CONTRACT.md, `benchline station`). */
export interface StationCommandOptions {
  headless?: boolean;
  dataDir?: string;
  host: string;
  port: string;
  hub?: string;
  hubToken?: string;
  drivers: string;
  simulate: string;
  simSpeed: string;
  simFailRate: string;
  simSeed: string;
  blueprint: string[];
  serialPort: string[];
  laneCap?: string;
  allowedHost?: string[];
  iosActivationUrl?: string;
  adb?: string;
  signInPolicy?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * The station flags, defined once: `benchline station` and the Electron shell (which gets the same
 * flags on its own command line) both parse with this.
 */
export function addStationOptions(command: Command): Command {
  return command
    .option('--headless', 'serve the UI and API on loopback instead of opening a window')
    .option('--data-dir <dir>', 'where the station keeps its database and api-token')
    .option('--host <host>', 'address to listen on; browsers may also use it as Host', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '4780')
    .addOption(new Option('--allowed-host <name>', "another Host name browsers may use, e.g. a reverse proxy's (repeatable)").argParser(collect).default([]))
    .option('--hub <url>', 'hub to report to')
    .option('--hub-token <token>', "this station's token from `benchline hub register-station`")
    .option('--drivers <list>', 'device drivers: sim,usb,ios,android,serial', 'sim')
    .option('--simulate <n>', 'make sure N simulated devices are plugged in at start', '0')
    .option('--sim-speed <factor>', '1 = real time, 1000 = a thousand times faster', '1')
    .option('--sim-fail-rate <p>', 'share of simulated steps that fail (0..1)', '0')
    .option('--sim-seed <s>', 'seed for repeatable simulated failures', '1')
    .addOption(new Option('--blueprint <file>', 'blueprint to use (repeatable)').argParser(collect).default([]))
    .addOption(
      new Option('--serial-port <path>', 'a fixed serial port for the serial driver, e.g. /dev/ttyS0 or an emulator PTY (repeatable)')
        .argParser(collect)
        .default([]),
    )
    .option('--lane-cap <caps>', 'heavy steps at once (erase, app install): per USB bus and per driver, e.g. heavy=10,driver=25')
    .option('--ios-activation-url <url>', "the activation server iOS devices are activated through (default: Apple's)")
    .option('--adb <path>', 'the adb binary the android driver starts the adb server with (default: adb on PATH)')
    .option('--sign-in-policy <policy>', 'wait: devices wait until a technician signs in (the default); run: devices also run unattended (scripts)');
}

function number(name: string, value: string, min: number, max = Number.POSITIVE_INFINITY): number {
  const n = value === 'max' || value === 'Infinity' ? Number.POSITIVE_INFINITY : Number(value);
  if (!Number.isFinite(n) && !(n === Number.POSITIVE_INFINITY && name === '--sim-speed'))
    throw new CliError(message('cli.flag-number', { flag: name, value }), 2);
  if (n < min || n > max) throw new CliError(message('cli.flag-range', { flag: name, min, max, value }), 2);
  return n;
}

export function parseDrivers(value: string): DriverName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(DRIVER_NAMES as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) throw new CliError(message('cli.drivers', { names: DRIVER_NAMES.join(', '), value }), 2);
  return names as DriverName[];
}

/** Checks the flags; throws a CliError (exit 2) naming the bad one. */
export function resolveStationOptions(opts: StationCommandOptions, fallbackDataDir: string): StationOptions {
  const hub = checkHubLink(opts.hub, opts.hubToken);
  if (typeof hub === 'string') throw new CliError(hub, 2);
  const drivers = parseDrivers(opts.drivers);
  if ((opts.serialPort ?? []).length > 0 && !drivers.includes('serial')) throw new CliError(message('cli.serial-port-driver'), 2);
  const iosActivationUrl = opts.iosActivationUrl === undefined ? undefined : checkedActivationUrl(opts.iosActivationUrl, drivers);
  return {
    hub,
    dataDir: path.resolve(opts.dataDir ?? fallbackDataDir),
    host: opts.host,
    hostNames: allowedHostNames(opts.host, opts.allowedHost ?? []),
    port: number('--port', opts.port, 0, 65535),
    drivers,
    simulate: number('--simulate', opts.simulate, 0, 256),
    simSpeed: number('--sim-speed', opts.simSpeed, 0.001),
    simFailRate: number('--sim-fail-rate', opts.simFailRate, 0, 1),
    simSeed: number('--sim-seed', opts.simSeed, 0),
    blueprintFiles: opts.blueprint,
    serialPorts: (opts.serialPort ?? []).map((p) => path.resolve(p)),
    ...(opts.laneCap !== undefined ? { laneCaps: checkedLaneCaps(opts.laneCap) } : {}),
    ...(iosActivationUrl !== undefined ? { iosActivationUrl } : {}),
    ...(opts.adb !== undefined ? { adbPath: checkedAdbPath(opts.adb, drivers) } : {}),
    ...(opts.signInPolicy !== undefined ? { signInPolicy: checkedSignInPolicy(opts.signInPolicy) } : {}),
  };
}

/** --ios-activation-url: an http(s) URL, and only with the iOS driver (it is the only one that activates). */
function checkedActivationUrl(value: string, drivers: readonly DriverName[]): string {
  if (!drivers.includes('ios')) throw new CliError(message('cli.ios-activation-url-driver'), 2);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(message('cli.ios-activation-url', { value }), 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(message('cli.ios-activation-url', { value }), 2);
  return value;
}

/** --adb: only with the android driver; a path (with a slash) is made absolute, a bare name is looked up on PATH. */
function checkedAdbPath(value: string, drivers: readonly DriverName[]): string {
  if (!drivers.includes('android')) throw new CliError(message('cli.adb-driver'), 2);
  if (value.trim() === '') throw new CliError(message('cli.adb-empty'), 2);
  return /[\\/]/.test(value) ? path.resolve(value) : value;
}

function checkedSignInPolicy(value: string): SignInPolicy {
  if (!(SIGN_IN_POLICIES as readonly string[]).includes(value)) throw new CliError(message('cli.sign-in-policy', { value }), 2);
  return value as SignInPolicy;
}

/** --lane-cap as given, once it parses (the station parses it again over its own setting). */
function checkedLaneCaps(value: string): string {
  try {
    parseLaneCaps(value);
  } catch (err) {
    if (err instanceof AppError) throw new CliError(err.message, 2);
    throw err;
  }
  return value;
}

/** `benchline station`: headless here; in an Electron window where an Electron binary exists. */
export async function runStationCommand(opts: StationCommandOptions, argv: readonly string[]): Promise<void> {
  const electron = electronBinary();
  if (!opts.headless) {
    // Bad flags fail here, in the terminal, before a window is started.
    resolveStationOptions(opts, defaultDataDir('station'));
    if (electron) {
      const child = spawn(electron, [path.join(APP_ROOT, 'dist', 'main', 'electron', 'main.js'), ...argv], { stdio: 'inherit' });
      await new Promise<void>((resolve) =>
        child.on('exit', (code) => {
          process.exitCode = code ?? 1;
          resolve();
        }),
      );
      return;
    }
    printErr(say(message('cli.no-electron')));
  }
  const station = await startStation(resolveStationOptions(opts, defaultDataDir('station')));
  const { core, url, token, dataDir, logger } = station;
  printOut(
    `Benchline station ${core.stationId} ready\n  UI:   ${url}#token=${token}\n  API:  ${url}api/v1/ (Bearer token in ${path.join(dataDir, 'api-token')})\n  Data: ${dataDir}${station.hubSender ? `\n  Hub:  ${station.hubSender.status().hub} (reporting)` : ''}`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log('info', `stopping on ${signal}`);
    await station.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
