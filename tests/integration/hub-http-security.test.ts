import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubServer } from '../../main/hub/hub-server.js';
import type { RouteInfo } from '../../main/http/http-app.js';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../../main/logging/logger.js';
import { openTestStore } from './hub-helpers.js';
import { concretePath, isErrorBody, pathVariants, probeBody, probeRoutes, rawRequest } from './security-probes.js';

let app: FastifyInstance;
let close: () => Promise<void>;
let port: number;
let routes: RouteInfo[];
let session: string;

/** The hub's API routes that need no session; every other one must (deny by default). */
const EXPECTED: Record<string, RouteInfo['access']> = {
  'GET /api/v1/health': 'public',
  'POST /api/v1/login': 'public',
  'POST /api/v1/ingest': 'station',
  // 'PUT /api/v1/target' is a supervisor's since issue 13 (the default, so not listed).
  // The centre's device library: stations fetch items with their token, an admin puts them.
  'GET /api/v1/library': 'station',
  'GET /api/v1/library/:sha256': 'station',
  'PUT /api/v1/library/:sha256': 'admin',
};

beforeAll(async () => {
  const opened = await openTestStore('sqlite');
  close = opened.close;
  await opened.store.upsertUser('root', 'admin-pass-12345', 'admin');
  app = await createHubServer({
    store: opened.store,
    logger: silentLogger,
    version: 'test',
    rendererDir: null,
    dataDir: opened.dataDir,
    hostNames: ['hub.example.org'],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  routes = probeRoutes(app.hubRoutes ?? []);
  const login = await rawRequest(port, 'POST', '/api/v1/login', {}, JSON.stringify({ username: 'root', password: 'admin-pass-12345' }));
  session = (JSON.parse(login.body) as { token: string }).token;
}, 30_000);
afterAll(async () => {
  await app?.close();
  await close?.();
});

describe('hub HTTP: every route', () => {
  it('the route list comes from the server and every API route not named here needs a session', () => {
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining(['GET /api/v1/stations', 'GET /api/v1/live', 'POST /api/v1/ingest', 'POST /api/v1/logout']),
    );
    for (const r of routes.filter((x) => x.url.startsWith('/api/')))
      expect(r.access, `${r.method} ${r.url}`).toBe(EXPECTED[`${r.method} ${r.url}`] ?? 'supervisor');
  });

  it('answers 401 without a session or token, with a wrong one, and to every encoded spelling of the path', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.access !== 'public')) {
      const p = concretePath(r.url);
      for (const t of [
        { name: 'none', path: p, headers: {} },
        { name: 'wrong', path: p, headers: { authorization: 'Bearer blu_forged' } },
        ...pathVariants(p).map((v) => ({ ...v, headers: {} })),
      ]) {
        // A well-formed batch: the station token is checked by the store once the batch validates.
        const body = r.url === '/api/v1/ingest' ? '{"stationId":"x","events":[]}' : probeBody(r.method);
        const res = await rawRequest(port, r.method, t.path, t.headers, body);
        if (res.status !== 401 || !isErrorBody(res.body, 'unauthorized'))
          failures.push(`${r.method} ${t.path} (${t.name}): ${res.status} ${res.body.slice(0, 80)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses a foreign Origin (403) and a rebound Host (421) on every session-bearing route, even with a valid session', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => !x.anyHost)) {
      const p = concretePath(r.url);
      for (const v of [{ name: 'plain', path: p }, ...pathVariants(p)]) {
        const auth = { authorization: `Bearer ${session}` };
        const origin = await rawRequest(port, r.method, v.path, { ...auth, origin: 'http://evil.example' }, probeBody(r.method));
        if (origin.status !== 403 || !isErrorBody(origin.body, 'forbidden')) failures.push(`${r.method} ${v.path} (origin): ${origin.status}`);
        const host = await rawRequest(port, r.method, v.path, { ...auth, host: `evil.example:${port}` }, probeBody(r.method));
        if (host.status !== 421 || !isErrorBody(host.body, 'misdirected_request')) failures.push(`${r.method} ${v.path} (host): ${host.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers its configured name, IP addresses and its own origin; stations reach ingest under any name', async () => {
    const auth = { authorization: `Bearer ${session}` };
    for (const headers of [
      { host: 'hub.example.org' },
      { host: '10.0.0.5:4790' },
      { origin: `http://127.0.0.1:${port}` },
      { origin: 'https://hub.example.org' },
      {},
    ]) {
      expect((await rawRequest(port, 'GET', '/api/v1/me', { ...auth, ...headers })).status, JSON.stringify(headers)).toBe(200);
    }
    // Ingest is machine-to-machine behind proxies: the Host does not matter, the station token does.
    expect(
      (await rawRequest(port, 'POST', '/api/v1/ingest', { host: 'proxy.internal', authorization: 'Bearer bls_wrong' }, '{"stationId":"x","events":[]}')).status,
    ).toBe(401);
  });

  it('deeply nested ingest JSON is a 400 with a clear message, not a 500', async () => {
    const nested = `{"stationId":"x","events":[{"seq":1,"kind":"k","at":"2026-01-01T00:00:00Z","payload":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}]}`;
    const res = await rawRequest(port, 'POST', '/api/v1/ingest', { authorization: 'Bearer bls_any' }, nested);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/nested deeper than \d+ levels/);
  });
});
