import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { IngestBody, IngestEvent } from '../../shared/contract/hub-api.js';
import { EventsRejectedError } from '../../main/hub/hub-errors.js';
import type { HubStore } from '../../main/hub/hub-store.js';
import { writeDeadLettersCsv } from '../../main/hub/ingest/dead-letters.js';
import { describeEachDb, openTestStore } from '../integration/hub-helpers.js';
import { doneRunEvent } from '../fixtures/ingest-events.js';

const T0 = Date.parse('2026-03-02T08:00:00.000Z');
const opts = { onlineWindowMs: 30_000, stallMs: 10 * 60_000 };

/** A finished run's record at T0 + seq s. */
const transition = (stationId: string, seq: number, runId: string, fields: { operator?: string; serial?: string } = {}): IngestEvent =>
  doneRunEvent(stationId, seq, runId, { ...fields, at: new Date(T0 + seq * 1000).toISOString() });

/** Runs an ingest that must answer 422 and gives back what it answered. */
async function rejected(p: Promise<unknown>): Promise<EventsRejectedError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EventsRejectedError);
  return err as EventsRejectedError;
}

describeEachDb('hub dead letters', (db) => {
  let store: HubStore;
  let close: () => Promise<void>;
  let token: string;
  const stationId = crypto.randomUUID();
  const body = (events: IngestEvent[]): IngestBody => ({ stationId, events });

  beforeEach(async () => {
    const opened = await openTestStore(db);
    store = opened.store;
    close = opened.close;
    token = (await store.registerStation('Bench 1')).token;
  });
  afterEach(async () => close());

  it('sets an event with a NUL aside, stores the ones before and after it, and acknowledges the whole batch', async () => {
    const events = [transition(stationId, 1, 'r1'), transition(stationId, 2, 'r2', { operator: 'An\u0000a' }), transition(stationId, 3, 'r3')];
    const err = await rejected(store.ingest(token, body(events), T0 + 10_000));
    expect(err.status).toBe(422);
    expect(err.toBody()).toMatchObject({
      error: { code: 'events_rejected' },
      ackSeq: 3,
      rejected: [{ seq: 2, code: 'control_character', message: expect.stringContaining('U+0000') }],
    });
    expect(await store.eventCount(stationId)).toBe(2);
    expect(await store.shiftCounts(stationId, 'S1')).toEqual({ done: 2 });
    const [tile] = await store.stationTiles(T0 + 10_000, opts);
    expect(tile).toMatchObject({ ackSeq: 3, done: 2, deadLetters: 1 });
    expect(await store.deadLetters(stationId)).toEqual([
      {
        stationId,
        stationName: 'Bench 1',
        seq: 2,
        code: 'control_character',
        message: expect.stringContaining('U+0000'),
        receivedAt: new Date(T0 + 10_000).toISOString(),
      },
    ]);
    // The stored payload keeps the event, with the NUL escaped.
    const row = await store.db.get('SELECT payload FROM dead_letters WHERE seq = 2');
    expect(String(row?.payload)).not.toContain('\u0000');
    expect((JSON.parse(String(row?.payload)) as { payload: { run: { operator: string } } }).payload.run.operator).toBe('An\u0000a');
    expect((await store.summary(T0, T0 + 20_000, T0 + 20_000, opts)).deadLetters).toBe(1);

    // A replay (the 422 got lost) is told the same, and nothing is stored twice.
    const again = await rejected(store.ingest(token, body(events), T0 + 20_000));
    expect(again.toBody()).toMatchObject({ ackSeq: 3, rejected: [{ seq: 2, code: 'control_character' }] });
    expect(await store.eventCount(stationId)).toBe(2);
    expect(await store.deadLetters()).toHaveLength(1);
    // Later batches go through as before.
    expect((await store.ingest(token, body([transition(stationId, 4, 'r4')]))).ackSeq).toBe(4);
  });

  it('sets aside an event the database itself refuses, and stores the rest of the batch', async () => {
    // The database refuses one serial the validation lets through: a stand-in for any value the
    // hub's checks miss (PostgreSQL raises a data exception, SQLite a constraint error).
    if (db === 'postgres') {
      await store.db.run(`CREATE FUNCTION refuse_serial() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN IF NEW.serial = 'REFUSE-ME' THEN RAISE EXCEPTION 'serial refused' USING ERRCODE = '22021'; END IF; RETURN NEW; END $body$`);
      await store.db.run('CREATE TRIGGER refuse_serial BEFORE INSERT OR UPDATE ON runs FOR EACH ROW EXECUTE FUNCTION refuse_serial()');
    } else {
      await store.db.run("CREATE TRIGGER refuse_serial BEFORE INSERT ON runs WHEN NEW.serial = 'REFUSE-ME' BEGIN SELECT RAISE(ABORT, 'serial refused'); END");
    }
    const other = await store.registerStation('Bench 2');
    const otherId = crypto.randomUUID();
    // Another station's batch in the same write group is not held up by it.
    const [mine, theirs] = await Promise.allSettled([
      store.ingest(token, body([transition(stationId, 1, 'r1'), transition(stationId, 2, 'r2', { serial: 'REFUSE-ME' }), transition(stationId, 3, 'r3')])),
      store.ingest(other.token, { stationId: otherId, events: [transition(otherId, 1, 'x1')] }),
    ]);
    expect(theirs).toMatchObject({ status: 'fulfilled', value: { ackSeq: 1 } });
    expect(mine.status).toBe('rejected');
    const err = (mine as PromiseRejectedResult).reason as unknown;
    expect(err).toBeInstanceOf(EventsRejectedError);
    expect((err as EventsRejectedError).toBody()).toMatchObject({
      ackSeq: 3,
      rejected: [{ seq: 2, code: 'event_unstorable', message: expect.stringContaining('serial refused') }],
    });
    expect(await store.eventCount(stationId)).toBe(2);
    expect(await store.shiftCounts(stationId, 'S1')).toEqual({ done: 2 });
    expect(await store.deadLetters(stationId)).toMatchObject([{ seq: 2, code: 'event_unstorable' }]);
  });

  it('sets aside absurdly nested events without overflowing, and stores records of unknown kinds as before', async () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const events: IngestEvent[] = [
      { seq: 1, kind: 'future.kind', at: new Date(T0).toISOString(), payload: { stationId, nested: { a: [1, { b: 2 }] } } },
      { seq: 2, kind: 'future.kind', at: new Date(T0).toISOString(), payload: { stationId, deep } },
      { seq: 3, kind: 'bad\u0007kind', at: new Date(T0).toISOString(), payload: { stationId } },
    ];
    const err = await rejected(store.ingest(token, body(events)));
    expect(err.toBody()).toMatchObject({
      ackSeq: 3,
      rejected: [
        { seq: 2, code: 'payload_too_deep' },
        { seq: 3, code: 'control_character' },
      ],
    });
    expect(await store.eventCount(stationId)).toBe(1);
  });
});

it('writes dead letters as CSV with formulas guarded in every dialect', async () => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeDeadLettersCsv(
    [{ stationId: 's-1', stationName: 'Bench 1', seq: 7, code: 'invalid_payload', message: '=HYPERLINK("x")', receivedAt: '2026-03-02T08:00:00.000Z' }],
    out,
  );
  const text = Buffer.concat(chunks).toString('utf8');
  expect(text.split('\r\n')[0]).toBe('station_id,station_name,seq,code,message,received_at');
  expect(text).toContain(`s-1,Bench 1,7,invalid_payload,"'=HYPERLINK(""x"")",2026-03-02T08:00:00.000Z`);
});
