import path from 'node:path';
import { Option, type Command } from 'commander';
import { USER_ROLES, type UserRole } from '../../shared/contract/hub-api.js';
import { RENDERER_DIR, appVersion, defaultDataDir } from '../app-paths.js';
import { MIN_PASSWORD_LENGTH } from '../hub/credentials.js';
import { DatabaseConfigError, isPostgresUrl } from '../hub/db/sql.js';
import { HubSchemaError } from '../hub/db/migrations.js';
import { AppError } from '../../shared/contract/errors.js';
import { message } from '../../shared/messages/catalogue.js';
import { createHubServer, hostNamesFromEnv } from '../hub/hub-server.js';
import { HubStore } from '../hub/hub-store.js';
import { createFileLogger } from '../logging/logger.js';
import { allowedHostNames } from './allowed-hosts.js';
import { say } from './terminal-output.js';
import { isUsableUserName, normalUserName } from '../hub/auth/user-name.js';
import { CliError } from './cli-error.js';

interface HubDbOptions {
  dataDir?: string;
  db?: string;
}

interface HubServeOptions extends HubDbOptions {
  host: string;
  port: string;
  stallMinutes: string;
  allowedHost: string[];
}

function dataDirOf(opts: HubDbOptions): string {
  return path.resolve(opts.dataDir ?? defaultDataDir('hub'));
}

/** --db or BENCHLINE_HUB_DB; nothing means SQLite in the data dir. */
function dbUrlOf(opts: HubDbOptions): string | undefined {
  const url = opts.db ?? process.env.BENCHLINE_HUB_DB;
  if (url === undefined || url === '') return undefined;
  if (!isPostgresUrl(url)) throw new CliError(say(message('hub.cli-db-url', { url })), 2);
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
    if (code === 'ECONNREFUSED') throw new CliError(say(message('hub.cli-db-refused', { where })));
    throw new CliError(say(message('hub.cli-db-open', { where, detail: (err as Error).message })));
  }
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(say(message('hub.cli-port', { value })), 2);
  return n;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError(say(message('hub.cli-password-tty')), 2);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function serve(opts: HubServeOptions): Promise<void> {
  const listenPort = port(opts.port);
  const stallMinutes = Number(opts.stallMinutes);
  if (!Number.isFinite(stallMinutes) || stallMinutes <= 0) throw new CliError(say(message('hub.cli-stall-minutes', { value: opts.stallMinutes })), 2);
  const hostNames = [...hostNamesFromEnv(), ...allowedHostNames(opts.host, opts.allowedHost)];
  const dataDir = dataDirOf(opts);
  const dbUrl = dbUrlOf(opts);
  const logger = createFileLogger(dataDir, 'hub');
  const store = await openStore(opts);
  const version = appVersion();
  const app = await createHubServer({ store, logger, version, rendererDir: RENDERER_DIR, stallMinutes, listenUrl: dbUrl ?? null, hostNames, dataDir });
  try {
    await app.listen({ host: opts.host, port: listenPort });
  } catch (err) {
    await app.close().catch(() => undefined);
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      say(
        code === 'EADDRINUSE'
          ? message('hub.cli-port-in-use', { host: opts.host, port: listenPort })
          : message('hub.cli-cannot-listen', { host: opts.host, port: listenPort, detail: (err as Error).message }),
      ),
    );
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : listenPort;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${bound}/`;
  process.stdout.write(`${say(message('hub.cli-ready', { url, db: store.db.description, dataDir }))}\n`);
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
    .addOption(
      new Option('--allowed-host <name>', 'a Host name browsers use for the hub, e.g. behind a reverse proxy (repeatable; BENCHLINE_HUB_HOSTS adds more)')
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([]),
    )
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
        process.stderr.write(`${say(message(rotated ? 'hub.cli-token-rotated' : 'hub.cli-station-registered', { name: name.trim() }))}\n`);
      } catch (err) {
        if (err instanceof AppError) throw new CliError(err.message);
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
      if (!(USER_ROLES as readonly string[]).includes(opts.role)) throw new CliError(say(message('hub.cli-role', { role: opts.role })), 2);
      const user = normalUserName(name);
      if (!isUsableUserName(user)) throw new CliError(say(message('hub.cli-user-name', { name })), 2);
      if (!opts.passwordStdin) throw new CliError(say(message('hub.cli-password-missing')), 2);
      const password = (await readStdin()).replace(/\r?\n$/, '');
      if (password.length < MIN_PASSWORD_LENGTH) throw new CliError(say(message('hub.cli-password-short', { min: MIN_PASSWORD_LENGTH })), 2);
      const store = await openStore({ ...hub.opts<HubDbOptions>(), ...opts });
      try {
        const what = await store.upsertUser(user, password, opts.role as UserRole);
        process.stderr.write(`${say(message(what === 'added' ? 'hub.cli-user-added' : 'hub.cli-user-updated', { name: user, role: opts.role }))}\n`);
      } finally {
        await store.close();
      }
    });
}
