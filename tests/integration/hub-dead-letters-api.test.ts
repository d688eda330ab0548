import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { deadLetterSchema, ingestRejectedResponseSchema, stationTileSchema } from '../../shared/contract/hub-api.js';
import { createHubServer } from '../../main/hub/hub-server.js';
import type { HubStore } from '../../main/hub/hub-store.js';
import { silentLogger } from '../../main/logging/logger.js';
import { describeEachDb, openTestStore } from './hub-helpers.js';

function shiftEvent(stationId: string, seq: number, operators: string[]) {
  const at = new Date().toISOString();
  return {
    seq,
    kind: 'shift.operators',
    at,
    payload: { type: 'shift.operators', stationId, at, shift: { id: 'S1', openedAt: at, closedAt: null, operators } },
  };
}

describeEachDb('hub dead letters over HTTP', (db) => {
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
    app = await createHubServer({ store, logger: silentLogger, version: 'test', rendererDir: null, listenUrl: null });
  });
  afterEach(async () => {
    await app.close();
    await close();
  });

  const ingest = (payload: unknown) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/ingest',
      headers: { authorization: `Bearer ${stationToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });

  it('answers a batch with a NUL operator name 422, stores the rest, and shows and exports the dead letter to supervisors only', async () => {
    const events = [shiftEvent(stationId, 1, ['Ana']), shiftEvent(stationId, 2, ['Ana', 'B\u0000b']), shiftEvent(stationId, 3, ['Ana', 'Cem'])];
    const res = await ingest({ stationId, events });
    expect(res.statusCode).toBe(422);
    const answer = ingestRejectedResponseSchema.parse(res.json());
    expect(answer).toMatchObject({ ackSeq: 3, rejected: [{ seq: 2, code: 'control_character' }] });
    expect(answer.error.message).toMatch(/^1 event\(s\) rejected: seq 2/);
    // Seq 3 was stored after the dead letter: the shift shows its operators.
    expect(await store.eventCount(stationId)).toBe(2);
    // The replay of the same batch is answered the same way.
    expect((await ingest({ stationId, events })).json()).toEqual(answer);

    for (const url of ['/api/v1/dead-letters', `/api/v1/dead-letters?station=${stationId}`, '/api/v1/dead-letters?format=csv']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
    }
    const login = await app.inject({ method: 'POST', url: '/api/v1/login', payload: { username: 'maria', password: 'supervisor-pass-1' } });
    const auth = { authorization: `Bearer ${login.json<{ token: string }>().token}` };
    const list = await app.inject({ method: 'GET', url: `/api/v1/dead-letters?station=${stationId}`, headers: auth });
    expect(list.statusCode).toBe(200);
    expect(deadLetterSchema.array().parse(list.json())).toMatchObject([{ stationId, stationName: 'Bench 1', seq: 2, code: 'control_character' }]);
    expect((await app.inject({ method: 'GET', url: `/api/v1/dead-letters?station=${crypto.randomUUID()}`, headers: auth })).json()).toEqual([]);
    const tiles = await app.inject({ method: 'GET', url: '/api/v1/stations', headers: auth });
    expect(stationTileSchema.array().parse(tiles.json())[0]).toMatchObject({ ackSeq: 3, deadLetters: 1, operators: ['Ana', 'Cem'] });
    const csv = await app.inject({ method: 'GET', url: '/api/v1/dead-letters?format=csv&dialect=excel-de', headers: auth });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toContain('dead-letters.csv');
    const lines = csv.body.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe('station_id;station_name;seq;code;message;received_at');
    expect(lines[1]).toMatch(new RegExp(`^${stationId};Bench 1;2;control_character;`));
    expect((await app.inject({ method: 'GET', url: '/api/v1/dead-letters?format=xml', headers: auth })).statusCode).toBe(400);
  });
});
