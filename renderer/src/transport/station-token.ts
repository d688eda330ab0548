/**
 * The headless station's access token, the one place the renderer reads it. The station prints its
 * UI address as http://host:port/#token=...; the token is kept in sessionStorage so a reload (which
 * may drop the hash) still works. The WebSocket and the HTTP downloads both take it from here.
 */
const STORAGE_KEY = 'benchline.token';

function sessionStore(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    // Storage may be unavailable (privacy settings); the hash still works.
    return null;
  }
}

/** The token from the page's hash (remembered for reloads), else the remembered one; null when there is none. */
export function stationToken(location: Location = window.location, storage: Storage | null = sessionStore()): string | null {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, '')).get('token');
  try {
    if (fromHash) storage?.setItem(STORAGE_KEY, fromHash);
    else return storage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    // Not remembered: the hash still works.
  }
  return fromHash;
}
