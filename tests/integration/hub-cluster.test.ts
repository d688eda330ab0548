import crypto from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { dashboardSchema } from '../../shared/contract/hub-api.js';
import { createHubServer } from '../../main/hub/hub-server.js';
import { HubStore } from '../../main/hub/hub-store.js';
import { silentLogger } from '../../main/logging/logger.js';
import { describePostgres, freshPgSchema, tempDir } from './hub-helpers.js';

/**
 * Two hub instances behind a load balancer share nothing but PostgreSQL: a session made on one
 * works on the other, and a batch taken by one reaches the live dashboards of the other.
 */
describePostgres('two hub instances on one database', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('share sessions and live updates', async () => {
    const schema = await freshPgSchema();
    cleanups.push(() => schema.drop());
    const dir = tempDir('cluster');
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const instances: { app: FastifyInstance; url: string }[] = [];
    let token = '';
    for (let i = 0; i < 2; i++) {
      const store = await HubStore.open({ db: schema.url, dataDir: dir });
      if (i === 0) {
        token = (await store.registerStation('Bench 1')).token;
        await store.upsertUser('maria', 'maria-password-1', 'supervisor');
      }
      const app = await createHubServer({
        store,
        logger: silentLogger,
        version: 'test',
        rendererDir: null,
        listenUrl: schema.url,
        live: { minIntervalMs: 50, refreshMs: 60_000 },
      });
      cleanups.push(async () => {
        await app.close();
        await store.close();
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const a = app.server.address();
      instances.push({ app, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
    }
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];

    // Signed in on A, reading B's live feed.
    const login = await fetch(`${a.url}api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'maria', password: 'maria-password-1' }),
    });
    const { token: session } = (await login.json()) as { token: string };
    const ac = new AbortController();
    cleanups.push(() => ac.abort());
    const live = await fetch(`${b.url}api/v1/live`, { headers: { authorization: `Bearer ${session}` }, signal: ac.signal });
    expect(live.status).toBe(200);
    const reader = live.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    const nextDashboard = async () => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (block.includes('event: dashboard') && data) return dashboardSchema.parse(JSON.parse(data));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('live feed ended');
        buffer += value;
      }
    };
    expect((await nextDashboard()).stations[0]).toMatchObject({ name: 'Bench 1', done: 0 });

    // A station reports to A.
    const stationId = crypto.randomUUID();
    const at = new Date().toISOString();
    const run = (seq: number, id: string) => ({
      seq,
      kind: 'run.transition',
      at,
      payload: {
        type: 'run.transition',
        stationId,
        at,
        run: {
          id,
          serial: `S-${id}`,
          shiftId: 'S1',
          slot: 'A1',
          operator: null,
          blueprint: 'school-ipad',
          blueprintVersion: 1,
          state: 'done',
          step: 'pack',
          stepIndex: 3,
          attempts: 1,
          errorCode: null,
          errorMessage: null,
          failedStep: null,
          captured: {},
          startedAt: at,
          finishedAt: at,
        },
        events: [{ stepIndex: 3, step: 'pack', kind: 'done', attempt: 1, message: null }],
      },
    });
    const res = await fetch(`${a.url}api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ stationId, events: [run(1, 'r1'), run(2, 'r2'), run(3, 'r3')] }),
    });
    expect(await res.json()).toEqual({ ackSeq: 3 });
    let d = await nextDashboard();
    while (d.stations[0]?.done !== 3) d = await nextDashboard();
    expect(d.stations[0]).toMatchObject({ stationId, online: true, done: 3 });
  });
});
