import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHubServer } from '../../main/hub/hub-server.js';
import { HubStore } from '../../main/hub/hub-store.js';
import { silentLogger } from '../../main/logging/logger.js';
import { checkHubLink } from '../../main/cli/hub-link-flags.js';
import { OutboxSender, type HubLinkStatus } from '../../main/hub-link/outbox-sender.js';
import { openStationCore, startHubReporting } from '../../main/station/start-station.js';
import type { StationEvent } from '../../shared/contract/station-api.js';
import { DeadLetterStore } from '../../main/store/dead-letter-store.js';
import { StationStore } from '../../main/store/station-store.js';
import type { Logger } from '../../main/logging/logger.js';
import { tempDir } from '../integration/hub-helpers.js';

/** Waits for a condition the sender reaches by itself; polls, never asserts on time. */
async function until(check: () => boolean | Promise<boolean>, what: string, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('outbox sender', () => {
  let dir: string;
  let station: StationStore;
  let hubStore: HubStore;
  let hub: FastifyInstance;
  let hubUrl: string;
  let token: string;
  const senders: OutboxSender[] = [];

  const writeShifts = (n: number) => {
    for (let i = 0; i < n; i++) {
      const shift = station.openShift([`op${i}`], new Date().toISOString());
      if (i % 3 === 2) station.closeShift(shift.id, new Date().toISOString());
    }
  };
  const sender = (extra: Partial<ConstructorParameters<typeof OutboxSender>[0]> = {}) => {
    const s = new OutboxSender({
      source: station,
      deadLetters: new DeadLetterStore(station.db),
      stationId: station.stationId(),
      hubUrl,
      token,
      logger: silentLogger,
      minDelayMs: 10,
      maxDelayMs: 50,
      pollMs: 20,
      lingerMs: 5,
      heartbeatMs: 60_000,
      ...extra,
    });
    senders.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = tempDir('sender');
    station = new StationStore(path.join(dir, 'station.db'));
    hubStore = await HubStore.open({ dataDir: path.join(dir, 'hub') });
    token = (await hubStore.registerStation('Bench 1')).token;
    hub = await createHubServer({ store: hubStore, logger: silentLogger, version: 'test', rendererDir: null });
    await hub.listen({ host: '127.0.0.1', port: 0 });
    const a = hub.server.address();
    hubUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterEach(async () => {
    for (const s of senders.splice(0)) await s.stop();
    await hub.close();
    await hubStore.close();
    station.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends every record in batches and deletes only what the hub acknowledged', async () => {
    writeShifts(25);
    const written = station.outboxState().lastWritten;
    expect(written).toBeGreaterThan(25);
    const s = sender({ batchSize: 7 });
    s.start();
    await until(() => station.outboxState().count === 0, 'an empty outbox');
    expect(await hubStore.eventCount(station.stationId())).toBe(written);
    expect(s.status()).toMatchObject({ state: 'online', lastAckSeq: written, backlog: 0 });
  });

  it('sends again what was stored but not answered, and the hub counts it once', async () => {
    writeShifts(10);
    let lost = 0;
    const s = sender({
      batchSize: 4,
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        // The hub stored the batch; the answer never arrives (twice).
        if (lost < 2) {
          lost += 1;
          throw new TypeError('fetch failed: socket hang up');
        }
        return res;
      },
    });
    s.start();
    await until(() => station.outboxState().count === 0, 'an empty outbox');
    expect(lost).toBe(2);
    expect(await hubStore.eventCount(station.stationId())).toBe(station.outboxState().lastWritten);
  });

  it('backs off exponentially with jitter while the hub is down, then delivers everything', async () => {
    writeShifts(5);
    let down = true;
    const delays: number[] = [];
    const s = sender({
      minDelayMs: 100,
      maxDelayMs: 400,
      random: () => 0.5,
      fetch: async (input, init) => {
        if (down) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
        return fetch(input, init);
      },
    });
    s.onStatus((st: HubLinkStatus) => {
      if (st.state === 'offline' && st.nextAttemptAt) delays.push(Date.parse(st.nextAttemptAt));
    });
    s.start();
    await until(() => delays.length >= 5, 'five failed attempts');
    expect(s.status()).toMatchObject({ state: 'offline', lastError: expect.stringContaining('ECONNREFUSED') });
    expect(station.outboxState().count).toBeGreaterThan(0);
    down = false;
    await until(() => station.outboxState().count === 0, 'an empty outbox');
    expect(s.status().state).toBe('online');
  });

  it('jitter: the n-th retry waits a random share of min(max, min*2^(n-1))', async () => {
    writeShifts(1);
    const waits: number[] = [];
    let t = 1_000_000;
    const s = sender({
      minDelayMs: 100,
      maxDelayMs: 400,
      random: () => 0.5,
      now: () => t,
      fetch: async () => {
        t += 1;
        throw new TypeError('fetch failed');
      },
    });
    s.onStatus((st) => {
      if (st.nextAttemptAt) waits.push(Date.parse(st.nextAttemptAt) - t);
    });
    s.start();
    await until(() => waits.length >= 5, 'five failed attempts');
    expect(waits.slice(0, 5)).toEqual([50, 100, 200, 200, 200]);
  });

  it('a new sender after a restart carries on where the last acknowledgement left off', async () => {
    writeShifts(12);
    const first = sender({ batchSize: 5 });
    first.start();
    await until(() => (first.status().lastAckSeq ?? 0) >= 5, 'a first acknowledgement');
    await first.stop();
    writeShifts(6);
    const second = sender({ batchSize: 5 });
    second.start();
    await until(() => station.outboxState().count === 0, 'an empty outbox');
    expect(await hubStore.eventCount(station.stationId())).toBe(station.outboxState().lastWritten);
  });

  it('a refused token keeps every record and says so', async () => {
    writeShifts(3);
    const s = sender({ token: 'bls_this-token-is-not-registered' });
    s.start();
    await until(() => s.status().state === 'rejected', 'the rejected state');
    expect(s.status().lastError).toMatch(/401 unauthorized/);
    expect(station.outboxState().count).toBe(station.outboxState().lastWritten);
  });

  it('never deletes past what the station wrote, whatever the hub answers', async () => {
    writeShifts(2);
    const written = station.outboxState().lastWritten;
    const s = sender({
      fetch: async () => new Response(JSON.stringify({ ackSeq: written + 100 }), { status: 200, headers: { 'content-type': 'application/json' } }),
    });
    s.start();
    await until(() => station.outboxState().count === 0, 'an empty outbox');
    writeShifts(1);
    expect(station.outboxState().count).toBe(1);
  });

  it('a station reporting to the hub shows the link in its snapshot, and its shift reaches the hub', async () => {
    const core = await openStationCore({
      dataDir: path.join(dir, 'core'),
      resourcesDir: path.join(fileURLToPath(new URL('../..', import.meta.url)), 'resources'),
      drivers: ['sim'],
      simulate: 0,
      simSpeed: Number.POSITIVE_INFINITY,
      simFailRate: 0,
      simSeed: 1,
      blueprintFiles: [],
      version: 'test',
      logger: silentLogger,
    });
    const coreToken = (await hubStore.registerStation('Bench Core')).token;
    // Renderers learn of every change of the link from a `hub` event, without reading the snapshot again.
    const hubEvents: StationEvent[] = [];
    const off = core.onEvent((e) => e.type === 'hub' && hubEvents.push(e));
    const sender = startHubReporting(core, { url: hubUrl, token: coreToken }, silentLogger, 'test');
    try {
      expect(core.snapshot().hub).toMatchObject({ hub: hubUrl });
      const shift = core.openShift(['Ana', 'Ben']);
      await until(() => core.snapshot().hub?.state === 'online' && core.snapshot().hub?.backlog === 0, 'the link online with nothing waiting');
      await until(
        () => hubEvents.some((e) => e.type === 'hub' && e.hub.state === 'online' && e.hub.backlog === 0),
        'a hub event saying online with nothing waiting',
      );
      expect(hubEvents.every((e) => e.type === 'hub' && e.hub.hub === hubUrl)).toBe(true);
      off();
      await until(
        async () =>
          (await hubStore.stationTiles(Date.now(), { onlineWindowMs: 30_000, stallMs: 600_000 })).some(
            (t) => t.name === 'Bench Core' && t.shiftId === shift.id,
          ),
        'the shift on the hub',
      );
      const tile = (await hubStore.stationTiles(Date.now(), { onlineWindowMs: 30_000, stallMs: 600_000 })).find((t) => t.name === 'Bench Core');
      expect(tile).toMatchObject({ stationId: core.stationId, online: true, shiftOpen: true, operators: ['Ana', 'Ben'] });
    } finally {
      await sender.stop();
      await core.close();
    }
  });

  /** A hub at the module boundary (the sender's fetch): records what it was sent, answers what `answer` says. */
  const fakeHub = (answer: (seqs: number[]) => { status: number; body: unknown }) => {
    const received: number[] = [];
    const fetchFn: typeof fetch = async (_input, init) => {
      const body = JSON.parse(init?.body as string) as { events: { seq: number }[] };
      const seqs = body.events.map((e) => e.seq);
      const a = answer(seqs);
      if (a.status === 200 || a.status === 422) received.push(...seqs);
      return new Response(JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json' } });
    };
    return { received, fetchFn };
  };
  const capture = () => {
    const lines: { level: string; message: string }[] = [];
    const logger: Logger = { log: (level, message) => void lines.push({ level, message }) };
    return { lines, logger };
  };

  it('a 422 naming a refused event files it as a dead letter, and every later event is sent and acknowledged', async () => {
    writeShifts(6);
    const written = station.outboxState().lastWritten;
    const bad = 3;
    const hub = fakeHub((seqs) => {
      const ackSeq = seqs.length ? Math.max(...seqs) : written;
      if (!seqs.includes(bad)) return { status: 200, body: { ackSeq } };
      return {
        status: 422,
        body: {
          error: { code: 'events_rejected', message: '1 event refused' },
          ackSeq,
          rejected: [{ seq: bad, code: 'invalid_text', message: 'operator contains U+0000\u001b[31m' }],
        },
      };
    });
    const original = station.outboxAfter(bad - 1, 1)[0];
    const log = capture();
    const s = sender({ batchSize: 4, fetch: hub.fetchFn, logger: log.logger });
    s.start();
    await until(() => station.outboxState().count === 0, 'the backlog drained');
    expect(hub.received.filter((q) => q > bad)).toEqual(Array.from({ length: written - bad }, (_, i) => bad + 1 + i));
    const letters = new DeadLetterStore(station.db).list();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ seq: bad, kind: original?.kind, payload: original?.payload, code: 'invalid_text', source: 'hub' });
    // The hub's words are stored without their control characters.
    expect(letters[0]?.message).toBe('operator contains U+0000[31m');
    await until(() => s.status().state === 'online', 'the link online');
    expect(s.status()).toMatchObject({ backlog: 0, deadLetters: 1, lastAckSeq: written });
    expect(log.lines.some((l) => l.level === 'error' && l.message.includes(`seq ${bad}`))).toBe(true);
  });

  it('a batch the hub refuses with 400 is halved down to the one event, which is filed locally; the rest goes on', async () => {
    writeShifts(9);
    const written = station.outboxState().lastWritten;
    const bad = 7;
    const hub = fakeHub((seqs) =>
      seqs.includes(bad)
        ? { status: 400, body: { error: { code: 'bad_request', message: 'events.0.payload: not a valid event' } } }
        : { status: 200, body: { ackSeq: seqs.length ? Math.max(...seqs) : written } },
    );
    const log = capture();
    const s = sender({ batchSize: 8, fetch: hub.fetchFn, logger: log.logger });
    s.start();
    await until(() => station.outboxState().count === 0, 'the backlog drained');
    expect(hub.received.sort((a, b) => a - b)).toEqual(Array.from({ length: written }, (_, i) => i + 1).filter((q) => q !== bad));
    expect(new DeadLetterStore(station.db).list()).toEqual([
      expect.objectContaining({ seq: bad, code: 'bad_request', message: 'events.0.payload: not a valid event', source: 'station' }),
    ]);
    expect(log.lines.some((l) => l.level === 'warn' && /gap/.test(l.message) && l.message.includes(`seq ${bad}`))).toBe(true);
    await until(() => s.status().state === 'online', 'the link online');
    expect(s.status().deadLetters).toBe(1);
  });

  it('a refused token (401) keeps every record and files no dead letter', async () => {
    writeShifts(2);
    const s = sender({ fetch: fakeHub(() => ({ status: 401, body: { error: { code: 'unauthorized', message: 'token' } } })).fetchFn });
    s.start();
    await until(() => s.status().state === 'rejected', 'the rejected state');
    expect(new DeadLetterStore(station.db).count()).toBe(0);
    expect(station.outboxState().count).toBe(station.outboxState().lastWritten);
  });

  it('checks --hub and --hub-token', () => {
    expect(checkHubLink(undefined, undefined)).toBeNull();
    expect(checkHubLink('http://hub:4790', undefined)).toMatch(/go together/);
    expect(checkHubLink('ftp://hub', 'bls_aaaaaaaaaaaaaaaaaaaaaaaa')).toMatch(/http/);
    expect(checkHubLink('http://hub:4790', 'bls_aaaaaaaaaaaaaaaaaaaaaaaa')).toEqual({ url: 'http://hub:4790/', token: 'bls_aaaaaaaaaaaaaaaaaaaaaaaa' });
  });
});
