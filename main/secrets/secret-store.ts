import crypto from 'node:crypto';
import { message } from '../../shared/messages/catalogue.js';
import type { SecretRows } from '../store/secret-rows.js';
import type { SecretKeyProvider } from './key-providers.js';
import { SecretRedactor } from './secret-redactor.js';
import { SECRET_KINDS, SecretError, checkSecretName, secretTexts, type SecretKind, type SecretSummary, type SecretValue } from './secret-types.js';

/**
 * Secrets encrypted at rest: AES-256-GCM with a random 96-bit nonce per value; the name and kind
 * are the associated data, so a ciphertext copied onto another name does not open. The platform
 * part (where the key lives) is the injected SecretKeyProvider.
 */
export class SecretStore {
  readonly redactor = new SecretRedactor();

  constructor(
    private readonly rows: SecretRows,
    private readonly keys: SecretKeyProvider,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  set(name: string, value: SecretValue): void {
    checkSecretName(name);
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keys.dataKey(), nonce);
    cipher.setAAD(aad(name, value.kind));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const at = this.now();
    const existing = this.rows.get(name);
    this.rows.upsert({ name, kind: value.kind, nonce, ciphertext, tag: cipher.getAuthTag(), createdAt: existing?.createdAt ?? at, updatedAt: at });
    this.redactor.remember(name, secretTexts(value));
  }

  /** The value of a secret; throws SecretError when it is missing or cannot be opened. */
  get(name: string): SecretValue {
    const row = this.rows.get(name);
    if (!row) throw new SecretError(message('secret.missing', { name }));
    let value: SecretValue;
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.keys.dataKey(), row.nonce);
      decipher.setAAD(aad(row.name, row.kind));
      decipher.setAuthTag(row.tag);
      value = JSON.parse(Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString('utf8')) as SecretValue;
    } catch (err) {
      if (err instanceof SecretError) throw err;
      throw new SecretError(message('secret.undecryptable', { name }));
    }
    this.redactor.remember(name, secretTexts(value));
    return value;
  }

  /** A secret of the kind a step needs. */
  getOfKind<K extends SecretKind>(name: string, kind: K): Extract<SecretValue, { kind: K }> {
    const value = this.get(name);
    if (value.kind !== kind) throw new SecretError(message('secret.wrong-kind', { name, kind: value.kind, expected: kind }));
    return value as Extract<SecretValue, { kind: K }>;
  }

  list(): SecretSummary[] {
    return this.rows.list().map((r) => ({
      name: r.name,
      kind: (SECRET_KINDS as readonly string[]).includes(r.kind) ? (r.kind as SecretKind) : 'text',
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    }));
  }

  delete(name: string): boolean {
    return this.rows.delete(name);
  }
}

function aad(name: string, kind: string): Buffer {
  return Buffer.from(`benchline-secret\0${name}\0${kind}`, 'utf8');
}
