import crypto from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { IngestBody, IngestEvent } from '../../shared/contract/hub-api.js';
import { AppError } from '../../shared/contract/errors.js';
import type { HubStore } from '../../main/hub/hub-store.js';
import { describeEachDb, openTestStore } from '../integration/hub-helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const opts = { onlineWindowMs: 30_000, stallMs: 10 * 60_000 };

/** A station's stream as its outbox would hold it: shift opened, then runs that end done or failed. */
class FakeStation {
  readonly id = crypto.randomUUID();
  readonly shiftId = 'S-20260302-0800';
  seq = 0;
  constructor(readonly clockOffsetMs = 0) {}
  private at(ms: number): string {
    return new Date(ms + this.clockOffsetMs).toISOString();
  }
  shiftOpened(ms = T0): IngestEvent {
    const at = this.at(ms);
    return {
      seq: ++this.seq,
      kind: 'shift.opened',
      at,
      payload: { type: 'shift.opened', stationId: this.id, at, shift: { id: this.shiftId, openedAt: at, closedAt: null, operators: ['Ana'] } },
    };
  }
  transition(
    runId: string,
    state: 'queued' | 'running' | 'done' | 'failed',
    ms: number,
    events: { kind: string; step: string | null }[] = [],
    errorCode: string | null = null,
  ): IngestEvent {
    const at = this.at(ms);
    return {
      seq: ++this.seq,
      kind: 'run.transition',
      at,
      payload: {
        type: 'run.transition',
        stationId: this.id,
        at,
        run: {
          id: runId,
          serial: `SER-${runId}`,
          shiftId: this.shiftId,
          slot: 'A1',
          operator: 'Ana',
          blueprint: 'school-ipad',
          blueprintVersion: 3,
          state,
          step: 'erase',
          stepIndex: 1,
          attempts: 1,
          errorCode,
          errorMessage: errorCode ? 'it broke' : null,
          failedStep: state === 'failed' ? 'erase' : null,
          captured: {},
          startedAt: this.at(T0 + 60_000),
          finishedAt: state === 'done' || state === 'failed' ? at : null,
        },
        events: events.map((e) => ({ stepIndex: 1, step: e.step, kind: e.kind, attempt: 1, message: e.kind === 'fail' ? 'it broke' : null })),
      },
    };
  }
  body(events: IngestEvent[], extra: Partial<IngestBody> = {}): IngestBody {
    return { stationId: this.id, events, ...extra };
  }
}

describeEachDb('hub ingest', (db) => {
  let store: HubStore;
  let close: () => Promise<void>;
  let token: string;
  let st: FakeStation;

  beforeEach(async () => {
    const opened = await openTestStore(db);
    store = opened.store;
    close = opened.close;
    token = (await store.registerStation('Bench 1')).token;
    st = new FakeStation();
  });
  afterEach(async () => close());

  it('stores a batch and acknowledges its highest seq', async () => {
    const events = [st.shiftOpened(), st.transition('r1', 'queued', T0 + 60_000), st.transition('r1', 'done', T0 + 120_000, [{ kind: 'done', step: 'erase' }])];
    const res = await store.ingest(token, st.body(events), T0 + 130_000);
    expect(res.ackSeq).toBe(3);
    expect(res.stored).toBe(3);
    expect(await store.shiftCounts(st.id, st.shiftId)).toEqual({ done: 1 });
    const [tile] = await store.stationTiles(T0 + 130_000, opts);
    expect(tile).toMatchObject({
      stationId: st.id,
      name: 'Bench 1',
      online: true,
      shiftId: st.shiftId,
      operators: ['Ana'],
      done: 1,
      wip: 0,
      failed: 0,
      firstPassYield: 1,
      ackSeq: 3,
    });
    // The hub's unitsPerHour counts devices (CONTRACT.md keeps the name); devicesPerHour says so, same figure.
    expect(tile).toMatchObject({ devicesPerHour: 4, unitsPerHour: 4 });
  });

  it('ignores a replayed batch and an overlapping one: nothing is counted twice', async () => {
    const a = [st.shiftOpened(), st.transition('r1', 'queued', T0 + 1000), st.transition('r2', 'queued', T0 + 2000)];
    const b = [st.transition('r1', 'done', T0 + 3000), st.transition('r2', 'failed', T0 + 4000, [{ kind: 'fail', step: 'erase' }], 'E_ERASE')];
    await store.ingest(token, st.body(a), T0 + 5000);
    const replay = await store.ingest(token, st.body(a), T0 + 6000);
    expect(replay).toMatchObject({ ackSeq: 3, stored: 0, duplicates: 3 });
    const overlap = await store.ingest(token, st.body([...a.slice(1), ...b]), T0 + 7000);
    expect(overlap).toMatchObject({ ackSeq: 5, stored: 2, duplicates: 2 });
    await store.ingest(token, st.body([...a, ...b]), T0 + 8000);
    expect(await store.eventCount(st.id)).toBe(5);
    expect(await store.shiftCounts(st.id, st.shiftId)).toEqual({ done: 1, failed: 1 });
    const dash = await store.charts(T0 + 9000, T0 - 3_600_000, await store.stationTiles(T0 + 9000, opts));
    expect(dash.pareto).toEqual([{ step: 'erase', reason: 'E_ERASE', count: 1 }]);
  });

  it('keeps events after a gap but acknowledges only up to the gap, and catches up when it is filled', async () => {
    const e = [
      st.shiftOpened(),
      st.transition('r1', 'queued', T0 + 1000),
      st.transition('r1', 'running', T0 + 2000),
      st.transition('r1', 'done', T0 + 3000, [{ kind: 'done', step: 'erase' }]),
    ];
    expect((await store.ingest(token, st.body([e[0]!, e[1]!]), T0)).ackSeq).toBe(2);
    // seq 3 is lost on the way; 4 arrives: stored, counted, but not acknowledged.
    expect((await store.ingest(token, st.body([e[3]!]), T0)).ackSeq).toBe(2);
    expect(await store.shiftCounts(st.id, st.shiftId)).toEqual({ done: 1 });
    // The older transition arriving late does not move the run back to running.
    expect((await store.ingest(token, st.body([e[2]!]), T0)).ackSeq).toBe(4);
    expect(await store.shiftCounts(st.id, st.shiftId)).toEqual({ done: 1 });
  });

  it('first-pass yield counts a run that failed a step and was then done as not first pass', async () => {
    const events = [
      st.shiftOpened(),
      st.transition(
        'r1',
        'running',
        T0 + 1000,
        [
          { kind: 'fail', step: 'erase' },
          { kind: 'retry-scheduled', step: 'erase' },
        ],
        'E_USB',
      ),
      st.transition('r1', 'done', T0 + 2000, [{ kind: 'done', step: 'erase' }]),
      st.transition('r2', 'done', T0 + 3000, [{ kind: 'done', step: 'erase' }]),
    ];
    await store.ingest(token, st.body(events), T0 + 4000);
    const [tile] = await store.stationTiles(T0 + 4000, opts);
    expect(tile).toMatchObject({ done: 2, failed: 0, firstPassYield: 0.5 });
  });

  it('refuses a wrong token, a token of another station and events of another station, and stores nothing', async () => {
    const events = [st.shiftOpened(), st.transition('r1', 'queued', T0)];
    await expect(store.ingest('bls_wrong', st.body(events))).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(store.ingest(undefined, st.body(events))).rejects.toMatchObject({ code: 'unauthorized' });
    await store.ingest(token, st.body([]));
    const other = new FakeStation();
    // Station 2 with station 1's token (bound to station 1 on its first report).
    await expect(store.ingest(token, other.body([other.shiftOpened()]))).rejects.toMatchObject({ code: 'forbidden' });
    // Station 1's body carrying station 2's record.
    const foreign = other.shiftOpened();
    await expect(store.ingest(token, st.body([events[0]!, { ...foreign, seq: 2 }]))).rejects.toMatchObject({ code: 'forbidden' });
    // A known kind with fields of the wrong type.
    const bad = st.transition('r9', 'queued', T0);
    (bad.payload.run as Record<string, unknown>).attempts = 'three';
    await expect(store.ingest(token, st.body([bad]))).rejects.toBeInstanceOf(AppError);
    expect(await store.eventCount(st.id)).toBe(0);
    const [tile] = await store.stationTiles(Date.now(), opts);
    expect(tile?.ackSeq).toBe(0);
  });

  it('binds a token to the first station that reports, and a second registration cannot take that station', async () => {
    await store.ingest(token, st.body([st.shiftOpened()]));
    const second = await store.registerStation('Bench 2');
    await expect(store.ingest(second.token, st.body([]))).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.registerStation('Bench 1')).rejects.toMatchObject({ code: 'conflict' });
    const rotated = await store.registerStation('Bench 1', { rotate: true });
    await expect(store.ingest(token, st.body([]))).rejects.toMatchObject({ code: 'unauthorized' });
    expect((await store.ingest(rotated.token, st.body([]))).ackSeq).toBe(1);
  });

  it("takes a station's word for records another hub database acknowledged before, and carries on from there", async () => {
    st.seq = 40;
    const res = await store.ingest(token, st.body([st.shiftOpened()], { acked: 40 }));
    expect(res.ackSeq).toBe(41);
    expect(res.warning).toMatch(/1\.\.40/);
  });

  it("measures clock skew: a station three hours ahead is on time on the hub's clock", async () => {
    const skewed = new FakeStation(3 * 3_600_000);
    const t2 = (await store.registerStation('Bench 2')).token;
    const now = T0 + 600_000;
    const events = [skewed.shiftOpened(T0), skewed.transition('r1', 'running', now - 60_000)];
    await store.ingest(t2, skewed.body(events, { sentAt: new Date(now + skewed.clockOffsetMs).toISOString() }), now);
    const tile = (await store.stationTiles(now, opts)).find((t) => t.name === 'Bench 2');
    expect(tile).toMatchObject({ wip: 1, stalled: 0, online: true });
    expect(tile?.clockOffsetMs).toBe(-3 * 3_600_000);
    // Twenty minutes later on the hub's clock the run counts as stalled.
    const later = (await store.stationTiles(now + 20 * 60_000, opts)).find((t) => t.name === 'Bench 2');
    expect(later).toMatchObject({ stalled: 1, online: false });
  });

  it('stores records of kinds it does not know, so a newer station is never stuck', async () => {
    const res = await store.ingest(
      token,
      st.body([{ seq: 1, kind: 'order.received', at: new Date(T0).toISOString(), payload: { stationId: st.id, anything: [1, 2] } }]),
    );
    expect(res.ackSeq).toBe(1);
  });

  it('two requests with the same batch at once store it once', async () => {
    const events = Array.from({ length: 50 }, (_, i) => st.transition(`r${i}`, 'done', T0 + i * 1000, [{ kind: 'done', step: 'erase' }]));
    const results = await Promise.all([
      store.ingest(token, st.body(events)),
      store.ingest(token, st.body(events)),
      store.ingest(token, st.body(events.slice(10))),
    ]);
    expect(results.map((r) => r.ackSeq)).toEqual([50, 50, 50]);
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(50);
    expect(await store.eventCount(st.id)).toBe(50);
  });

  it("adds the stations' order snapshots up and forecasts the completion date at the last 24 hours' rate", async () => {
    const now = Date.parse('2026-03-10T12:00:00.000Z');
    const order = (id: string, deadline: string, expected: number, configured: number) => ({
      id,
      customer: 'Stadt A',
      school: 'GS Nord',
      blueprint: 'school-ipad',
      deadline,
      quantity: null,
      importedAt: '2026-03-01T08:00:00.000Z',
      expected,
      received: configured,
      missing: expected - configured,
      unexpected: 0,
      configured,
      packed: configured,
    });
    // 20 devices of order O-1 done in the last 24 hours: 20 a day; 60 to go take 3 days.
    const done = Array.from({ length: 20 }, (_, i) => {
      const e = st.transition(`o${i}`, 'done', now - i * 3_600_000);
      (e.payload.run as { captured: Record<string, string> }).captured = { orderId: 'O-1' };
      return e;
    });
    await store.ingest(token, st.body(done, { orders: [order('O-1', '2026-03-12', 100, 40), order('O-2', '2026-03-20', 10, 10)] }), now);
    const other = new FakeStation();
    const t2 = (await store.registerStation('Bench 2')).token;
    await store.ingest(t2, other.body([], { orders: [order('O-1', '2026-03-12', 100, 0)] }), now);
    const orders = await store.orders(now);
    expect(orders.find((o) => o.orderId === 'O-1')).toMatchObject({ expected: 100, configured: 40, perDay: 20, forecast: '2026-03-13', late: true });
    expect(orders.find((o) => o.orderId === 'O-2')).toMatchObject({ configured: 10, late: false });
    // A new snapshot replaces the old one: O-2 is gone from this station.
    await store.ingest(token, st.body([], { orders: [order('O-1', '2026-03-14', 100, 40)] }), now);
    await store.ingest(t2, other.body([], { orders: [order('O-1', '2026-03-14', 100, 0)] }), now);
    const again = await store.orders(now);
    expect(again.map((o) => o.orderId)).toEqual(['O-1']);
    expect(again[0]).toMatchObject({ forecast: '2026-03-13', late: false });
  });

  it('logs in supervisors with the right password only, and ends sessions', async () => {
    await store.upsertUser('maria', 'correct horse battery', 'supervisor');
    expect(await store.login('maria', 'wrong password!!')).toBeNull();
    expect(await store.login('nobody', 'correct horse battery')).toBeNull();
    const session = await store.login('maria', 'correct horse battery');
    expect(session?.role).toBe('supervisor');
    expect(await store.session(session!.token)).toEqual({ username: 'maria', role: 'supervisor' });
    expect(await store.session(session!.token, Date.now() + 13 * 3_600_000)).toBeNull();
    const row = await store.db.get('SELECT password_hash FROM users WHERE username = $1', ['maria']);
    expect(String(row?.password_hash)).toMatch(/^\$argon2id\$/);
    await store.logout(session!.token);
    expect(await store.session(session!.token)).toBeNull();
  });
});
