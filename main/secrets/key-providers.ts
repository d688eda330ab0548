import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { message } from '../../shared/messages/catalogue.js';
import { SecretError } from './secret-types.js';

/** Gives the 32-byte data key the secrets are encrypted with; where it lives is the provider's business. */
export interface SecretKeyProvider {
  readonly kind: 'key-file' | 'safe-storage';
  dataKey(): Buffer;
}

const KEY_BYTES = 32;

/** Writes a new file readable by its owner only; 'wx' so two processes never both create one. */
function writePrivate(file: string, bytes: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600); // the umask may have taken bits away, never added: this makes it exact
}

/** Refuses a key file group or others can read: anyone who can read it can read every secret. */
function readPrivate(file: string): Buffer {
  const mode = fs.statSync(file).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new SecretError(message('secret.key-exposed', { file, mode: mode.toString(8).padStart(4, '0') }));
  }
  return fs.readFileSync(file);
}

function readOrCreate(file: string, create: () => Buffer): Buffer {
  try {
    return readPrivate(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    writePrivate(file, create());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readPrivate(file);
}

/** Headless stations: DATA_DIR/secrets.key, 32 random bytes, mode 0600, made on first use. */
export function keyFileProvider(dataDir: string): SecretKeyProvider {
  const file = path.join(dataDir, 'secrets.key');
  let key: Buffer | null = null;
  return {
    kind: 'key-file',
    dataKey() {
      if (key) return key;
      const bytes = readOrCreate(file, () => crypto.randomBytes(KEY_BYTES));
      if (bytes.length !== KEY_BYTES) throw new SecretError(message('secret.key-invalid', { file }));
      key = bytes;
      return key;
    },
  };
}

/** The operating system's key store as Electron's safeStorage offers it (injected from main/electron/). */
export interface OsKeyStore {
  isAvailable(): boolean;
  encryptString(text: string): Buffer;
  decryptString(data: Buffer): string;
}

/**
 * The app: a random data key, kept in DATA_DIR/secrets.key.enc encrypted by the OS key store, so
 * the file alone (a copied disk, a backup) opens nothing. Mode 0600 all the same.
 */
export function safeStorageProvider(dataDir: string, os: OsKeyStore): SecretKeyProvider {
  const file = path.join(dataDir, 'secrets.key.enc');
  let key: Buffer | null = null;
  return {
    kind: 'safe-storage',
    dataKey() {
      if (key) return key;
      if (!os.isAvailable()) throw new SecretError(message('secret.keystore-unavailable'));
      const wrapped = readOrCreate(file, () => os.encryptString(crypto.randomBytes(KEY_BYTES).toString('base64')));
      let bytes: Buffer;
      try {
        bytes = Buffer.from(os.decryptString(wrapped), 'base64');
      } catch {
        throw new SecretError(message('secret.key-invalid', { file }));
      }
      if (bytes.length !== KEY_BYTES) throw new SecretError(message('secret.key-invalid', { file }));
      key = bytes;
      return key;
    },
  };
}

/**
 * The provider of a data folder. A folder whose secrets were first stored with a key file keeps
 * it (a station set up headless keeps its secrets in the app); otherwise the app uses the OS key
 * store. The command line has no OS key store: on a folder protected by one it refuses. Decided
 * when a secret is first used, so a station that uses none never touches the key store.
 */
export function chooseKeyProvider(dataDir: string, os: OsKeyStore | null): SecretKeyProvider {
  let chosen: SecretKeyProvider | null = null;
  const choose = (): SecretKeyProvider => {
    const wrapped = fs.existsSync(path.join(dataDir, 'secrets.key.enc'));
    if (os && !fs.existsSync(path.join(dataDir, 'secrets.key')) && (wrapped || os.isAvailable())) return safeStorageProvider(dataDir, os);
    if (wrapped && !os) throw new SecretError(message('secret.keystore-unavailable'));
    return keyFileProvider(dataDir);
  };
  return {
    get kind() {
      return (chosen ??= choose()).kind;
    },
    dataKey() {
      return (chosen ??= choose()).dataKey();
    },
  };
}
