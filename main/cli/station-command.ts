import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureApiToken } from '../api/api-token.js';
import { createStationServer } from '../api/station-http-server.js';
import { APP_ROOT, RENDERER_DIR, RESOURCES_DIR, appVersion, defaultDataDir, electronBinary } from '../app-paths.js';
import { createFileLogger } from '../logging/logger.js';
import { DRIVER_NAMES, StationCore, type DriverName } from '../station/station-core.js';
import { CliError } from './cli-error.js';

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

/** `benchline station`: headless here; in an Electron window where an Electron binary exists. */
export async function runStationCommand(opts: StationCommandOptions, argv: readonly string[]): Promise<void> {
  const electron = electronBinary();
  if (!opts.headless) {
    if (electron) {
      const child = spawn(electron, [path.join(APP_ROOT, 'dist', 'main', 'electron', 'main.js'), ...argv], { stdio: 'inherit' });
      await new Promise<void>((resolve) => child.on('exit', (code) => { process.exitCode = code ?? 1; resolve(); }));
      return;
    }
    process.stderr.write('No Electron binary in this install: starting headless. Open the URL below in a browser.\n');
  }
  if (opts.hub || opts.hubToken) throw new CliError('--hub and --hub-token are not part of this build yet.', 2);
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir('station'));
  const port = number('--port', opts.port, 0, 65535);
  const config = {
    dataDir,
    resourcesDir: RESOURCES_DIR,
    drivers: parseDrivers(opts.drivers),
    simulate: number('--simulate', opts.simulate, 0, 256),
    simSpeed: number('--sim-speed', opts.simSpeed, 0.001),
    simFailRate: number('--sim-fail-rate', opts.simFailRate, 0, 1),
    simSeed: number('--sim-seed', opts.simSeed, 0),
    blueprintFiles: opts.blueprint,
    version: appVersion(),
  };
  const logger = createFileLogger(dataDir, 'station');
  const core = await StationCore.open({ ...config, logger });
  const token = ensureApiToken(dataDir);
  const server = await createStationServer({ core, token, rendererDir: RENDERER_DIR, logger, version: config.version });
  try {
    await server.listen({ host: opts.host, port });
  } catch (err) {
    await core.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EADDRINUSE' ? `Port ${port} on ${opts.host} is in use: is another station running? Use --port.` : `Cannot listen on ${opts.host}:${port}: ${(err as Error).message}`);
  }
  const address = server.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${boundPort}/`;
  process.stdout.write(`Benchline station ${core.stationId} ready\n  UI:   ${url}#token=${token}\n  API:  ${url}api/v1/ (Bearer token in ${path.join(dataDir, 'api-token')})\n  Data: ${dataDir}\n`);
  logger.log('info', 'listening', { url, dataDir });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log('info', `stopping on ${signal}`);
    await server.close();
    await core.close();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
