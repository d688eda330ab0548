import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceView } from '../../shared/contract/station-api.js';
import { tempDir } from '../fixtures/store-helpers.js';
import { requireBuild, startStation, stopStation, waitFor, type StationProcess } from './station-process.js';

/**
 * The station is killed (SIGKILL: no shutdown code runs) three times at different moments while
 * 32 simulated iPads enroll, and restarted with the same arguments each time. Nothing committed
 * may be lost, nothing may be done twice, and every device must end enrolled exactly once.
 */
const DEVICES = 32;
// At 100x an iPad's pipeline (about 8 minutes real time) takes about 5 s.
const ARGS = ['--simulate', String(DEVICES), '--sim-speed', '100', '--sim-fail-rate', '0', '--sim-seed', '7'];

let tmp: ReturnType<typeof tempDir>;
let station: StationProcess | null = null;

beforeAll(() => {
  requireBuild();
  tmp = tempDir('benchline-crash-');
});
afterAll(async () => {
  if (station) await stopStation(station, 'SIGKILL');
  tmp.cleanup();
});

async function devices(s: StationProcess): Promise<DeviceView[]> {
  const res = await s.api<DeviceView[]>('GET', '/api/v1/devices');
  expect(res.status).toBe(200);
  return res.body;
}

const MID_RUN = new Set(['queued', 'running', 'waiting', 'interrupted']);

async function kill(s: StationProcess): Promise<void> {
  await stopStation(s, 'SIGKILL');
  expect(s.child.signalCode).toBe('SIGKILL');
}

describe('crash recovery', () => {
  it('SIGKILL at three moments loses nothing and does nothing twice', async () => {
    // 1. Kill while some runs are done and others are in the middle of their pipeline.
    station = await startStation(tmp.dir, ARGS);
    await waitFor(
      'some runs done, others mid-run',
      async () => {
        const list = await devices(station!);
        const done = list.filter((d) => d.state === 'done').length;
        const mid = list.filter((d) => d.state !== null && MID_RUN.has(d.state)).length;
        return done >= 3 && mid >= 8 ? true : undefined;
      },
      60_000,
      50,
    );
    await kill(station);

    // 2. Kill right after the restart, while the restored runs are starting their steps again.
    station = await startStation(tmp.dir, ARGS);
    const restored = await devices(station);
    expect(restored.filter((d) => d.runId !== null)).toHaveLength(DEVICES);
    await kill(station);

    // 3. Kill late, when most are done.
    station = await startStation(tmp.dir, ARGS);
    await waitFor(
      'most runs done',
      async () => {
        const list = await devices(station!);
        const done = list.filter((d) => d.state === 'done').length;
        return done >= DEVICES * 0.7 && done < DEVICES ? true : done === DEVICES ? true : undefined;
      },
      60_000,
      50,
    );
    await kill(station);

    // 4. The last start finishes everything.
    station = await startStation(tmp.dir, ARGS);
    const final = await waitFor(
      'all devices done',
      async () => {
        const list = await devices(station!);
        return list.length === DEVICES && list.every((d) => d.state === 'done') ? list : undefined;
      },
      90_000,
      200,
    );
    expect(new Set(final.map((d) => d.serial)).size).toBe(DEVICES);

    // The export and the run details after the kills: no step row left running in a finished
    // run, a step cut off by a kill closed as interrupted, and each attempt counted once.
    const shifts = await station.api<{ id: string }[]>('GET', '/api/v1/shifts');
    expect(shifts.body).toHaveLength(1);
    const exported = await station.api<{ steps: { runId: string; step: string; status: string; attempt: number; finishedAt: string | null }[] }>(
      'GET',
      `/api/v1/shifts/${shifts.body[0]!.id}/export?format=json`,
    );
    expect(exported.status).toBe(200);
    expect(exported.body.steps.filter((s) => s.status === 'running' || s.finishedAt === null)).toEqual([]);
    let cutOff = 0;
    for (const d of final) {
      const rows = exported.body.steps.filter((s) => s.runId === d.runId);
      // One done row per (step, attempt); any other row of the same attempt is one a kill interrupted.
      const done = rows.filter((s) => s.status === 'done').map((s) => `${s.step}#${s.attempt}`);
      expect(new Set(done).size, `run ${d.runId}`).toBe(done.length);
      for (const s of rows.filter((r) => r.status !== 'done')) {
        expect(s.status, `run ${d.runId} ${s.step}`).toBe('interrupted');
        cutOff++;
      }
      const detail = await station.api<{ steps: { id: string; attempts: number }[] }>('GET', `/api/v1/runs/${d.runId}`);
      // No failures at --sim-fail-rate 0: every step took exactly one attempt, however often it was cut off.
      expect(
        detail.body.steps.map((s) => `${s.id} x${s.attempts}`),
        `run ${d.runId}`,
      ).toEqual(detail.body.steps.map((s) => `${s.id} x1`));
    }
    expect(cutOff).toBeGreaterThan(0);
    await stopStation(station, 'SIGTERM');
    station = null;

    // 5. What the database says.
    const db = new Database(path.join(tmp.dir, 'station.db'), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const sims = db.prepare('SELECT serial FROM sim_devices').all() as { serial: string }[];
      expect(sims).toHaveLength(DEVICES);

      const runs = db.prepare('SELECT id, serial, state, blueprint_id, shift_id, finished_at FROM runs').all() as {
        id: string;
        serial: string;
        state: string;
        blueprint_id: number;
        shift_id: string;
        finished_at: string | null;
      }[];
      // Exactly one run per device, every one done.
      expect(runs.map((r) => r.serial).sort()).toEqual(sims.map((s) => s.serial).sort());
      expect(runs.filter((r) => r.state !== 'done')).toEqual([]);
      expect(runs.filter((r) => r.finished_at === null)).toEqual([]);
      // Every run belongs to the one unassigned shift the station opened for itself.
      expect(new Set(runs.map((r) => r.shift_id)).size).toBe(1);

      const blueprints = new Map(
        (db.prepare('SELECT id, definition FROM blueprints').all() as { id: number; definition: string }[]).map((b) => [
          b.id,
          (JSON.parse(b.definition) as { steps: { id: string }[] }).steps.map((s) => s.id),
        ]),
      );
      const events = db.prepare('SELECT id, run_id, step, kind FROM step_events ORDER BY id').all() as {
        id: number;
        run_id: string;
        step: string | null;
        kind: string;
      }[];
      let restarts = 0;
      for (const run of runs) {
        const steps = blueprints.get(run.blueprint_id)!;
        expect(steps.length).toBeGreaterThan(5);
        const own = events.filter((e) => e.run_id === run.id);
        expect(own.filter((e) => e.kind === 'created')).toHaveLength(1);
        expect(own[0]!.kind).toBe('created');
        const done = own.filter((e) => e.kind === 'done').map((e) => e.step);
        // Each step of the blueprint done exactly once, in the blueprint's order: nothing twice, nothing skipped.
        expect(done, `run ${run.id}`).toEqual(steps);
        expect(own.filter((e) => e.kind === 'skip' || e.kind === 'cancel')).toEqual([]);
        restarts += own.filter((e) => e.kind === 'resumed').length;
      }
      // The kills did land in the middle of runs.
      expect(restarts).toBeGreaterThan(0);

      // The outbox: seq unique, increasing in commit order, without gaps (nothing lost, nothing half-written).
      const outbox = db.prepare('SELECT seq, kind, payload FROM outbox ORDER BY seq').all() as { seq: number; kind: string; payload: string }[];
      const seqs = outbox.map((o) => o.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs.at(-1)! - seqs[0]! + 1).toBe(seqs.length);
      // Every step event went out with the transition that committed it, in the same order.
      const eventsByRun = new Map<string, typeof events>();
      for (const e of events) eventsByRun.set(e.run_id, [...(eventsByRun.get(e.run_id) ?? []), e]);
      let lastEventId = 0;
      for (const row of outbox.filter((o) => o.kind === 'run.transition')) {
        const payload = JSON.parse(row.payload) as { run: { id: string }; events: { kind: string; step: string | null }[] };
        const queue = eventsByRun.get(payload.run.id)!;
        const committed = queue.splice(0, payload.events.length);
        expect(committed.map((e) => `${e.kind} ${e.step}`)).toEqual(payload.events.map((e) => `${e.kind} ${e.step}`));
        for (const e of committed) {
          expect(e.id).toBeGreaterThan(lastEventId);
          lastEventId = e.id;
        }
      }
      for (const [runId, rest] of eventsByRun) expect(rest, `events of ${runId} without an outbox record`).toEqual([]);
    } finally {
      db.close();
    }
  }, 300_000);
});
