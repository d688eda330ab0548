import { DateTime, IANAZone } from 'luxon';

/**
 * Wall-clock time in a named zone, DST-correct, through Luxon (the platform's Intl time-zone data):
 * shift windows, the exports' local times with offset, and the hub's "today". Luxon is one module:
 * date-fns-tz pulled in hundreds of date-fns files, which cost every process 0.8 s at start.
 */

/** A local calendar day; `m` is 0-based like Date's. */
export interface LocalDay {
  y: number;
  m: number;
  d: number;
}

/** The process's time zone (TZ, or the system's). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** "2026-03-29" for an instant in a zone. */
export function localDateOf(ms: number, timeZone = localTimeZone()): string {
  return DateTime.fromMillis(ms, { zone: timeZone }).toFormat('yyyy-MM-dd');
}

/** The local calendar day of an instant in a zone. */
export function localDayOf(ms: number, timeZone: string): LocalDay {
  const [y, m, d] = localDateOf(ms, timeZone).split('-').map(Number) as [number, number, number];
  return { y, m: m - 1, d };
}

/** The day `days` after `day` (calendar arithmetic, no zone involved). */
export function addDays(day: LocalDay, days: number): LocalDay {
  const t = new Date(Date.UTC(day.y, day.m, day.d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth(), d: t.getUTCDate() };
}

/**
 * The instant of a wall-clock time (minutes of the day; 1440 is the next midnight) on a local day.
 * A time the clocks skip (02:30 on the spring-forward night) is read with the offset before the jump
 * (01:30 CET), an hour before 03:00; a time that occurs twice (the fall-back night) is read with the
 * offset after the change (the later instant). Shift windows end on the hour outside 02:00-03:00,
 * where neither happens.
 */
export function zonedInstant(day: LocalDay, minutes: number, timeZone: string): number {
  const zone = IANAZone.create(timeZone);
  // The wall time read as if it were UTC, then moved by the zone's offset; a second look settles the
  // few hours around a change, where the offset at the guess differs from the offset at the answer.
  const wall = Date.UTC(day.y, day.m, day.d) + minutes * 60_000;
  const first = wall - zone.offset(wall) * 60_000;
  const offset = zone.offset(first);
  if (offset === zone.offset(wall)) return first;
  const second = wall - offset * 60_000;
  return zone.offset(second) === offset ? second : first;
}

/** Local midnight of the day an instant falls on. */
export function startOfLocalDay(ms: number, timeZone = localTimeZone()): number {
  return zonedInstant(localDayOf(ms, timeZone), 0, timeZone);
}

/**
 * An ISO 8601 time with the offset of `timeZone` at that instant: "2026-03-02T08:15:00+01:00".
 * Stored times are UTC; a supervisor reads local time, and the offset keeps it unambiguous.
 */
export function isoWithOffset(iso: string, timeZone = localTimeZone()): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return DateTime.fromMillis(ms, { zone: timeZone }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}
