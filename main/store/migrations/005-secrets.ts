/**
 * Secrets (issue 10): supervision identities, Wi-Fi passwords, enrollment tokens. Only ciphertext
 * is stored (AES-256-GCM, a fresh nonce per value, the name and kind bound in as associated
 * data); the key is outside the database (main/secrets/).
 */
export const migration005 = `
CREATE TABLE secrets (
  name        TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('identity', 'wifi', 'token', 'text')),
  nonce       BLOB NOT NULL,
  ciphertext  BLOB NOT NULL,
  tag         BLOB NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;
`;
