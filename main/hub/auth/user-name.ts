/**
 * Supervisors' user names are people's names ("Anna Schulz"), so they may hold spaces. A name is
 * stored and looked up in one form: Unicode NFC, trimmed, runs of spaces made one; "Anna  Schulz"
 * typed at the login is the user "Anna Schulz".
 */
export function normalUserName(raw: string): string {
  return raw.normalize('NFC').trim().replace(/ {2,}/g, ' ');
}

/** 1-64 characters: letters, digits, `.`, `_`, `@`, `-`, and single spaces between them; a letter or digit first. */
export function isUsableUserName(name: string): boolean {
  return /^[\p{L}\p{N}](?:[\p{L}\p{N}._@-]| (?=[\p{L}\p{N}._@-])){0,63}$/u.test(name);
}
