import { message, type Message } from '../../shared/messages/catalogue.js';
import { formatMessage } from '../../shared/messages/format.js';
import type { SecretValue } from '../drivers/driver.js';

export const SECRET_KINDS = ['identity', 'wifi', 'token', 'text'] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

// The value type is part of the driver interface (a step gets it through ctx.secret).
export type { SecretValue } from '../drivers/driver.js';

/** What `secrets list` and the API may show of a secret. */
export interface SecretSummary {
  name: string;
  kind: SecretKind;
  createdAt: string;
  updatedAt: string;
}

export const SECRET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** A secret could not be stored or read; the message says what to do, and never holds a value. */
export class SecretError extends Error {
  override name = 'SecretError';
  constructor(readonly text: Message) {
    super(formatMessage(text, 'en'));
  }
}

export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name)) throw new SecretError(message('secret.name-invalid', { name }));
}

/** The texts of a value, the redactor hides them wherever they turn up. */
export function secretTexts(value: SecretValue): string[] {
  switch (value.kind) {
    case 'identity':
      return [value.privateKeyPem, ...pemBodies(value.privateKeyPem)];
    case 'wifi':
      // The redactor also hides it as it reads inside JSON (a QR provisioning payload carries it there).
      return [value.password];
    case 'token':
      return [value.token];
    case 'text':
      return [value.text];
  }
}

/** A PEM's base64 lines, each long enough to be unmistakable: a logged key is often cut into lines. */
function pemBodies(pem: string): string[] {
  return pem.split(/\r?\n/).filter((l) => l.length >= 16 && !l.startsWith('-----'));
}
