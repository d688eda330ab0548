import { spawn } from 'node:child_process';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { ensureApiToken } from '../api/api-token.js';
import { createStationServer } from '../api/station-http-server.js';
import { APP_ROOT, RENDERER_DIR, RESOURCES_DIR, appVersion, defaultDataDir, electronBinary } from '../app-paths.js';
import { createFileLogger, type Logger } from '../logging/logger.js';
import { checkHubLink, startHubReporting, type HubLink, type OutboxSender } from '../station/outbox-sender.js';
import { DRIVER_NAMES, StationCore, type DriverName } from '../station/station-core.js';
import { CliError } from './cli-error.js';
import { printErr, printOut } from './terminal-output.js';

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
}

/** Checked station settings: what `startStation` needs, in the CLI and in the Electron shell alike. */
export interface StationOptions {
  dataDir: string;
  host: string;
  port: number;
  drivers: DriverName[];
  simulate: number;
  simSpeed: number;
  simFailRate: number;
  simSeed: number;
  blueprintFiles: string[];
  /** Fixed serial ports for the serial driver (--serial-port), e.g. RS-232 or an emulator's PTY. */
  serialPorts?: string[];
  /** Where the built renderer is; the automation API works without it. */
  rendererDir?: string | null;
  resourcesDir?: string;
  version?: string;
  /** The hub to report to (--hub, --hub-token); null: the station works alone. */
  hub?: HubLink | null;
}

/** A started station: core, api-token and the loopback automation API. */
export interface RunningStation {
  core: StationCore;
  server: FastifyInstance;
  token: string;
  dataDir: string;
  logger: Logger;
  /** Base URL of the automation API and the browser UI, e.g. http://127.0.0.1:4780/ */
  url: string;
  /** The outbox sender when the station reports to a hub. */
  hubSender: OutboxSender | null;
  /** Stops the server, then the core; safe to call more than once. */
  close(): Promise<void>;
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
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '4780')
    .option('--hub <url>', 'hub to report to')
    .option('--hub-token <token>', "this station's token from `benchline hub register-station`")
    .option('--drivers <list>', 'device drivers: sim,usb,ios,android,serial', 'sim')
    .option('--simulate <n>', 'make sure N simulated devices are plugged in at start', '0')
    .option('--sim-speed <factor>', '1 = real time, 1000 = a thousand times faster', '1')
    .option('--sim-fail-rate <p>', 'share of simulated steps that fail (0..1)', '0')
    .option('--sim-seed <s>', 'seed for repeatable simulated failures', '1')
    .addOption(new Option('--blueprint <file>', 'blueprint to use (repeatable)').argParser(collect).default([]))
    .addOption(new Option('--serial-port <path>', 'a fixed serial port for the serial driver, e.g. /dev/ttyS0 or an emulator PTY (repeatable)').argParser(collect).default([]));
}

function number(name: string, value: string, min: number, max = Number.POSITIVE_INFINITY): number {
  const n = value === 'max' || value === 'Infinity' ? Number.POSITIVE_INFINITY : Number(value);
  if (!Number.isFinite(n) && !(n === Number.POSITIVE_INFINITY && name === '--sim-speed')) throw new CliError(`${name} must be a number, got "${value}".`, 2);
  if (n < min || n > max) throw new CliError(`${name} must be between ${min} and ${max}, got ${value}.`, 2);
  return n;
}

export function parseDrivers(value: string): DriverName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(DRIVER_NAMES as readonly string[]).includes(n));
  if (bad.length > 0 || names.length === 0) throw new CliError(`--drivers takes a list of ${DRIVER_NAMES.join(', ')}; got "${value}".`, 2);
  return names as DriverName[];
}

/** Checks the flags; throws a CliError (exit 2) naming the bad one. */
export function resolveStationOptions(opts: StationCommandOptions, fallbackDataDir: string): StationOptions {
  const hub = checkHubLink(opts.hub, opts.hubToken);
  if (typeof hub === 'string') throw new CliError(hub, 2);
  const drivers = parseDrivers(opts.drivers);
  if ((opts.serialPort ?? []).length > 0 && !drivers.includes('serial')) throw new CliError('--serial-port needs the serial driver: add "serial" to --drivers.', 2);
  return {
    hub,
    dataDir: path.resolve(opts.dataDir ?? fallbackDataDir),
    host: opts.host,
    port: number('--port', opts.port, 0, 65535),
    drivers,
    simulate: number('--simulate', opts.simulate, 0, 256),
    simSpeed: number('--sim-speed', opts.simSpeed, 0.001),
    simFailRate: number('--sim-fail-rate', opts.simFailRate, 0, 1),
    simSeed: number('--sim-seed', opts.simSeed, 0),
    blueprintFiles: opts.blueprint,
    serialPorts: (opts.serialPort ?? []).map((p) => path.resolve(p)),
  };
}

/**
 * Opens the station core on its data dir, makes sure the api-token exists and serves the automation
 * API (and the built renderer, for browsers) on host:port. Shared by `benchline station --headless`
 * and the Electron shell, so both run the very same station.
 */
export async function startStation(options: StationOptions): Promise<RunningStation> {
  const { dataDir, host, port } = options;
  const version = options.version ?? appVersion();
  const logger = createFileLogger(dataDir, 'station');
  const core = await StationCore.open({
    dataDir,
    resourcesDir: options.resourcesDir ?? RESOURCES_DIR,
    drivers: options.drivers,
    simulate: options.simulate,
    simSpeed: options.simSpeed,
    simFailRate: options.simFailRate,
    simSeed: options.simSeed,
    blueprintFiles: options.blueprintFiles,
    serialPorts: options.serialPorts ?? [],
    version,
    logger,
  });
  let server: FastifyInstance;
  let token: string;
  try {
    token = ensureApiToken(dataDir);
    server = await createStationServer({ core, token, rendererDir: options.rendererDir === undefined ? RENDERER_DIR : options.rendererDir, logger, version });
  } catch (err) {
    await core.close();
    throw err;
  }
  try {
    await server.listen({ host, port });
  } catch (err) {
    await server.close().catch(() => {});
    await core.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EADDRINUSE' ? `Port ${port} on ${host} is in use: is another station running? Use --port.` : `Cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  const address = server.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}/`;
  logger.log('info', 'listening', { url, dataDir });
  const hubSender = options.hub ? startHubReporting(core, options.hub, logger, version) : null;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      try {
        await hubSender?.stop();
        await server.close();
      } finally {
        await core.close();
        logger.flush();
      }
    })();
    return closing;
  };
  return { core, server, token, dataDir, logger, url, hubSender, close };
}

/** `benchline station`: headless here; in an Electron window where an Electron binary exists. */
export async function runStationCommand(opts: StationCommandOptions, argv: readonly string[]): Promise<void> {
  const electron = electronBinary();
  if (!opts.headless) {
    // Bad flags fail here, in the terminal, before a window is started.
    resolveStationOptions(opts, defaultDataDir('station'));
    if (electron) {
      const child = spawn(electron, [path.join(APP_ROOT, 'dist', 'main', 'electron', 'main.js'), ...argv], { stdio: 'inherit' });
      await new Promise<void>((resolve) => child.on('exit', (code) => { process.exitCode = code ?? 1; resolve(); }));
      return;
    }
    printErr('No Electron binary in this install: starting headless. Open the URL below in a browser.');
  }
  const station = await startStation(resolveStationOptions(opts, defaultDataDir('station')));
  const { core, url, token, dataDir, logger } = station;
  printOut(`Benchline station ${core.stationId} ready\n  UI:   ${url}#token=${token}\n  API:  ${url}api/v1/ (Bearer token in ${path.join(dataDir, 'api-token')})\n  Data: ${dataDir}${station.hubSender ? `\n  Hub:  ${station.hubSender.status().hub} (reporting)` : ''}`);

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
