import { apiErrorSchema } from '../../../shared/contract/errors.js';
import {
  dashboardSchema,
  loginResponseSchema,
  stationShiftSchema,
  stationSlotsSchema,
  type Dashboard,
  type LoginResponse,
  type StationShift,
  type StationSlots,
} from '../../../shared/contract/hub-api.js';
import type { WireMessage } from '../../../shared/messages/schema.js';
import { backoffDelay } from '../../../shared/backoff.js';
import { saveResponseAsFile } from '../common/download.js';

const SESSION_KEY = 'benchline.hub.session';

export type LoginError = 'failed' | 'rateLimited' | 'unreachable';

/** A refusal from the hub's API: its English message, and the catalogue message the dashboard shows in its own language. */
export class HubApiError extends Error {
  constructor(
    message: string,
    readonly text: WireMessage | null,
  ) {
    super(message);
    this.name = 'HubApiError';
  }
}

export class HubLoginError extends Error {
  constructor(
    readonly kind: LoginError,
    /** The hub's own words when it gave some (the backoff's wait). */
    readonly text: WireMessage | null = null,
  ) {
    super(kind);
    this.name = 'HubLoginError';
  }
}

/** The error body of a refused request, or a bare one when the answer is no API error (a proxy's page). */
async function refusal(res: Response): Promise<HubApiError> {
  const parsed = apiErrorSchema.safeParse(await res.json().catch(() => null));
  return parsed.success ? new HubApiError(parsed.data.error.message, parsed.data.error.text ?? null) : new HubApiError(`HTTP ${res.status}`, null);
}

/** The session survives a reload of the tab, not the closing of the browser. */
export function storedSession(): LoginResponse | null {
  try {
    const raw = window.sessionStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const parsed = loginResponseSchema.safeParse(JSON.parse(raw));
    if (!parsed.success || Date.parse(parsed.data.expiresAt) <= Date.now()) return null;
    return parsed.data;
  } catch {
    return null;
  }
}

function storeSession(session: LoginResponse | null): void {
  try {
    if (session) window.sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    else window.sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // Private mode without storage: the session lasts as long as the page.
  }
}

export async function login(username: string, password: string): Promise<LoginResponse> {
  let res: Response;
  try {
    res = await fetch('api/v1/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  } catch {
    throw new HubLoginError('unreachable');
  }
  if (res.status === 429) throw new HubLoginError('rateLimited', (await refusal(res)).text);
  if (!res.ok) throw new HubLoginError(res.status === 401 || res.status === 400 ? 'failed' : 'unreachable');
  const session = loginResponseSchema.parse(await res.json());
  storeSession(session);
  return session;
}

export async function logout(token: string): Promise<void> {
  storeSession(null);
  await fetch('api/v1/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
}

export function forgetSession(): void {
  storeSession(null);
}

export async function setTarget(token: string, devices: number | null, hours?: string): Promise<void> {
  const res = await fetch('api/v1/target', {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(hours === undefined ? { devices } : { devices, hours }),
  });
  if (!res.ok) throw await refusal(res);
}

async function getJson(token: string, url: string): Promise<unknown> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (!res.ok) throw await refusal(res);
  return res.json();
}

/** A station's slots as the hub knows them (drill-down, read-only). */
export async function fetchStationSlots(token: string, stationId: string): Promise<StationSlots> {
  return stationSlotsSchema.parse(await getJson(token, `api/v1/stations/${encodeURIComponent(stationId)}/slots`));
}

/** A station's shifts, newest first: what can be exported. */
export async function fetchStationShifts(token: string, stationId: string): Promise<StationShift[]> {
  return stationShiftSchema.array().parse(await getJson(token, `api/v1/stations/${encodeURIComponent(stationId)}/shifts`));
}

export type ExportKind = 'csv-excel' | 'pdf';

/**
 * Downloads a shift's export. The session travels in the Authorization header (never in a URL), so
 * the file is fetched and handed to the browser as a download; answers the file's name.
 */
export async function downloadShiftExport(token: string, stationId: string, shiftId: string, kind: ExportKind, language: string): Promise<string> {
  const query = kind === 'pdf' ? `format=pdf&locale=${language === 'de' ? 'de' : 'en'}` : 'format=csv&dialect=excel-de';
  const res = await fetch(`api/v1/stations/${encodeURIComponent(stationId)}/shifts/${encodeURIComponent(shiftId)}/export?${query}`, {
    headers: { authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  if (!res.ok) throw await refusal(res);
  return saveResponseAsFile(res, `schicht-${shiftId}.${kind === 'pdf' ? 'pdf' : 'csv'}`);
}

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveHandlers {
  onDashboard(d: Dashboard): void;
  onState(state: LiveState): void;
  /** The session is no longer valid: sign in again. */
  onUnauthorized(): void;
}

/**
 * The hub's live feed (Server-Sent Events) read with fetch, so the session travels in the
 * Authorization header and never in a URL. Reconnects with growing pauses when the hub or the
 * network goes away; answers a function that stops it.
 */
export function openLive(token: string, handlers: LiveHandlers): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  let failures = 0;

  const run = async () => {
    while (!stopped) {
      handlers.onState(failures === 0 ? 'connecting' : 'reconnecting');
      controller = new AbortController();
      try {
        const res = await fetch('api/v1/live', { headers: { authorization: `Bearer ${token}` }, signal: controller.signal, cache: 'no-store' });
        if (res.status === 401) {
          handlers.onUnauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (event === 'logout') {
              handlers.onUnauthorized();
              return;
            }
            if (event === 'dashboard') {
              const parsed = dashboardSchema.safeParse(JSON.parse(data));
              if (parsed.success) {
                failures = 0;
                handlers.onState('live');
                handlers.onDashboard(parsed.data);
              }
            }
          }
        }
      } catch {
        // The hub restarted or the network went away: try again below.
      }
      if (stopped) return;
      failures += 1;
      handlers.onState('reconnecting');
      await new Promise((r) => setTimeout(r, backoffDelay(failures + 1, { baseMs: 500, maxMs: 10_000, jitter: 'half' })));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
