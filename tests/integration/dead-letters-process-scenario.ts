import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { deadLetterSchema, stationTileSchema, type StationTile } from '../../shared/contract/hub-api.js';
import { stationSnapshotSchema, type StationSnapshot } from '../../shared/contract/station-api.js';
import { HubStore } from '../../main/hub/hub-store.js';
import { scenarioFooting, type TestDb } from './hub-helpers.js';
import { cli, freePort, start, until, type Child } from './hub-processes.js';

/**
 * Issue 8 item 5, "how to show it": a real hub and a real station as processes. The station refuses
 * a NUL in an operator name at its entry points, so the bad record is what an older station (or a
 * producer bug) leaves in the outbox: it is written straight into station.db while the station is
 * stopped, between normal events. The hub refuses it for good; everything after it still arrives,
 * both sides show it as a dead letter, and the station's backlog drains to 0.
 */
// Each database runs it from its own test file (dead-letters-process-sqlite/-postgres.test.ts), so the two
// halves of this slow scenario run in parallel workers.
export function nulOperatorNameScenario(db: TestDb): void {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('becomes a dead letter on hub and station while the events after it reach the hub', async () => {
    const { root, dbArgs, dbUrl } = await scenarioFooting(db, 'deadletters', cleanups);
    const hubDir = path.join(root, 'hub');
    const stationDir = path.join(root, 'station');
    const registered = cli(['hub', 'register-station', 'Bench 1', '--data-dir', hubDir, ...dbArgs]);
    expect(registered.status, registered.stderr).toBe(0);
    const hubToken = registered.stdout.trim();
    expect(cli(['hub', 'add-user', 'maria', '--role', 'supervisor', '--data-dir', hubDir, '--password-stdin', ...dbArgs], 'maria-password-1\n').status).toBe(0);

    const children = new Set<Child>();
    cleanups.push(async () => {
      for (const c of children) await c.kill('SIGKILL');
    });
    const hubPort = await freePort();
    const hubUrl = `http://127.0.0.1:${hubPort}`;
    const { child: hub } = await start(['hub', '--data-dir', hubDir, '--port', String(hubPort), ...dbArgs], /Benchline hub ready/);
    children.add(hub);

    const startStation = async (extra: string[]) => {
      const { child, match } = await start(
        [
          'station',
          '--headless',
          '--data-dir',
          stationDir,
          '--port',
          '0',
          '--hub',
          hubUrl,
          '--hub-token',
          hubToken,
          '--sim-speed',
          '400',
          '--sign-in-policy',
          'run',
          ...extra,
        ],
        /UI: +(http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)/,
      );
      children.add(child);
      return { child, url: match[1]!, token: match[2]! };
    };
    type Station = Awaited<ReturnType<typeof startStation>>;
    const api = async (s: Station, method: string, p: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(new URL(p, s.url), {
        method,
        headers: { authorization: `Bearer ${s.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    let session = '';
    const hubGet = async (p: string): Promise<unknown> => {
      if (!session) {
        const login = await fetch(`${hubUrl}/api/v1/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'maria', password: 'maria-password-1' }),
        });
        session = ((await login.json()) as { token: string }).token;
      }
      const res = await fetch(`${hubUrl}${p}`, { headers: { authorization: `Bearer ${session}` } });
      if (!res.ok) throw new Error(`hub ${p}: ${res.status}`);
      return res.json();
    };
    const tile = async (): Promise<StationTile | undefined> =>
      stationTileSchema
        .array()
        .parse(await hubGet('/api/v1/stations'))
        .find((t) => t.name === 'Bench 1');
    const outboxFacts = () => {
      const sdb = new Database(path.join(stationDir, 'station.db'), { readonly: true, fileMustExist: true });
      try {
        const written = (sdb.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").get() as { seq: number }).seq;
        const waiting = (sdb.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
        const stationId = (sdb.prepare("SELECT value FROM settings WHERE key = 'station_id'").get() as { value: string }).value;
        return { written, waiting, stationId };
      } finally {
        sdb.close();
      }
    };
    const delivered = async () => {
      const f = outboxFacts();
      return f.waiting === 0 && (await tile())?.ackSeq === f.written ? f : false;
    };

    // 1. Normal work: a shift opens and reaches the hub.
    let station = await startStation([]);
    const shift = (await api(station, 'POST', 'api/v1/shifts', { operators: ['Ana'] })) as { id: string; openedAt: string };
    await until(delivered, 'the opened shift at the hub');

    // 2. The station stops; an older station's record with a NUL in an operator name is left in its outbox.
    await station.child.kill('SIGTERM');
    children.delete(station.child);
    const { stationId } = outboxFacts();
    const sdb = new Database(path.join(stationDir, 'station.db'));
    const at = new Date().toISOString();
    const operators = ['Ana', 'B\u0000b'];
    const badSeq = Number(
      sdb.prepare('INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)').run(
        'shift.operators',
        JSON.stringify({
          type: 'shift.operators',
          stationId,
          at,
          shift: { id: shift.id, openedAt: shift.openedAt, closedAt: null, operators, present: operators },
        }),
        at,
      ).lastInsertRowid,
    );
    sdb.close();

    // 3. Back at work: another operator joins and simulated devices run; all of it comes after the bad record.
    station = await startStation(['--simulate', '2']);
    await api(station, 'POST', 'api/v1/shifts', { operators: ['Cem'] });
    await until(
      async () => ((await api(station, 'GET', 'api/v1/runs')) as { state: string }[]).filter((r) => r.state === 'done').length >= 2,
      'two devices done',
      90_000,
    );
    for (const d of (await api(station, 'GET', 'api/v1/devices')) as { serial: string; present: boolean }[]) {
      if (d.present) await api(station, 'DELETE', `api/v1/simulator/devices/${encodeURIComponent(d.serial)}`);
    }
    const facts = await until(delivered, 'the outbox drained to the hub', 90_000);
    expect(facts.written).toBeGreaterThan(badSeq + 5);

    // The hub: the later events arrived (the operator who joined after, the devices' runs), the bad one is its dead letter.
    const t = (await tile())!;
    expect(t).toMatchObject({ ackSeq: facts.written, deadLetters: 1 });
    expect(t.operators).toEqual(expect.arrayContaining(['Ana', 'Cem']));
    expect(t.operators.some((o) => o.includes('\u0000'))).toBe(false);
    expect(t.done).toBeGreaterThanOrEqual(2);
    const hubLetters = deadLetterSchema.array().parse(await hubGet(`/api/v1/dead-letters?station=${stationId}`));
    expect(hubLetters).toMatchObject([{ stationId, stationName: 'Bench 1', seq: badSeq, code: 'control_character' }]);

    // The station: its hub link counts the dead letter and has nothing left to send.
    const snapshot = await stationSnapshot(station);
    expect(snapshot.hub).toMatchObject({ state: 'online', backlog: 0, deadLetters: 1, lastAckSeq: facts.written });

    await station.child.kill('SIGTERM');
    children.delete(station.child);
    const exported = cli(['export', '--dead-letters', '--data-dir', stationDir, '--format', 'json', '--out', '-']);
    expect(exported.status, exported.stderr).toBe(0);
    const letters = JSON.parse(exported.stdout) as { seq: number; kind: string; code: string; source: string; payload: { shift: { operators: string[] } } }[];
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ seq: badSeq, kind: 'shift.operators', code: 'control_character', source: 'hub' });
    expect(letters[0]!.payload.shift.operators).toEqual(operators);

    await hub.kill('SIGTERM');
    children.delete(hub);
    // Every other record is at the hub exactly once: seq 1..written without the dead letter.
    const store = await HubStore.open({ dataDir: hubDir, db: dbUrl });
    try {
      expect(await store.eventCount(stationId)).toBe(facts.written - 1);
    } finally {
      await store.close();
    }
  }, 240_000);
}

/** The station's snapshot over its WebSocket transport, as the renderer gets it. */
async function stationSnapshot(station: { url: string; token: string }): Promise<StationSnapshot> {
  const ws = new WebSocket(`${station.url.replace(/^http/, 'ws')}api/v1/ws?token=${encodeURIComponent(station.token)}`);
  try {
    return await new Promise<StationSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no snapshot over the WebSocket within 10 s')), 10_000);
      ws.addEventListener('error', () => reject(new Error('WebSocket error')));
      ws.addEventListener('open', () => ws.send(JSON.stringify({ kind: 'call', id: 1, method: 'snapshot', params: {} })));
      ws.addEventListener('message', (e) => {
        const frame = JSON.parse(String(e.data)) as { kind: string; id?: number; ok?: boolean; result?: unknown; error?: unknown };
        if (frame.kind !== 'result' || frame.id !== 1) return;
        clearTimeout(timer);
        if (frame.ok) resolve(stationSnapshotSchema.parse(frame.result));
        else reject(new Error(`snapshot failed: ${JSON.stringify(frame.error)}`));
      });
    });
  } finally {
    ws.close();
  }
}
