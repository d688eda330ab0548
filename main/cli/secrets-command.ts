import fs from 'node:fs';
import type { Command } from 'commander';
import { message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import { createSupervisionIdentity, identityFromP12 } from '../secrets/identities.js';
import { chooseKeyProvider } from '../secrets/key-providers.js';
import { SecretStore } from '../secrets/secret-store.js';
import { SECRET_KINDS, SecretError, checkSecretName, type SecretKind, type SecretValue } from '../secrets/secret-types.js';
import { SecretRows } from '../store/secret-rows.js';
import { StationStore } from '../store/station-store.js';
import { defaultDataDir } from '../app-paths.js';
import { CliError } from './cli-error.js';
import { printOut } from './terminal-output.js';
import path from 'node:path';

interface DataDirOption {
  dataDir?: string;
}

/** Opens the station's secrets the way the headless station does (key file in the data folder). */
function withSecrets<T>(opts: DataDirOption, use: (secrets: SecretStore) => T): T {
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir('station'));
  const store = new StationStore(path.join(dataDir, 'station.db'));
  try {
    return use(new SecretStore(new SecretRows(store.db), chooseKeyProvider(dataDir, null)));
  } catch (err) {
    if (err instanceof SecretError) throw new CliError(formatMessage(err.text, 'en'));
    throw err;
  } finally {
    store.close();
  }
}

/** Standard input without its final line end: the value is piped, never a command-line argument (ps, shell history). */
function readStdin(): string {
  const text = fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new CliError(formatMessage(message('secret.empty-value'), 'en'));
  return text;
}

function valueOf(kind: SecretKind, text: string, ssid: string | undefined): SecretValue {
  switch (kind) {
    case 'wifi':
      return ssid ? { kind, password: text, ssid } : { kind, password: text };
    case 'token':
      return { kind, token: text };
    case 'text':
      return { kind, text };
    case 'identity':
      throw new CliError(message('cli.identity-source'), 2);
  }
}

function saved(name: string, kind: SecretKind): void {
  printOut(formatMessage(message('secret.saved', { name, kind }), 'en'));
}

/** `benchline secrets set|import-identity|create-identity|list` (CONTRACT.md "Device library, secrets, variants"). */
export function addSecretsCommands(program: Command): void {
  const secrets = program.command('secrets').description('secrets blueprints use by name: identities, Wi-Fi passwords, tokens (stored encrypted)');
  secrets
    .command('set <name>')
    .description('store a secret read from standard input')
    .requiredOption('--stdin', 'read the value from standard input (required: values never go on the command line)')
    .option('--kind <kind>', `one of ${SECRET_KINDS.filter((k) => k !== 'identity').join(', ')}`, 'text')
    .option('--ssid <ssid>', 'for --kind wifi: the network the password is for')
    .option('--data-dir <dir>', 'station data folder')
    .action((name: string, opts: DataDirOption & { kind: string; ssid?: string }) => {
      if (!(SECRET_KINDS as readonly string[]).includes(opts.kind)) throw new CliError(message('cli.secret-kind', { kinds: SECRET_KINDS.join(', ') }), 2);
      const kind = opts.kind as SecretKind;
      checkNameOrFail(name);
      const value = valueOf(kind, readStdin(), opts.ssid);
      withSecrets(opts, (s) => s.set(name, value));
      saved(name, kind);
    });
  secrets
    .command('import-identity <file>')
    .description('store the certificate and private key of a .p12 file as a supervision identity')
    .requiredOption('--password-stdin', "read the .p12 file's password from standard input")
    .option('--name <name>', 'secret name (default: the file name without .p12)')
    .option('--data-dir <dir>', 'station data folder')
    .action((file: string, opts: DataDirOption & { name?: string }) => {
      const name =
        opts.name ??
        path
          .basename(file)
          .replace(/\.(p12|pfx)$/i, '')
          .toLowerCase();
      checkNameOrFail(name);
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch {
        throw new CliError(formatMessage(message('secret.p12-unreadable', { file }), 'en'));
      }
      const password = fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      withSecrets(opts, (s) => s.set(name, identityFromP12(file, bytes, password)));
      saved(name, 'identity');
    });
  secrets
    .command('create-identity <name>')
    .description('make a self-signed supervision identity (RSA 2048, CN = the organisation) and store it')
    .requiredOption('--org <organisation>', 'the supervising organisation')
    .option('--data-dir <dir>', 'station data folder')
    .action((name: string, opts: DataDirOption & { org: string }) => {
      checkNameOrFail(name);
      withSecrets(opts, (s) => s.set(name, createSupervisionIdentity(opts.org)));
      saved(name, 'identity');
    });
  secrets
    .command('list')
    .description('names and kinds of the stored secrets (never their values)')
    .option('--data-dir <dir>', 'station data folder')
    .action((opts: DataDirOption) => {
      const list = withSecrets(opts, (s) => s.list());
      if (list.length === 0) printOut(formatMessage(message('secret.none'), 'en'));
      for (const s of list) printOut(`${s.name}\t${s.kind}\t${s.updatedAt}`);
    });
}

function checkNameOrFail(name: string): void {
  try {
    checkSecretName(name);
  } catch (err) {
    if (err instanceof SecretError) throw new CliError(formatMessage(err.text, 'en'), 2);
    throw err;
  }
}
