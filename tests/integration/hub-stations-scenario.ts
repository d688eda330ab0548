import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import type { StationTile } from '../../shared/contract/hub-api.js';
import { HubStore } from '../../main/hub/hub-store.js';
import { scenarioFooting, type TestDb } from './hub-helpers.js';
import { CuttableLink, cli, freePort, start, until, type Child } from './hub-processes.js';

/**
 * Two stations and the hub as child processes of the built CLI. The hub is SIGKILLed mid-shift
 * and restarted, station A is SIGKILLed and restarted while the hub is down, station B is cut off
 * the network for a while; at the end the hub's counts equal each station's and it holds every
 * outbox record exactly once.
 */
// Each database runs it from its own test file (hub-stations-sqlite/-postgres.test.ts), so the two
// halves of this slow scenario run in parallel workers.
export function hubAndTwoStationsScenario(db: TestDb): void {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('counts every device once through a hub crash, a station crash and a station offline', async () => {
    const { root, dbArgs, dbUrl } = await scenarioFooting(db, 'hubproc', cleanups);
    const hubDir = path.join(root, 'hub');
    const reg = (name: string) => {
      const r = cli(['hub', 'register-station', name, '--data-dir', hubDir, ...dbArgs]);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    const tokenA = reg('Bench A');
    const tokenB = reg('Bench B');
    expect(cli(['hub', 'add-user', 'maria', '--role', 'supervisor', '--data-dir', hubDir, '--password-stdin', ...dbArgs], 'maria-password-1\n').status).toBe(0);

    const hubPort = await freePort();
    const hubUrl = `http://127.0.0.1:${hubPort}`;
    const children = new Set<Child>();
    cleanups.push(async () => {
      for (const c of children) await c.kill('SIGKILL');
    });
    const startHub = async () => {
      const { child } = await start(['hub', '--data-dir', hubDir, '--port', String(hubPort), ...dbArgs], /Benchline hub ready/);
      children.add(child);
      return child;
    };
    let hub = await startHub();
    const link = new CuttableLink(hubPort);
    await link.listen();
    cleanups.push(() => link.close());

    const stationArgs = (dir: string, via: string, token: string) => [
      'station',
      '--headless',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--hub',
      via,
      '--hub-token',
      token,
      '--simulate',
      '3',
      '--sim-speed',
      '400',
      '--sign-in-policy',
      'run',
      // Some failures, as on a floor; school-ipad has 16 steps now, so at 0.15 too few runs finished under a loaded CI machine.
      '--sim-fail-rate',
      '0.08',
      '--sim-seed',
      '11',
    ];
    const startStation = async (dir: string, via: string, token: string) => {
      const { child, match } = await start(stationArgs(dir, via, token), /UI: +(http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)/);
      children.add(child);
      return { child, url: match[1] as string, token: match[2] as string, dir };
    };
    const dirA = path.join(root, 'A');
    const dirB = path.join(root, 'B');
    let a = await startStation(dirA, hubUrl, tokenA);
    const b = await startStation(dirB, `http://127.0.0.1:${link.port}`, tokenB);

    const api = async (s: { url: string; token: string }, method: string, p: string, body?: unknown) => {
      const res = await fetch(new URL(p, s.url), {
        method,
        headers: { authorization: `Bearer ${s.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<unknown>;
    };
    const plug = (s: { url: string; token: string }, count: number) => api(s, 'POST', 'api/v1/simulator/devices', { count });
    let session = '';
    const tiles = async (): Promise<StationTile[]> => {
      if (!session) {
        const res = await fetch(`${hubUrl}/api/v1/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'maria', password: 'maria-password-1' }),
        });
        session = ((await res.json()) as { token: string }).token;
      }
      const res = await fetch(`${hubUrl}/api/v1/stations`, { headers: { authorization: `Bearer ${session}` } });
      if (!res.ok) throw new Error(`stations: ${res.status}`);
      return (await res.json()) as StationTile[];
    };
    const tile = async (name: string) => (await tiles()).find((t) => t.name === name);

    const stationDb = (dir: string) => new Database(path.join(dir, 'station.db'), { readonly: true, fileMustExist: true });
    const stationFacts = (dir: string) => {
      const sdb = stationDb(dir);
      try {
        const written = (sdb.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as { seq: number }).seq;
        const waiting = (sdb.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
        const counts = sdb.prepare('SELECT shift_id AS shift, state, count(*) AS n FROM runs GROUP BY shift_id, state').all() as {
          shift: string;
          state: string;
          n: number;
        }[];
        const stationId = (sdb.prepare("SELECT value FROM settings WHERE key = 'station_id'").get() as { value: string }).value;
        return { written, waiting, counts, stationId };
      } finally {
        sdb.close();
      }
    };
    // Both stations report.
    await until(async () => ((await tile('Bench A'))?.done ?? 0) > 0 && ((await tile('Bench B'))?.done ?? 0) > 0, 'both stations reporting done devices');

    // Waits until a station has written `more` outbox records past `from`: it works on while the hub or its link is down.
    const keepsWriting = (dir: string, from: number, more: number, what: string) => until(() => stationFacts(dir).written >= from + more, what);

    // The hub crashes mid-shift; work goes on at the benches, and station A crashes and restarts too.
    await hub.kill('SIGKILL');
    children.delete(hub);
    const atHubCrash = { a: stationFacts(dirA).written, b: stationFacts(dirB).written };
    await plug(a, 3);
    await plug(b, 3);
    await keepsWriting(dirA, atHubCrash.a, 3, 'station A working while the hub is down');
    await keepsWriting(dirB, atHubCrash.b, 3, 'station B working while the hub is down');
    await a.child.kill('SIGKILL');
    children.delete(a.child);
    a = await startStation(dirA, hubUrl, tokenA);
    const atRestartA = stationFacts(dirA).written;
    await plug(a, 2);
    await keepsWriting(dirA, atRestartA, 3, 'station A working after its restart, the hub still down');
    hub = await startHub();

    // Station B is cut off for a while, and works on.
    link.setOffline(true);
    const atCutB = stationFacts(dirB).written;
    await plug(b, 3);
    await until(async () => (await tile('Bench A'))?.online, 'station A back online');
    await keepsWriting(dirB, atCutB, 6, 'station B working while cut off');
    // B kept working offline: its outbox holds what the hub has not seen.
    await until(() => stationFacts(dirB).waiting > 0, 'station B keeping records while offline');
    link.setOffline(false);
    await plug(a, 2);
    await plug(b, 2);

    // Let some devices finish, then quiet the benches: unplug every device (a run in flight becomes
    // interrupted), so no run moves any more.
    for (const s of [a, b]) {
      await until(
        async () => ((await api(s, 'GET', 'api/v1/runs')) as { state: string }[]).filter((r) => r.state === 'done').length >= 4,
        'four devices done',
        60_000,
      );
      const devices = (await api(s, 'GET', 'api/v1/devices')) as { serial: string; present: boolean }[];
      for (const d of devices) if (d.present) await api(s, 'DELETE', `api/v1/simulator/devices/${encodeURIComponent(d.serial)}`);
    }
    // A device pulled while it restarts after an erase (an expected disconnect) keeps its run
    // "running" until the step's deadline, then fails: wait until every run has stopped moving.
    for (const s of [a, b]) {
      await until(
        async () =>
          ((await api(s, 'GET', 'api/v1/runs')) as { state: string }[]).every((r) => ['done', 'failed', 'cancelled', 'interrupted'].includes(r.state)),
        'every run settled',
        90_000,
      );
    }

    // Everything is delivered: the outboxes are empty and the hub acknowledged every record written.
    for (const [name, dir] of [
      ['Bench A', dirA],
      ['Bench B', dirB],
    ] as const) {
      await until(
        async () => {
          const f = stationFacts(dir);
          const t = await tile(name);
          return f.waiting === 0 && t?.ackSeq === f.written;
        },
        `${name} delivered its outbox`,
        90_000,
      );
    }
    // The tiles show the station's own numbers for its current shift.
    for (const [name, s] of [
      ['Bench A', a],
      ['Bench B', b],
    ] as const) {
      const runs = (await api(s, 'GET', 'api/v1/runs')) as { state: string; shiftId: string }[];
      const t = await tile(name);
      const n = (st: string[]) => runs.filter((r) => st.includes(r.state)).length;
      expect(t).toMatchObject({
        shiftId: runs[0]?.shiftId,
        done: n(['done']),
        failed: n(['failed']),
        cancelled: n(['cancelled']),
        wip: n(['queued', 'running', 'waiting', 'interrupted']),
      });
      expect(t!.done).toBeGreaterThan(3);
    }

    for (const c of [...children]) await c.kill('SIGTERM');
    children.clear();
    const store = await HubStore.open({ dataDir: hubDir, db: dbUrl });
    try {
      for (const dir of [dirA, dirB]) {
        const f = stationFacts(dir);
        // Every record once: as many events as the station ever wrote, seq 1..written.
        expect(await store.eventCount(f.stationId)).toBe(f.written);
        const byShift = new Map<string, Record<string, number>>();
        for (const c of f.counts) byShift.set(c.shift, { ...byShift.get(c.shift), [c.state]: c.n });
        for (const [shift, counts] of byShift) expect(await store.shiftCounts(f.stationId, shift)).toEqual(counts);
      }
    } finally {
      await store.close();
    }
  }, 300_000);
}
