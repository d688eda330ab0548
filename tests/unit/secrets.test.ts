import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { redactingLogger, type Logger } from '../../main/logging/logger.js';
import { createSupervisionIdentity, identityFromP12 } from '../../main/secrets/identities.js';
import { chooseKeyProvider, keyFileProvider, safeStorageProvider, type OsKeyStore } from '../../main/secrets/key-providers.js';
import { SecretStore } from '../../main/secrets/secret-store.js';
import { SecretError } from '../../main/secrets/secret-types.js';
import { SecretRows } from '../../main/store/secret-rows.js';
import { StationStore } from '../../main/store/station-store.js';

const PASSWORD = 'Wlan-Passwort-7f3a9c';
const temps: string[] = [];
const stores: StationStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const t of temps.splice(0)) fs.rmSync(t, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'secrets-'));
  temps.push(dir);
  return dir;
}
function open(dir: string, provider = keyFileProvider(dir)): SecretStore {
  const station = new StationStore(path.join(dir, 'station.db'));
  stores.push(station);
  return new SecretStore(new SecretRows(station.db), provider);
}

describe('the secret store', () => {
  it('keeps only ciphertext in the database; the key file is 32 bytes, mode 0600', () => {
    const dir = tempDir();
    const secrets = open(dir);
    secrets.set('wifi-school', { kind: 'wifi', password: PASSWORD, ssid: 'Schule' });
    expect(secrets.get('wifi-school')).toEqual({ kind: 'wifi', password: PASSWORD, ssid: 'Schule' });
    expect(secrets.list().map((s) => [s.name, s.kind])).toEqual([['wifi-school', 'wifi']]);
    const key = path.join(dir, 'secrets.key');
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(key)).toHaveLength(32);
    stores.splice(0).forEach((s) => s.close());
    for (const f of fs.readdirSync(dir).filter((f) => f.startsWith('station.db'))) {
      expect(fs.readFileSync(path.join(dir, f)).includes(PASSWORD), f).toBe(false);
    }
  });

  it('a fresh nonce per value: the same value twice gives two ciphertexts', () => {
    const dir = tempDir();
    const secrets = open(dir);
    secrets.set('a', { kind: 'text', text: PASSWORD });
    secrets.set('b', { kind: 'text', text: PASSWORD });
    const db = stores[0]!.db;
    const rows = db.prepare('SELECT nonce, ciphertext FROM secrets ORDER BY name').all() as { nonce: Buffer; ciphertext: Buffer }[];
    expect(rows[0]!.nonce.equals(rows[1]!.nonce)).toBe(false);
    expect(rows[0]!.ciphertext.equals(rows[1]!.ciphertext)).toBe(false);
  });

  it('a ciphertext moved onto another name does not open; another key opens nothing', () => {
    const dir = tempDir();
    const secrets = open(dir);
    secrets.set('a', { kind: 'text', text: PASSWORD });
    secrets.set('b', { kind: 'text', text: 'something-else' });
    const db = stores[0]!.db;
    db.prepare(
      "UPDATE secrets SET nonce = (SELECT nonce FROM secrets WHERE name = 'a'), ciphertext = (SELECT ciphertext FROM secrets WHERE name = 'a'), tag = (SELECT tag FROM secrets WHERE name = 'a') WHERE name = 'b'",
    ).run();
    expect(() => secrets.get('b')).toThrow(/cannot be decrypted/);
    const other = new SecretStore(new SecretRows(db), { kind: 'key-file', dataKey: () => crypto.randomBytes(32) });
    expect(() => other.get('a')).toThrow(/cannot be decrypted/);
  });

  it('refuses a key file others can read, saying how to fix it', () => {
    const dir = tempDir();
    open(dir).set('a', { kind: 'token', token: 'tok-123456' });
    fs.chmodSync(path.join(dir, 'secrets.key'), 0o644);
    expect(() => open(dir).get('a')).toThrow(/can be read by other users \(mode 0644\)\. Make it private with: chmod 600/);
  });

  it('names a missing secret and a bad name', () => {
    const secrets = open(tempDir());
    expect(() => secrets.get('wifi-gym')).toThrow(SecretError);
    expect(() => secrets.get('wifi-gym')).toThrow(/"wifi-gym" is not on this station/);
    expect(() => secrets.set('Bad Name', { kind: 'text', text: 'x' })).toThrow(/not a secret name/);
  });

  it('the app wraps the data key with the OS key store; the file alone opens nothing', () => {
    const dir = tempDir();
    const wrapKey = crypto.randomBytes(32);
    const os: OsKeyStore = {
      isAvailable: () => true,
      encryptString: (t) => Buffer.concat([Buffer.from('os:'), Buffer.from(t).map((b, i) => b ^ wrapKey[i % 32]!)]),
      decryptString: (d) => Buffer.from(d.subarray(3).map((b, i) => b ^ wrapKey[i % 32]!)).toString(),
    };
    const provider = chooseKeyProvider(dir, os);
    expect(provider.kind).toBe('safe-storage');
    open(dir, provider).set('a', { kind: 'text', text: PASSWORD });
    const file = path.join(dir, 'secrets.key.enc');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(dir, 'secrets.key'))).toBe(false);
    expect(open(dir, safeStorageProvider(dir, os)).get('a')).toEqual({ kind: 'text', text: PASSWORD });
    // The command line (no OS key store) cannot read a folder the app protects, and says so.
    expect(() => open(dir, chooseKeyProvider(dir, null)).get('a')).toThrow(/key store is not available/);
  });
});

describe('supervision identities', () => {
  it('imports certificate and key from a .p12 made by openssl; a wrong password is one clear error', () => {
    const dir = tempDir();
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-subj', '/CN=Schultraeger Test', '-days', '2'],
      { cwd: dir, stdio: 'ignore' },
    );
    execFileSync('openssl', ['pkcs12', '-export', '-in', 'c.pem', '-inkey', 'k.pem', '-out', 'id.p12', '-passout', 'pass:p12-pass'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const bytes = fs.readFileSync(path.join(dir, 'id.p12'));
    const id = identityFromP12('id.p12', bytes, 'p12-pass');
    const cert = new crypto.X509Certificate(id.certificatePem);
    expect(cert.subject).toContain('CN=Schultraeger Test');
    expect(cert.checkPrivateKey(crypto.createPrivateKey(id.privateKeyPem))).toBe(true);
    expect(new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'c.pem'))).fingerprint256).toBe(cert.fingerprint256);
    expect(() => identityFromP12('id.p12', bytes, 'wrong')).toThrow(/could not be opened as a \.p12 file/);
  });

  it('creates a self-signed identity whose key matches its certificate, CN = the organisation', () => {
    const id = createSupervisionIdentity('Stadt Musterstadt');
    const cert = new crypto.X509Certificate(id.certificatePem);
    expect(cert.subject).toContain('CN=Stadt Musterstadt');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(crypto.createPrivateKey(id.privateKeyPem))).toBe(true);
  });
});

describe('redaction', () => {
  it('a logger passing the redactor never writes a value the store handed out, in message or fields', () => {
    const secrets = open(tempDir());
    secrets.set('wifi-school', { kind: 'wifi', password: PASSWORD });
    const lines: string[] = [];
    const inner: Logger = { log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`) };
    const logger = redactingLogger(inner, secrets.redactor);
    logger.log('info', `joining with ${PASSWORD}`, { answer: { text: `psk=${PASSWORD};` }, list: [PASSWORD] });
    expect(lines.join('\n')).not.toContain(PASSWORD);
    expect(lines[0]).toContain('[secret wifi-school]');
  });
});
