import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStation, type RunningStation } from '../../main/station/start-station.js';
import { ORDER_IMPORT_LIMIT } from '../../main/api/floor-routes.js';
import { RENDERER_CSP } from '../../main/api/station-http-server.js';
import type { RouteInfo } from '../../main/http/http-app.js';
import { tempDir } from '../fixtures/store-helpers.js';
import { concretePath, isErrorBody, pathVariants, probeBody, probeRoutes, rawRequest } from './security-probes.js';

// Every route the station registers, read from its Fastify instance: a route added later is probed too.
let station: RunningStation;
let tmp: ReturnType<typeof tempDir>;
let port: number;
let routes: RouteInfo[];
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The API routes that may answer without the token; every other API route must need it (deny by default). */
const PUBLIC_API = new Set(['GET /api/v1/health']);
const expectedAccess = (r: RouteInfo) => (!r.url.startsWith('/api/') || PUBLIC_API.has(`${r.method} ${r.url}`) ? 'public' : 'token');

beforeAll(async () => {
  tmp = tempDir('benchline-sec-');
  const rendererDir = path.join(tmp.dir, 'renderer');
  fs.mkdirSync(rendererDir);
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>station</title>');
  process.env.BENCHLINE_TEST_USB = '1';
  station = await startStation({
    dataDir: path.join(tmp.dir, 'data'),
    host: '127.0.0.1',
    port: 0,
    drivers: ['sim', 'usb'],
    simulate: 0,
    simSpeed: 1000,
    simFailRate: 0,
    simSeed: 1,
    blueprintFiles: [],
    rendererDir,
    resourcesDir: path.join(ROOT, 'resources'),
    version: 'test',
  });
  port = Number(new URL(station.url).port);
  routes = probeRoutes(station.server.stationRoutes ?? []);
}, 30_000);
afterAll(async () => {
  delete process.env.BENCHLINE_TEST_USB;
  await station?.close();
  tmp?.cleanup();
});

const auth = () => ({ authorization: `Bearer ${station.token}` });

describe('station HTTP: every route', () => {
  it('the route list comes from the server and every non-public route needs the token', () => {
    expect(routes.length).toBeGreaterThan(40);
    for (const must of [
      'GET /api/v1/devices',
      'POST /api/v1/shifts/:id/close',
      'POST /api/v1/orders/import',
      'GET /api/v1/ws',
      'GET /api/v1/events',
      'GET /api/v1/test/usb/devices',
    ]) {
      expect(routes.map((r) => `${r.method} ${r.url}`)).toContain(must);
    }
    for (const r of routes) expect(r.access, `${r.method} ${r.url}`).toBe(expectedAccess(r));
  });

  it('answers 401 without a token, with a wrong one, and to every encoded spelling of the path', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((x) => x.access === 'token')) {
      const p = concretePath(r.url);
      const tries = [
        { name: 'no token', path: p, headers: {} },
        { name: 'wrong token', path: p, headers: { authorization: 'Bearer wrong-token-wrong-token-wrong-token' } },
        { name: 'token without Bearer', path: p, headers: { authorization: station.token } },
        ...pathVariants(p).map((v) => ({ ...v, headers: {} })),
      ];
      for (const t of tries) {
        const res = await rawRequest(port, r.method, t.path, t.headers, probeBody(r.method));
        if (res.status !== 401 || !isErrorBody(res.body, 'unauthorized'))
          failures.push(`${r.method} ${t.path} (${t.name}): ${res.status} ${res.body.slice(0, 80)}`);
      }
    }
    expect(failures).toEqual([]);
    // Nothing the refused calls asked for happened.
    const shifts = await rawRequest(port, 'GET', '/api/v1/shifts', auth());
    expect(JSON.parse(shifts.body)).toEqual([]);
  });

  it('refuses a foreign Origin (403) and a foreign Host (421) even with the right token, on every route', async () => {
    const failures: string[] = [];
    for (const r of routes) {
      const p = concretePath(r.url);
      const probes = [
        { name: 'foreign origin', headers: { ...auth(), origin: 'http://evil.example' }, status: 403, code: 'forbidden' },
        { name: 'other loopback port', headers: { ...auth(), origin: `http://127.0.0.1:${port + 1}` }, status: 403, code: 'forbidden' },
        { name: 'origin null', headers: { ...auth(), origin: 'null' }, status: 403, code: 'forbidden' },
        { name: 'rebound host', headers: { ...auth(), host: `evil.example:${port}` }, status: 421, code: 'misdirected_request' },
        { name: 'loopback on another port', headers: { ...auth(), host: `127.0.0.1:${port + 1}` }, status: 421, code: 'misdirected_request' },
      ];
      for (const pr of probes) {
        for (const v of [{ name: 'plain', path: p }, ...pathVariants(p)]) {
          const res = await rawRequest(port, r.method, v.path, pr.headers, probeBody(r.method));
          if (res.status !== pr.status || !isErrorBody(res.body, pr.code)) failures.push(`${r.method} ${v.path} (${pr.name}, ${v.name}): ${res.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('takes its own origins and loopback names, and requests without Origin', async () => {
    for (const headers of [
      { origin: `http://127.0.0.1:${port}` },
      { origin: `http://localhost:${port}` },
      { origin: 'app://station' },
      { host: `localhost:${port}` },
      { host: `[::1]:${port}` },
      {},
    ]) {
      const res = await rawRequest(port, 'GET', '/api/v1/devices', { ...auth(), ...headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('the page is public but not for foreign hosts; unknown API paths are 401, then 404', async () => {
    expect((await rawRequest(port, 'GET', '/')).status).toBe(200);
    const deepLink = await rawRequest(port, 'GET', '/some/page/of/the/app');
    expect([deepLink.status, deepLink.headers['content-security-policy']]).toEqual([200, RENDERER_CSP]);
    expect((await rawRequest(port, 'GET', '/', { host: 'evil.example' })).status).toBe(421);
    expect((await rawRequest(port, 'GET', '/api/v1/nothing-here')).status).toBe(401);
    const unknown = await rawRequest(port, 'GET', '/api/v1/nothing-here', auth());
    expect(unknown.status).toBe(404);
    expect(isErrorBody(unknown.body, 'not_found')).toBe(true);
  });

  it("an order file over the limit gets a 413 naming the endpoint's limit", async () => {
    const res = await rawRequest(
      port,
      'POST',
      '/api/v1/orders/import',
      { ...auth(), 'content-type': 'text/csv', 'content-length': String(ORDER_IMPORT_LIMIT + 1) },
      undefined,
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.message).toContain('20 MB');
    const json = await rawRequest(port, 'POST', '/api/v1/shifts', { ...auth(), 'content-type': 'application/json', 'content-length': String(2_000_000) });
    expect(json.status).toBe(413);
    expect(JSON.parse(json.body).error.message).toContain('1 MB');
  });

  it('deeply nested JSON is a 400 with a clear message, not a 500', async () => {
    const body = `{"operators":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await rawRequest(port, 'POST', '/api/v1/shifts', auth(), body);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/nested deeper than \d+ levels/);
  });
});
