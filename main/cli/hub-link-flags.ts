import type { HubLink } from '../hub-link/outbox-sender.js';

/** Checks --hub/--hub-token; answers an error message a person can act on, or the link. */
export function checkHubLink(url: string | undefined, token: string | undefined): HubLink | null | string {
  if (!url && !token) return null;
  if (!url || !token) return '--hub and --hub-token go together: the hub\'s URL and the token "benchline hub register-station NAME" printed.';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `--hub must be the hub's URL, e.g. http://hub.example:4790/; got "${url}".`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `--hub must be an http:// or https:// URL; got "${url}".`;
  if (token.trim().length < 16) return '--hub-token looks cut off: use the whole token "benchline hub register-station" printed.';
  return { url: parsed.toString(), token: token.trim() };
}
