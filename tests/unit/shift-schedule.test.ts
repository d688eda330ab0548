import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StationShiftLogSource } from '../../main/export/station-shift-source.js';
import { earlyJoiners, isDue, parseWindows, scheduledClose, ShiftScheduleError } from '../../main/shifts/shift-schedule.js';
import { seedShift, tempDir, type SeededShift } from '../fixtures/shift-seed.js';
import { testOutboxEvent } from '../fixtures/store-helpers.js';

const TZ = 'Europe/Berlin';
const W = parseWindows(['06:00-14:00', '14:00-22:00', '22:00-06:00']);
const at = (iso: string) => Date.parse(iso);

describe('shift schedule', () => {
  it('closes a shift at the end of the window it was opened in, in local time', () => {
    // 06:10 local (CET, UTC+1) -> closes 14:00 local = 13:00Z
    expect(new Date(scheduledClose(at('2026-01-15T05:10:00Z'), W, TZ)!).toISOString()).toBe('2026-01-15T13:00:00.000Z');
    // summer (CEST, UTC+2): 14:00 local = 12:00Z
    expect(new Date(scheduledClose(at('2026-07-15T04:10:00Z'), W, TZ)!).toISOString()).toBe('2026-07-15T12:00:00.000Z');
  });

  it('handles the night window across midnight', () => {
    // opened 22:30 local on the 15th -> closes 06:00 local on the 16th
    expect(new Date(scheduledClose(at('2026-01-15T21:30:00Z'), W, TZ)!).toISOString()).toBe('2026-01-16T05:00:00.000Z');
  });

  it('an early sign-in before the window closes at the first boundary after it', () => {
    // 05:50 local: the 22:00-06:00 night shift ends at 06:00
    expect(new Date(scheduledClose(at('2026-01-15T04:50:00Z'), W, TZ)!).toISOString()).toBe('2026-01-15T05:00:00.000Z');
    const two = parseWindows(['06:00-14:00', '14:00-22:00']);
    // with no night window, 05:50 belongs to the morning shift
    expect(new Date(scheduledClose(at('2026-01-15T04:50:00Z'), two, TZ)!).toISOString()).toBe('2026-01-15T13:00:00.000Z');
  });

  it('crosses a daylight-saving change on the wall clock', () => {
    // 29 March 2026 clocks go forward at 02:00: the night shift still ends at 06:00 local (04:00Z)
    expect(new Date(scheduledClose(at('2026-03-28T21:30:00Z'), W, TZ)!).toISOString()).toBe('2026-03-29T04:00:00.000Z');
  });

  it('is due exactly at the boundary, not a moment before', () => {
    const opened = at('2026-01-15T05:10:00Z');
    expect(isDue(opened, at('2026-01-15T12:59:59Z'), W, TZ)).toBe(false);
    expect(isDue(opened, at('2026-01-15T13:00:00Z'), W, TZ)).toBe(true);
    expect(isDue(opened, at('2026-01-15T13:00:00Z'), [], TZ)).toBe(false);
  });

  it('moves operators who signed in just before the boundary to the next shift', () => {
    const b = at('2026-01-15T13:00:00Z');
    expect(
      earlyJoiners(
        [
          { name: 'Anna', joinedAt: at('2026-01-15T05:05:00Z') },
          { name: 'Ben', joinedAt: at('2026-01-15T12:45:00Z') },
          { name: 'Cem', joinedAt: at('2026-01-15T12:20:00Z') },
        ],
        b,
      ),
    ).toEqual(['Ben']);
  });

  it('refuses malformed windows', () => {
    expect(() => parseWindows(['6-14'])).toThrow(ShiftScheduleError);
    expect(() => parseWindows(['25:00-06:00'])).toThrow(/00:00 to 24:00/);
    expect(() => parseWindows(['06:00-06:00'])).toThrow(/empty/);
  });
});

describe('runs in flight at a shift boundary', () => {
  let tmp: ReturnType<typeof tempDir>;
  let s: SeededShift;
  beforeEach(() => {
    tmp = tempDir();
    s = seedShift(path.join(tmp.dir, 'station.db'), 100);
  });
  afterEach(() => {
    s.store.close();
    tmp.cleanup();
  });

  const totals = (shiftId: string) => {
    const src = new StationShiftLogSource({ log: s.log, floor: s.floor, stationId: 'st', stationName: 'S' }, s.store.getShift(shiftId)!, { timeZone: 'UTC' });
    return { summary: src.summary(), runs: [...src.runs()], header: src.header() };
  };

  it('are handed over to the next shift and counted there only, never twice', () => {
    const first = s.shiftId;
    const inFlight = s.floor.inFlightRuns(first);
    expect(inFlight).toHaveLength(2); // runs 24 and 74 are still running
    s.store.closeShift(first, '2026-03-02T13:00:00.000Z');
    const next = s.store.openShift(['Ben'], '2026-03-02T13:00:00.000Z');
    const moved = s.floor.carryOver(first, next.id, 'Ben', '2026-03-02T13:00:00.000Z');
    expect(moved.map((r) => r.runId).sort()).toEqual(['run-000024', 'run-000074']);

    const a = totals(first);
    const b = totals(next.id);
    expect(a.summary.total + b.summary.total).toBe(100);
    expect(a.runs.map((r) => r.run_id)).not.toContain('run-000024');
    expect(b.runs.map((r) => r.run_id).sort()).toEqual(['run-000024', 'run-000074']);
    expect(b.runs.every((r) => r.operator === 'Ben' && r.shift_id === next.id)).toBe(true);
    expect(a.header.carriedOut.map((c) => [c.runId, c.toShift])).toContainEqual(['run-000024', next.id]);
    expect(b.header.carriedIn.map((c) => [c.runId, c.fromShift])).toContainEqual(['run-000024', first]);
    // Events written after the hand-over belong to the new shift and its operator.
    s.store.commitTransition(
      'run-000024',
      first,
      { ...s.store.getRun('run-000024')!, state: 'done', phase: 'done', finishedAt: '2026-03-02T13:05:00.000Z' },
      [{ stepIndex: 4, step: 'app-pages', kind: 'done', attempt: 1, message: null }],
      testOutboxEvent(),
      '2026-03-02T13:05:00.000Z',
    );
    const last = s.store.stepEvents('run-000024').at(-1)!;
    expect(last.shiftId).toBe(next.id);
    const op = s.store.db.prepare('SELECT operator FROM step_events WHERE id = ?').get(last.id) as { operator: string };
    expect(op.operator).toBe('Ben');
    // Counting again after it finished: still exactly once, in the new shift.
    expect(totals(first).summary.done + totals(next.id).summary.done).toBe(a.summary.done + 1);
    // Handing over again is safe: nothing is in flight in the closed shift any more.
    expect(s.floor.carryOver(first, next.id, 'Ben', '2026-03-02T13:10:00.000Z')).toEqual([]);
  });
});
