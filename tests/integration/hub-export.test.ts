import path from 'node:path';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { createHubServer } from '../../main/hub/hub-server.js';
import { silentLogger } from '../../main/logging/logger.js';
import { describeEachDb, openTestStore } from './hub-helpers.js';
import { start, until, type Child } from './hub-processes.js';

/** The hub's export of a station's shift is the station's own export, byte for byte (CSV and JSON). */
describeEachDb('hub shift export', (db) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('answers the same CSV and JSON as the station for the same shift', async () => {
    const opened = await openTestStore(db);
    cleanups.push(opened.close);
    const { store } = opened;
    const { token } = await store.registerStation('Bench 7');
    await store.upsertUser('maria', 'maria-password-1', 'supervisor');
    const hub: FastifyInstance = await createHubServer({ store, logger: silentLogger, version: 'test', rendererDir: null });
    cleanups.push(() => hub.close());
    await hub.listen({ host: '127.0.0.1', port: 0 });
    const a = hub.server.address();
    const hubUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;

    const dataDir = path.join(opened.dataDir, 'station');
    const { child, match } = await start(
      [
        'station',
        '--headless',
        '--data-dir',
        dataDir,
        '--port',
        '0',
        '--hub',
        hubUrl,
        '--hub-token',
        token,
        '--simulate',
        '0',
        '--sim-speed',
        '400',
        '--sign-in-policy',
        'run',
        '--sim-fail-rate',
        '0.2',
        '--sim-seed',
        '3',
      ],
      /UI: +(http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)/,
    );
    const station: Child = child;
    cleanups.push(() => station.kill('SIGKILL'));
    const sUrl = match[1] as string;
    const sAuth = { authorization: `Bearer ${match[2]}` };
    const sGet = async (p: string) => {
      const res = await fetch(new URL(p, sUrl), { headers: sAuth });
      if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
      return res;
    };

    // Devices of one school (so they can be packed), from the station's current batch.
    const batch = await fetch(new URL('api/v1/settings/current-batch', sUrl), {
      method: 'PUT',
      headers: { ...sAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ blueprint: 'school-ipad', customer: 'Stadt A', school: 'GS Nord' }),
    });
    expect(batch.status, await batch.clone().text()).toBe(200);
    const plug = (count: number) =>
      fetch(new URL('api/v1/simulator/devices', sUrl), {
        method: 'POST',
        headers: { ...sAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ count, model: 'iPad (10th generation)' }),
      });
    expect((await plug(5)).status).toBe(201);

    // Let the devices finish, then unplug them all so nothing moves any more.
    await until(
      async () => {
        const list = (await (await sGet('api/v1/devices')).json()) as { serial: string; state: string | null }[];
        return list.length === 5 && list.every((d) => d.state === 'done' || d.state === 'failed') ? list : false;
      },
      'the devices to finish',
      60_000,
    );
    // Two more devices, and the shift is closed while they are in flight: they are handed over.
    const firstShift = ((await (await sGet('api/v1/shifts')).json()) as { id: string }[])[0]!.id;
    expect((await plug(2)).status).toBe(201);
    await until(
      async () => {
        const list = (await (await sGet('api/v1/devices')).json()) as { state: string | null }[];
        return list.some((d) => d.state === 'running' || d.state === 'waiting');
      },
      'a device in flight',
      30_000,
    );
    const closed = await fetch(new URL(`api/v1/shifts/${firstShift}/close`, sUrl), { method: 'POST', headers: sAuth });
    expect(closed.status).toBe(200);
    const all = await until(
      async () => {
        const list = (await (await sGet('api/v1/devices')).json()) as { serial: string; state: string | null }[];
        return list.length === 7 && list.every((d) => d.state === 'done' || d.state === 'failed') ? list : false;
      },
      'all devices to finish',
      60_000,
    );
    // Finished devices go into a packing unit; one is taken out again.
    const post = (p: string, body: unknown) =>
      fetch(new URL(p, sUrl), { method: 'POST', headers: { ...sAuth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const doneSerials = all.filter((d) => d.state === 'done').map((d) => d.serial);
    expect(doneSerials.length).toBeGreaterThan(1);
    const unitRes = await post('api/v1/units', { fromSerial: doneSerials[0] });
    expect(unitRes.status, await unitRes.clone().text()).toBe(201);
    const unit = (await unitRes.json()) as { id: string };
    const packed: string[] = [];
    for (const serial of doneSerials.slice(0, 3)) if ((await post(`api/v1/units/${unit.id}/devices`, { serial })).ok) packed.push(serial);
    expect(packed.length).toBeGreaterThan(1);
    expect((await post(`api/v1/units/${unit.id}/devices/${encodeURIComponent(packed[1]!)}/remove`, { reason: 'wrong box' })).ok).toBe(true);
    for (const d of all) await fetch(new URL(`api/v1/simulator/devices/${encodeURIComponent(d.serial)}`, sUrl), { method: 'DELETE', headers: sAuth });
    const outbox = () => {
      const sdb = new Database(path.join(dataDir, 'station.db'), { readonly: true });
      try {
        return (sdb.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
      } finally {
        sdb.close();
      }
    };
    await until(() => outbox() === 0, 'the outbox to drain', 60_000);
    const shifts = (await (await sGet('api/v1/shifts')).json()) as { id: string }[];
    expect(shifts.length).toBe(2);
    const health = (await (await sGet('api/v1/health')).json()) as { stationId: string };

    const session = (await (
      await fetch(`${hubUrl}api/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'maria', password: 'maria-password-1' }),
      })
    ).json()) as { token: string };
    const hubGet = (p: string) => fetch(`${hubUrl}${p}`, { headers: { authorization: `Bearer ${session.token}` } });

    for (const { id } of shifts) {
      // The hub counts every run in the shift the station counts it in, handed-over runs included.
      const runs = (await (await sGet(`api/v1/runs?shift=${id}`)).json()) as { state: string }[];
      const byState: Record<string, number> = {};
      for (const r of runs) byState[r.state] = (byState[r.state] ?? 0) + 1;
      expect(await store.shiftCounts(health.stationId, id), id).toEqual(byState);
      for (const q of ['format=csv', 'format=csv&dialect=excel-de', 'format=json']) {
        const fromStation = await (await sGet(`api/v1/shifts/${id}/export?${q}`)).text();
        const res = await hubGet(`api/v1/stations/${health.stationId}/shifts/${id}/export?${q}`);
        expect(res.status, q).toBe(200);
        const fromHub = await res.text();
        expect(fromHub, `${id} ${q}`).toBe(fromStation);
        expect(fromStation.split('\n').length, q).toBeGreaterThan(2);
      }
    }
    const json = JSON.parse(await (await sGet(`api/v1/shifts/${firstShift}/export?format=json`)).text()) as {
      shift: { carriedOut: unknown[] };
      runs: { blueprint_hash: string | null }[];
    };
    expect(json.shift.carriedOut.length).toBeGreaterThan(0);
    // Every run names the content hash of the blueprint it executed (and so, being equal, the hub's export does).
    expect(json.runs.length).toBeGreaterThan(0);
    for (const run of json.runs) expect(run.blueprint_hash).toMatch(/^[0-9a-f]{64}$/);
    // The unit is in the export (and so, being equal, in the hub's).
    const csvs = await Promise.all(shifts.map(async ({ id }) => (await sGet(`api/v1/shifts/${id}/export?format=csv`)).text()));
    expect(csvs.join('\n')).toContain(unit.id);
    const shiftId = firstShift;
    const pdf = await hubGet(`api/v1/stations/${health.stationId}/shifts/${shiftId}/export?format=pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');

    expect((await hubGet(`api/v1/stations/${health.stationId}/shifts/nope/export?format=csv`)).status).toBe(404);
    expect((await hubGet(`api/v1/stations/${health.stationId}/shifts/${shiftId}/export?format=xls`)).status).toBe(400);
    expect((await fetch(`${hubUrl}api/v1/stations/${health.stationId}/shifts/${shiftId}/export?format=csv`)).status).toBe(401);
  }, 120_000);
});
