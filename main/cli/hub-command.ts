import path from 'node:path';
import type { Command } from 'commander';
import { USER_ROLES, type UserRole } from '../../shared/contract/hub-api.js';
import { RENDERER_DIR, appVersion, defaultDataDir } from '../app-paths.js';
import { MIN_PASSWORD_LENGTH } from '../hub/credentials.js';
import { DatabaseConfigError, isPostgresUrl } from '../hub/db/sql.js';
import { HubSchemaError } from '../hub/db/migrations.js';
import { HubError } from '../hub/hub-errors.js';
import { createHubServer } from '../hub/hub-server.js';
import { HubStore } from '../hub/hub-store.js';
import { createFileLogger } from '../logging/logger.js';
import { CliError } from './cli-error.js';

interface HubDbOptions {
  dataDir?: string;
  db?: string;
}

interface HubServeOptions extends HubDbOptions {
  host: string;
  port: string;
  stallMinutes: string;
}

function dataDirOf(opts: HubDbOptions): string {
  return path.resolve(opts.dataDir ?? defaultDataDir('hub'));
}

/** --db or BENCHLINE_HUB_DB; nothing means SQLite in the data dir. */
function dbUrlOf(opts: HubDbOptions): string | undefined {
  const url = opts.db ?? process.env.BENCHLINE_HUB_DB;
  if (url === undefined || url === '') return undefined;
  if (!isPostgresUrl(url)) throw new CliError(`--db takes a postgres://user:password@host:port/database URL (leave it out for SQLite in the data dir); got "${url}".`, 2);
  return url;
}

async function openStore(opts: HubDbOptions): Promise<HubStore> {
  try {
    return await HubStore.open({ db: dbUrlOf(opts), dataDir: dataDirOf(opts) });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof DatabaseConfigError || err instanceof HubSchemaError) throw new CliError(err.message, 2);
    const code = (err as NodeJS.ErrnoException).code;
    const where = opts.db ? 'PostgreSQL' : path.join(dataDirOf(opts), 'hub.db');
    if (code === 'ECONNREFUSED') throw new CliError(`Cannot reach ${where}: connection refused. Is PostgreSQL running, and is --db right?`);
    throw new CliError(`Cannot open the hub database (${where}): ${(err as Error).message}`);
  }
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--port must be a number between 0 and 65535, got "${value}".`, 2);
  return n;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('--password-stdin reads the password from standard input: pipe it in (printf %s "$PW" | benchline hub add-user ...).', 2);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function serve(opts: HubServeOptions): Promise<void> {
  const listenPort = port(opts.port);
  const stallMinutes = Number(opts.stallMinutes);
  if (!Number.isFinite(stallMinutes) || stallMinutes <= 0) throw new CliError(`--stall-minutes must be a positive number, got "${opts.stallMinutes}".`, 2);
  const dataDir = dataDirOf(opts);
  const dbUrl = dbUrlOf(opts);
  const logger = createFileLogger(dataDir, 'hub');
  const store = await openStore(opts);
  const version = appVersion();
  const app = await createHubServer({ store, logger, version, rendererDir: RENDERER_DIR, stallMinutes, listenUrl: dbUrl ?? null, dataDir });
  try {
    await app.listen({ host: opts.host, port: listenPort });
  } catch (err) {
    await app.close().catch(() => undefined);
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EADDRINUSE' ? `Port ${listenPort} on ${opts.host} is in use: is another hub running? Use --port.` : `Cannot listen on ${opts.host}:${listenPort}: ${(err as Error).message}`);
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : listenPort;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${bound}/`;
  process.stdout.write(`Benchline hub ready\n  Dashboard: ${url}\n  API:       ${url}api/v1/\n  Database:  ${store.db.description}\n  Data:      ${dataDir}\n`);
  logger.log('info', 'hub listening', { url, db: store.db.description });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.log('info', `stopping on ${signal}`);
    await app.close();
    await store.close();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** `benchline hub`, `hub register-station` and `hub add-user` (CONTRACT.md). */
export function addHubCommand(program: Command): void {
  const hub = program
    .command('hub')
    .description('run the central hub, or manage its stations and supervisors')
    .option('--data-dir <dir>', 'where the hub keeps hub.db (SQLite) and its logs')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '4790')
    .option('--db <url>', 'postgres://... to share one database between hub instances (default: SQLite in the data dir)')
    .option('--stall-minutes <n>', 'a run unchanged this long counts as stalled', '10')
    .action(async (opts: HubServeOptions) => serve(opts));

  hub
    .command('register-station <name>')
    .description("register a station; prints its token (give it to the station's --hub-token)")
    .option('--data-dir <dir>', "the hub's data dir")
    .option('--db <url>', 'postgres://... when the hub runs on PostgreSQL')
    .option('--new-token', 'issue a new token for a station already registered (its old one stops working)')
    .action(async (name: string, opts: HubDbOptions & { newToken?: boolean }) => {
      const store = await openStore({ ...hub.opts<HubDbOptions>(), ...opts });
      try {
        const { token, rotated } = await store.registerStation(name, { rotate: opts.newToken === true });
        process.stdout.write(`${token}\n`);
        process.stderr.write(rotated ? `New token for station "${name.trim()}"; the old one no longer works.\n` : `Station "${name.trim()}" registered.\n`);
      } catch (err) {
        if (err instanceof HubError) throw new CliError(err.message);
        throw err;
      } finally {
        await store.close();
      }
    });

  hub
    .command('add-user <name>')
    .description('add a supervisor or admin (or set the password and role of an existing one)')
    .requiredOption('--role <role>', 'supervisor or admin')
    .option('--data-dir <dir>', "the hub's data dir")
    .option('--db <url>', 'postgres://... when the hub runs on PostgreSQL')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (name: string, opts: HubDbOptions & { role: string; passwordStdin?: boolean }) => {
      if (!(USER_ROLES as readonly string[]).includes(opts.role)) throw new CliError(`--role must be supervisor or admin, got "${opts.role}".`, 2);
      if (!/^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u.test(name)) throw new CliError(`User name "${name}" is not usable: 1-64 letters, digits, dots, dashes, underscores or @.`, 2);
      if (!opts.passwordStdin) throw new CliError('Give the password with --password-stdin (it is never taken on the command line, where other users could see it).', 2);
      const password = (await readStdin()).replace(/\r?\n$/, '');
      if (password.length < MIN_PASSWORD_LENGTH) throw new CliError(`The password must have at least ${MIN_PASSWORD_LENGTH} characters.`, 2);
      const store = await openStore({ ...hub.opts<HubDbOptions>(), ...opts });
      try {
        const what = await store.upsertUser(name, password, opts.role as UserRole);
        process.stderr.write(what === 'added' ? `User "${name}" added as ${opts.role}.\n` : `User "${name}" updated: role ${opts.role}, new password, sessions ended.\n`);
      } finally {
        await store.close();
      }
    });
}
