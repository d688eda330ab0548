import { describe, expect, it } from 'vitest';
import { isoWithOffset } from '../../main/export/shift-log.js';
import { parseWindows, scheduledClose } from '../../main/shifts/shift-schedule.js';
import { localDateOf, startOfLocalDay, zonedInstant } from '../../main/shifts/zoned-time.js';

const BERLIN = 'Europe/Berlin';
const at = (iso: string) => Date.parse(iso);
const windows = parseWindows(['06:00-14:00', '14:00-22:00', '22:00-06:00']);

describe('zoned time across daylight-saving changes (Europe/Berlin)', () => {
  it('spring forward (29 March 2026): the night shift ends at 06:00 CEST, after 7 hours', () => {
    const opened = at('2026-03-28T21:00:00Z'); // 22:00 CET
    const close = scheduledClose(opened, windows, BERLIN)!;
    expect(new Date(close).toISOString()).toBe('2026-03-29T04:00:00.000Z');
    expect((close - opened) / 3_600_000).toBe(7);
    // The day shift after it ends at 14:00 CEST.
    expect(new Date(scheduledClose(close, windows, BERLIN)!).toISOString()).toBe('2026-03-29T12:00:00.000Z');
  });

  it('fall back (25 October 2026): the night shift ends at 06:00 CET, after 9 hours', () => {
    const opened = at('2026-10-24T20:00:00Z'); // 22:00 CEST
    const close = scheduledClose(opened, windows, BERLIN)!;
    expect(new Date(close).toISOString()).toBe('2026-10-25T05:00:00.000Z');
    expect((close - opened) / 3_600_000).toBe(9);
  });

  it('a window end at midnight (24:00) is the next local midnight, on both sides of a change', () => {
    const late = parseWindows(['16:00-24:00']);
    expect(new Date(scheduledClose(at('2026-03-28T16:00:00Z'), late, BERLIN)!).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(scheduledClose(at('2026-03-29T15:00:00Z'), late, BERLIN)!).toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });

  it('a wall time the clocks skip is read with the offset before the jump (02:30 -> 01:30 CET)', () => {
    expect(new Date(zonedInstant({ y: 2026, m: 2, d: 29 }, 2 * 60 + 30, BERLIN)).toISOString()).toBe('2026-03-29T00:30:00.000Z');
    expect(new Date(zonedInstant({ y: 2026, m: 2, d: 29 }, 3 * 60, BERLIN)).toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('export times carry the offset in force at each instant', () => {
    expect(isoWithOffset('2026-03-29T00:59:59.000Z', BERLIN)).toBe('2026-03-29T01:59:59+01:00');
    expect(isoWithOffset('2026-03-29T01:00:00.000Z', BERLIN)).toBe('2026-03-29T03:00:00+02:00');
    expect(isoWithOffset('2026-10-25T00:30:00.000Z', BERLIN)).toBe('2026-10-25T02:30:00+02:00');
    expect(isoWithOffset('2026-10-25T01:30:00.000Z', BERLIN)).toBe('2026-10-25T02:30:00+01:00');
    expect(isoWithOffset('2026-03-02T08:15:00.000Z', 'UTC')).toBe('2026-03-02T08:15:00+00:00');
    expect(isoWithOffset('2026-03-02T08:15:00.000Z', 'America/St_Johns')).toBe('2026-03-02T04:45:00-03:30');
    expect(isoWithOffset('not a time', BERLIN)).toBe('not a time');
  });

  it("the hub's local day: date and midnight in the zone, 23 and 25 hours long on change days", () => {
    expect(localDateOf(at('2026-03-28T23:30:00Z'), BERLIN)).toBe('2026-03-29');
    const spring = startOfLocalDay(at('2026-03-29T12:00:00Z'), BERLIN);
    expect(new Date(spring).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect((startOfLocalDay(at('2026-03-30T12:00:00Z'), BERLIN) - spring) / 3_600_000).toBe(23);
    const autumn = startOfLocalDay(at('2026-10-25T12:00:00Z'), BERLIN);
    expect((startOfLocalDay(at('2026-10-26T12:00:00Z'), BERLIN) - autumn) / 3_600_000).toBe(25);
  });
});
