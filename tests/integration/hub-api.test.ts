import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { dashboardSchema } from '../../shared/contract/hub-api.js';
import { createHubServer } from '../../main/hub/hub-server.js';
import type { HubStore } from '../../main/hub/hub-store.js';
import { silentLogger } from '../../main/logging/logger.js';
import { describeEachDb, openTestStore } from './hub-helpers.js';
import { doneRunEvent } from '../fixtures/ingest-events.js';

function shiftEvent(stationId: string, seq: number) {
  const at = new Date().toISOString();
  return {
    seq,
    kind: 'shift.opened',
    at,
    payload: { type: 'shift.opened', stationId, at, shift: { id: 'S1', openedAt: at, closedAt: null, operators: ['Ana'] } },
  };
}

/** Reads Server-Sent Events from a fetch body. */
async function* sse(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  for (;;) {
    const { value: chunk, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data !== undefined) yield { event, data };
    }
  }
}

describeEachDb('hub HTTP API', (db) => {
  let store: HubStore;
  let close: () => Promise<void>;
  let app: FastifyInstance;
  let stationToken: string;
  const stationId = crypto.randomUUID();

  beforeEach(async () => {
    const opened = await openTestStore(db);
    store = opened.store;
    close = opened.close;
    stationToken = (await store.registerStation('Bench 1')).token;
    await store.upsertUser('maria', 'supervisor-pass-1', 'supervisor');
    await store.upsertUser('root', 'admin-pass-12345', 'admin');
    app = await createHubServer({
      store,
      logger: silentLogger,
      version: 'test',
      rendererDir: null,
      listenUrl: opened.dbUrl ?? null,
      limits: { loginPerMinute: 5 },
      live: { minIntervalMs: 50, refreshMs: 60_000 },
    });
  });
  afterEach(async () => {
    await app.close();
    await close();
  });

  const login = async (username: string, password: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username, password } });
    return { status: res.statusCode, body: res.json<{ token?: string; role?: string; error?: { code: string } }>() };
  };
  const ingest = (payload: unknown, token = stationToken, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  it('every supervisor endpoint needs a session; a wrong password gets none', async () => {
    for (const url of ['/api/v1/stations', '/api/v1/summary', '/api/v1/dashboard', '/api/v1/live', '/api/v1/me']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'unauthorized' } });
      const bad = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer blu_forged' } });
      expect(bad.statusCode, url).toBe(401);
    }
    expect((await login('maria', 'not-the-password')).status).toBe(401);
    const ok = await login('maria', 'supervisor-pass-1');
    expect(ok.status).toBe(200);
    const stations = await app.inject({ method: 'GET', url: '/api/v1/stations', headers: { authorization: `Bearer ${ok.body.token}` } });
    expect(stations.statusCode).toBe(200);
    expect(stations.json()).toEqual([expect.objectContaining({ name: 'Bench 1', stationId: null, online: false, lastSeen: null, wip: 0, done: 0 })]);
    await app.inject({ method: 'POST', url: '/api/v1/logout', headers: { authorization: `Bearer ${ok.body.token}` } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/stations', headers: { authorization: `Bearer ${ok.body.token}` } })).statusCode).toBe(401);
  });

  // Issue 13: the shift supervisor plans the day, so a supervisor sets the target (it was admin-only before).
  it("a supervisor or an admin sets the day's target and its hours; nobody without a session", async () => {
    const sup = await login('maria', 'supervisor-pass-1');
    const adm = await login('root', 'admin-pass-12345');
    const put = (token: string | undefined, payload: unknown) =>
      app.inject({ method: 'PUT', url: '/api/v1/target', headers: { authorization: `Bearer ${token}` }, payload: payload as object });
    expect((await put('blu_forged', { devices: 400 })).statusCode).toBe(401);
    expect((await put(adm.body.token, { devices: 'many' })).statusCode).toBe(400);
    expect((await put(sup.body.token, { devices: 300, hours: '22:00-06:00' })).statusCode).toBe(400);
    expect((await put(sup.body.token, { devices: 300, hours: '6-22' })).statusCode).toBe(400);
    expect((await put(adm.body.token, { devices: 400 })).statusCode).toBe(200);
    const byAdmin = await app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: { authorization: `Bearer ${sup.body.token}` } });
    expect(dashboardSchema.parse(byAdmin.json())).toMatchObject({ dailyTarget: 400, targetHours: '06:00-22:00' });
    const res = await put(sup.body.token, { devices: 320, hours: '07:00-15:00' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ dailyTarget: 320, targetHours: '07:00-15:00' });
    const dash = await app.inject({ method: 'GET', url: '/api/v1/dashboard', headers: { authorization: `Bearer ${sup.body.token}` } });
    expect(dashboardSchema.parse(dash.json())).toMatchObject({ dailyTarget: 320, targetHours: '07:00-15:00' });
  });

  it('answers every bad ingest with a 4xx error body, changes nothing and keeps serving', async () => {
    const good = { stationId, events: [shiftEvent(stationId, 1)] };
    const cases: { name: string; res: Awaited<ReturnType<typeof ingest>>; status: number; code: string }[] = [
      { name: 'malformed JSON', res: await ingest('{"stationId": "x", "events": [', stationToken), status: 400, code: 'bad_request' },
      { name: 'wrong type', res: await ingest({ stationId, events: [{ ...shiftEvent(stationId, 1), seq: 'one' }] }), status: 400, code: 'bad_request' },
      { name: 'unknown field', res: await ingest({ ...good, extra: true }), status: 400, code: 'bad_request' },
      // One bad event no longer refuses the batch (issue 8): it becomes a dead letter and the answer is 422.
      {
        name: 'bad payload of a known kind',
        res: await ingest({ stationId, events: [{ ...shiftEvent(stationId, 5), payload: { type: 'shift.opened', stationId, at: 'yesterday', shift: {} } }] }),
        status: 422,
        code: 'events_rejected',
      },
      {
        name: 'too large',
        res: await ingest({ stationId, events: [{ ...shiftEvent(stationId, 1), payload: { stationId, blob: 'x'.repeat(3 * 1024 * 1024) } }] }),
        status: 413,
        code: 'payload_too_large',
      },
      { name: 'not JSON', res: await ingest('seq=1', stationToken, { 'content-type': 'text/plain' }), status: 415, code: 'unsupported_media_type' },
      { name: 'wrong token', res: await ingest(good, 'bls_not-a-token'), status: 401, code: 'unauthorized' },
      { name: 'no token', res: await app.inject({ method: 'POST', url: '/api/v1/ingest', payload: good }), status: 401, code: 'unauthorized' },
      { name: 'seq of another station', res: await ingest({ stationId, events: [shiftEvent(crypto.randomUUID(), 1)] }), status: 403, code: 'forbidden' },
      {
        name: 'seq twice in a batch',
        res: await ingest({ stationId, events: [shiftEvent(stationId, 1), shiftEvent(stationId, 1)] }),
        status: 400,
        code: 'bad_request',
      },
      { name: 'seq 0', res: await ingest({ stationId, events: [shiftEvent(stationId, 0)] }), status: 400, code: 'bad_request' },
    ];
    for (const c of cases) {
      expect(c.res.statusCode, c.name).toBe(c.status);
      expect(c.res.json(), c.name).toMatchObject({ error: { code: c.code, message: expect.any(String) } });
    }
    expect(await store.eventCount(stationId)).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/api/v1/health' })).json()).toMatchObject({ ok: true });
    const ok = await ingest(good);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ackSeq: 1 });
  });

  it('sums up all stations between from and to, and refuses a bad range', async () => {
    expect(
      (await ingest({ stationId, events: [shiftEvent(stationId, 1), doneRunEvent(stationId, 2, 'r1'), doneRunEvent(stationId, 3, 'r2')] })).statusCode,
    ).toBe(200);
    const { body } = await login('maria', 'supervisor-pass-1');
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${body.token}` } });
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const res = await get(`/api/v1/summary?from=${encodeURIComponent(from)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ stations: 1, online: 1, done: 2, failed: 0, wip: 0, firstPassYield: 1 });
    const earlier = await get(`/api/v1/summary?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`);
    expect(earlier.json()).toMatchObject({ done: 0 });
    expect((await get('/api/v1/summary?from=yesterday')).statusCode).toBe(400);
    expect((await get(`/api/v1/summary?from=${encodeURIComponent(from)}&to=2020-01-01T00:00:00Z`)).statusCode).toBe(400);
  });

  it('rate-limits login attempts with a 429 in the error shape', async () => {
    const responses = [];
    for (let i = 0; i < 7; i++) {
      responses.push(await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username: 'maria', password: 'guess-' + i } }));
    }
    const statuses = responses.map((r) => r.statusCode);
    const last = responses[6]!;
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    expect(last.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(last.headers['retry-after']).toBeDefined();
  });

  it('pushes the dashboard live when a station reports', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const { body } = await login('maria', 'supervisor-pass-1');
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/live`, { headers: { authorization: `Bearer ${body.token}` }, signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = sse(res.body!);
    const first = await events.next();
    const d0 = dashboardSchema.parse(JSON.parse(first.value!.data));
    expect(d0.stations[0]).toMatchObject({ name: 'Bench 1', done: 0 });
    expect(
      (await ingest({ stationId, events: [shiftEvent(stationId, 1), doneRunEvent(stationId, 2, 'r1'), doneRunEvent(stationId, 3, 'r2')] })).statusCode,
    ).toBe(200);
    let latest = d0;
    while (latest.stations[0]?.done !== 2) {
      const next = await events.next();
      latest = dashboardSchema.parse(JSON.parse(next.value!.data));
    }
    expect(latest.stations[0]).toMatchObject({ stationId, online: true, done: 2, operators: ['Ana'] });
    expect(latest.cumulative.points.at(-1)?.done).toBe(2);
    ac.abort();
  });
});
