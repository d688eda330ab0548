import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { dashboardSchema, stationShiftSchema, stationSlotsSchema, type IngestEvent } from '../../shared/contract/hub-api.js';
import { expectedByTarget } from '../../main/hub/dashboard/floor-figures.js';
import { createHubServer } from '../../main/hub/hub-server.js';
import type { HubStore } from '../../main/hub/hub-store.js';
import { silentLogger } from '../../main/logging/logger.js';
import { FloorStation } from '../fixtures/floor-station-events.js';
import { describeEachDb, openTestStore } from './hub-helpers.js';

/**
 * The supervisor's figures of issue 13 with known inputs: "Hängen fest" (7), offline stations kept
 * out of the live totals (8), first-pass yield and the failure Pareto (11), the drill-down (9) and
 * the target's expected curve (10).
 */
const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const MIN = 60_000;
const windows = { onlineWindowMs: 30_000, stallMs: 10 * MIN };

describeEachDb('hub floor figures (issue 13)', (db) => {
  let store: HubStore;
  let close: () => Promise<void>;
  let app: FastifyInstance;
  let tokens: { bank1: string; bank2: string };
  let session = '';

  beforeEach(async () => {
    const opened = await openTestStore(db);
    store = opened.store;
    close = opened.close;
    tokens = { bank1: (await store.registerStation('Bank 1')).token, bank2: (await store.registerStation('Bank 2')).token };
    await store.upsertUser('maria', 'supervisor-pass-1', 'supervisor');
    app = await createHubServer({ store, logger: silentLogger, version: 'test', rendererDir: null, stallMinutes: 10, onlineWindowMs: 30_000 });
    const login = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username: 'maria', password: 'supervisor-pass-1' } });
    session = login.json<{ token: string }>().token;
  });
  afterEach(async () => {
    await app.close();
    await close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${session}` } });
  const ingest = async (token: string, st: FloorStation, events: IngestEvent[], now: number) => {
    await store.ingest(token, st.body(events), now);
  };

  it('"Hängen fest" counts a failed run left untouched and a waiting one, with station and slot; runs that moved or finished do not count', async () => {
    const st = new FloorStation();
    const now = T0 + 20 * MIN;
    await ingest(
      tokens.bank1,
      st,
      [
        st.shift(T0),
        // Failed 19 minutes ago and nobody touched it: stalled (the count missed these before).
        st.run('f1', 'failed', T0 + MIN, [{ kind: 'start' }, { kind: 'fail', message: null }], {
          slot: 'A3',
          errorCode: 'sim.erase',
          errorMessage: 'Erase failed',
        }),
        // Waiting for the technician for 18 minutes: stalled.
        st.run('w1', 'waiting', T0 + 2 * MIN, [{ kind: 'waiting' }], { slot: 'A4', step: 'trust' }),
        // Done: finished, never stalled.
        st.run('d1', 'done', T0 + 3 * MIN, [{ kind: 'done' }], { slot: 'A5' }),
        // Failed five minutes ago: not yet.
        st.run('f2', 'failed', T0 + 15 * MIN, [{ kind: 'fail' }], { slot: 'A6', errorCode: 'sim.erase' }),
        // Failed, then retried by the technician eight minutes ago: it moved.
        st.run('f3', 'failed', T0 + MIN, [{ kind: 'fail' }], { slot: 'A7', errorCode: 'sim.erase' }),
        st.run('f3', 'running', T0 + 12 * MIN, [{ kind: 'retry' }, { kind: 'start' }], { slot: 'A7' }),
      ],
      now,
    );
    const [tile] = await store.stationTiles(now, windows);
    expect(tile).toMatchObject({ name: 'Bank 1', online: true, stalled: 2, failed: 2, wip: 2, done: 1 });
    const stalled = await store.stalledRuns(now, windows);
    expect(stalled.map((r) => [r.station, r.slot, r.state, r.runId])).toEqual([
      ['Bank 1', 'A3', 'failed', 'f1'],
      ['Bank 1', 'A4', 'waiting', 'w1'],
    ]);
    expect(stalled[0]).toMatchObject({
      stationId: st.id,
      online: true,
      step: 'erase',
      errorCode: 'sim.erase',
      text: { code: 'sim.erase', params: {} },
      operator: 'Ana',
    });
    expect(stalled[0]!.since).toBe(new Date(T0 + MIN).toISOString());
    // The summary counts the same runs.
    expect((await store.summary(T0, now, now, windows)).stalled).toBe(2);
  });

  it('an offline station is marked with when it was last seen, and its in-progress and stalled runs stay out of the live totals, counted apart as unknown', async () => {
    const now = Date.now();
    const online = new FloorStation();
    const offline = new FloorStation();
    await ingest(
      tokens.bank1,
      online,
      [
        online.shift(now - 60 * MIN),
        online.run('a1', 'running', now - MIN, [{ kind: 'start' }]),
        online.run('a2', 'done', now - 2 * MIN, [{ kind: 'done' }], { slot: 'A2' }),
      ],
      now,
    );
    // Bank 2 was last heard from twelve minutes ago, with three devices in progress, one of them failed 30 minutes ago.
    await ingest(
      tokens.bank2,
      offline,
      [
        offline.shift(now - 60 * MIN),
        offline.run('b1', 'running', now - 13 * MIN, [{ kind: 'start' }], { slot: 'A1' }),
        offline.run('b2', 'running', now - 13 * MIN, [{ kind: 'start' }], { slot: 'A2' }),
        offline.run('b3', 'failed', now - 30 * MIN, [{ kind: 'fail' }], { slot: 'A3', errorCode: 'sim.erase' }),
        offline.run('b4', 'done', now - 40 * MIN, [{ kind: 'done' }], { slot: 'A4' }),
      ],
      now - 12 * MIN,
    );
    const res = await get('/api/v1/dashboard');
    expect(res.statusCode).toBe(200);
    const dash = dashboardSchema.parse(res.json());
    const bank2 = dash.stations.find((s) => s.name === 'Bank 2')!;
    expect(bank2).toMatchObject({ online: false, wip: 2, stalled: 3 });
    expect(Date.parse(dash.serverTime) - Date.parse(bank2.lastSeen!)).toBeGreaterThanOrEqual(12 * MIN);
    expect(dash.totals).toEqual({
      stations: 2,
      online: 1,
      wip: 1,
      done: 2,
      failed: 1,
      stalled: 0,
      unknown: { stations: 1, wip: 2, stalled: 3 },
    });
    // The stalled list names Bank 2's runs, marked as from an offline station.
    expect(dash.stalledRuns.map((r) => [r.station, r.slot, r.online])).toEqual([
      ['Bank 2', 'A3', false],
      ['Bank 2', 'A1', false],
      ['Bank 2', 'A2', false],
    ]);
  });

  it('first-pass yield: devices done without any retry or technician action, over finished devices; none finished is null, never 0', async () => {
    const st = new FloorStation();
    const now = T0 + 30 * MIN;
    await ingest(tokens.bank1, st, [st.shift(T0), st.run('busy', 'running', T0 + MIN, [{ kind: 'start' }])], now);
    expect((await store.stationTiles(now, windows))[0]!.firstPassYield).toBeNull();
    expect((await store.summary(T0, now, now, windows)).firstPassYield).toBeNull();
    await ingest(
      tokens.bank1,
      st,
      [
        st.run('clean', 'done', T0 + 2 * MIN, [{ kind: 'start' }, { kind: 'done' }]),
        // Done after the pipeline retried a step on its own.
        st.run('auto', 'running', T0 + 3 * MIN, [{ kind: 'fail' }, { kind: 'retry-scheduled' }]),
        st.run('auto', 'done', T0 + 4 * MIN, [
          { kind: 'start', attempt: 2 },
          { kind: 'done', attempt: 2 },
        ]),
        // Done after the technician retried it.
        st.run('manual', 'failed', T0 + 5 * MIN, [{ kind: 'fail' }]),
        st.run('manual', 'done', T0 + 6 * MIN, [{ kind: 'retry' }, { kind: 'done' }]),
        // Done after the technician skipped the failed step.
        st.run('skipped', 'failed', T0 + 7 * MIN, [{ kind: 'timeout' }]),
        st.run('skipped', 'done', T0 + 8 * MIN, [{ kind: 'skip' }]),
        st.run('broken', 'failed', T0 + 9 * MIN, [{ kind: 'fail' }]),
        st.run('pulled', 'cancelled', T0 + 10 * MIN, [{ kind: 'cancel' }]),
        st.run('clean2', 'done', T0 + 11 * MIN, [{ kind: 'done' }]),
      ],
      now,
    );
    // First pass: clean, clean2. Finished: 5 done + 1 failed + 1 cancelled.
    const [tile] = await store.stationTiles(now, windows);
    expect(tile).toMatchObject({ done: 5, failed: 1, cancelled: 1, firstPassYield: 0.286 });
    expect((await store.summary(T0, now, now, windows)).firstPassYield).toBe(0.286);
  });

  it('the failure Pareto counts failed runs by step and reason, automatic retries apart, with causes as catalogue messages', async () => {
    const st = new FloorStation();
    const now = T0 + 30 * MIN;
    const erase = { errorCode: 'sim.erase', errorMessage: 'Erase failed' };
    await ingest(
      tokens.bank1,
      st,
      [
        st.shift(T0),
        // r1: erase retried automatically twice, then failed: one failed run, two automatic retries.
        st.run('r1', 'running', T0 + MIN, [{ kind: 'fail' }, { kind: 'retry-scheduled' }], erase),
        st.run(
          'r1',
          'running',
          T0 + 2 * MIN,
          [
            { kind: 'start', attempt: 2 },
            { kind: 'fail', attempt: 2 },
            { kind: 'retry-scheduled', attempt: 2 },
          ],
          erase,
        ),
        st.run(
          'r1',
          'failed',
          T0 + 3 * MIN,
          [
            { kind: 'start', attempt: 3 },
            { kind: 'fail', attempt: 3 },
          ],
          erase,
        ),
        // r1 retried by the technician and failed the same way again: still one failed run for this cause.
        st.run('r1', 'failed', T0 + 4 * MIN, [{ kind: 'retry' }, { kind: 'start' }, { kind: 'fail' }], erase),
        // r2: erase failed at once.
        st.run('r2', 'failed', T0 + 5 * MIN, [{ kind: 'fail' }], erase),
        // r3: timed out at activate (a code whose words name the step).
        st.run('r3', 'failed', T0 + 6 * MIN, [{ kind: 'timeout', step: 'activate' }], { step: 'activate', errorCode: 'timeout' }),
        // r4: a station's own prose: kept as it is.
        st.run('r4', 'failed', T0 + 7 * MIN, [{ kind: 'fail', step: 'verify' }], { step: 'verify', errorCode: 'E_CUSTOM' }),
      ],
      now,
    );
    const charts = await store.charts(now, T0 - 60 * MIN, await store.stationTiles(now, windows));
    expect(charts.pareto).toEqual([
      { step: 'erase', reason: 'sim.erase', count: 2, text: { code: 'sim.erase', params: {} } },
      { step: 'activate', reason: 'timeout', count: 1, text: { code: 'timeout', params: { step: 'activate' } } },
      { step: 'verify', reason: 'E_CUSTOM', count: 1 },
    ]);
    expect(charts.paretoRetried).toEqual([{ step: 'erase', reason: 'sim.erase', count: 2, text: { code: 'sim.erase', params: {} } }]);
  });

  it("drill-down: a station's slots read-only (state, step, error, technician) in slot order, its shifts, and 404 for an unknown station", async () => {
    const st = new FloorStation();
    const now = Date.now();
    await ingest(
      tokens.bank1,
      st,
      [
        st.shift(now - 3 * 60 * MIN, ['Ana'], 'S-0', now - 2 * 60 * MIN),
        st.run('old', 'done', now - 150 * MIN, [{ kind: 'done' }], { slot: 'A2', shiftId: 'S-0', operator: 'Ana' }),
        st.shift(now - 60 * MIN, ['Ben Kurz', 'Ana']),
        st.run('a10', 'running', now - 5 * MIN, [{ kind: 'start' }], { slot: 'A10', step: 'install-apps', operator: 'Ben Kurz' }),
        st.run('a2', 'failed', now - 4 * MIN, [{ kind: 'fail' }], { slot: 'A2', errorCode: 'sim.erase', errorMessage: 'Erase failed', operator: 'Ana' }),
        st.run('b1', 'done', now - 3 * MIN, [{ kind: 'done' }], { slot: 'B1', operator: 'Ben Kurz', captured: { deviceName: 'GSN-007' } }),
      ],
      now,
    );
    const res = await get(`/api/v1/stations/${st.id}/slots`);
    expect(res.statusCode).toBe(200);
    const slots = stationSlotsSchema.parse(res.json());
    expect(slots).toMatchObject({ stationId: st.id, name: 'Bank 1', online: true });
    expect(slots.slots.map((s) => [s.slot, s.runId, s.state, s.step, s.operator])).toEqual([
      ['A2', 'a2', 'failed', 'erase', 'Ana'],
      ['A10', 'a10', 'running', 'install-apps', 'Ben Kurz'],
      ['B1', 'b1', 'done', 'erase', 'Ben Kurz'],
    ]);
    expect(slots.slots[0]).toMatchObject({
      errorCode: 'sim.erase',
      errorMessage: 'Erase failed',
      text: { code: 'sim.erase', params: {} },
      failedStep: 'erase',
    });
    expect(slots.slots[2]!.deviceName).toBe('GSN-007');

    const shifts = await get(`/api/v1/stations/${st.id}/shifts`);
    expect(shifts.statusCode).toBe(200);
    const list = stationShiftSchema.array().parse(shifts.json());
    expect(list.map((s) => [s.shiftId, s.runs, s.closedAt === null])).toEqual([
      ['S-1', 3, true],
      ['S-0', 1, false],
    ]);
    for (const url of ['/api/v1/stations/nope/slots', '/api/v1/stations/nope/shifts']) {
      const missing = await get(url);
      expect(missing.statusCode, url).toBe(404);
      expect(missing.json(), url).toMatchObject({ error: { code: 'not_found', text: { code: 'hub.no-station' } } });
    }
  });

  it("the target chart's expected curve: the target spread over the working hours, as much as is due by now", async () => {
    const tz = 'Europe/Berlin';
    // 2026-03-02 is in winter time (UTC+1): 06:00 local is 05:00Z.
    expect(expectedByTarget(400, '06:00-22:00', Date.parse('2026-03-02T04:30:00Z'), tz)).toBe(0);
    expect(expectedByTarget(400, '06:00-22:00', Date.parse('2026-03-02T13:00:00Z'), tz)).toBe(200);
    expect(expectedByTarget(400, '06:00-22:00', Date.parse('2026-03-02T22:00:00Z'), tz)).toBe(400);
    // 09:00 local, two of the eight hours: a quarter.
    expect(expectedByTarget(300, '07:00-15:00', Date.parse('2026-03-02T08:00:00Z'), tz)).toBe(75);

    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/target',
      headers: { authorization: `Bearer ${session}` },
      payload: { devices: 240, hours: '00:00-24:00' },
    });
    expect(put.statusCode).toBe(200);
    const dash = dashboardSchema.parse((await get('/api/v1/dashboard')).json());
    expect(dash.targetHours).toBe('00:00-24:00');
    const local = new Date(dash.serverTime);
    const fraction = (local.getHours() * 60 + local.getMinutes() + local.getSeconds() / 60) / (24 * 60);
    expect(dash.expectedByNow).toBeCloseTo(240 * fraction, 0);
    // Every point of the cumulative chart carries what the target expects by then, rising with the day.
    const expected = dash.cumulative.points.map((p) => p.expected ?? -1);
    expect(expected[0]).toBe(0);
    for (let i = 1; i < expected.length; i++) expect(expected[i]).toBeGreaterThanOrEqual(expected[i - 1]!);
  });
});
